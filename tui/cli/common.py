"""What every headless command shares: exit codes, help layout and option types,
``K=V`` storage options and locations, output, and the mapping of errors to one
sentence and an exit code. Only the exceptions are imported at start; the rest of the
library inside functions, so `--help` stays quick.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any, Callable

from fsspeckit.exceptions import FsspeckitError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STALE = 3
EXIT_CONNECT = 4
EXIT_MAX_TRANSFER = 8  # rclone's code for "--max-transfer reached"

PROG = "fsspeckit-tui"

EXIT_CODES = """\
exit codes:
  0  success (check: no differences)
  1  some paths failed (check: differences found); or a safety guard refused to run
  2  bad usage or input (options, plan file, remote name)
  3  the plan is stale: the source changed since it was made; nothing was written
  4  could not connect to or list a location
  8  the --max-transfer limit was reached: transfers were left unstarted (as rclone)
"""

LOCATIONS = """\
locations:
  s3://bucket/prefix, gs://bucket/prefix, memory://name, a local folder (./out, /data),
  or NAME:path for a saved remote (see `fsspeckit-tui remote --help`).
"""

#: The epilog of every command that takes locations.
LOCATIONS_AND_EXIT_CODES = LOCATIONS + "\n" + EXIT_CODES

#: Where the exceptions of the storage clients come from: a failure there is a connection problem.
NETWORK_MODULES = ("botocore", "aiobotocore", "aiohttp", "google", "s3fs", "gcsfs", "requests", "urllib3")

log = logging.getLogger("fsspeckit.cli")


class UsageError(FsspeckitError, ValueError):
    """Bad input on the command line: exit code 2."""


class ConnectError(FsspeckitError, OSError):
    """A location could not be reached or listed: exit code 4."""


# --- parser ------------------------------------------------------------------

class Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)


def _logging_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log one line per file acted on (to stderr); -vv also every decision with its reason")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="log only errors, no progress; sync, copy and apply print their summary only when a "
                        "file failed")
    p.add_argument("--log-file", metavar="PATH", help="append the log to PATH instead of stderr")
    p.add_argument("--log-level", type=str.upper, choices=["DEBUG", "INFO", "NOTICE", "ERROR"], default=None,
                   metavar="LEVEL", help="DEBUG (-vv), INFO (-v), NOTICE (the default) or ERROR (-q), as in rclone")
    p.add_argument("--log-format", type=log_format, default="text", metavar="FORMAT",
                   help="text (default) or json: one JSON object per line with the keys time, level, logger, "
                        "event, path, bytes, error, message (rclone's comma lists are read: 'date,time' is "
                        "text, one naming json is json)")
    p.add_argument("--timeout", type=duration, default=None, metavar="DURATION",
                   help="give up a request when the store sends nothing for this long, e.g. 30s, 5m (default 5m); "
                        "a request that times out twice is not tried again")
    p.add_argument("--contimeout", type=duration, default=None, metavar="DURATION",
                   help="time allowed to connect to a store (default 1m)")
    return p


def add_live_options(p: argparse.ArgumentParser) -> None:
    """What a long command shows while it runs: --stats, -P/--progress, --no-progress."""
    p.add_argument("--stats", type=duration_or_zero, default=None, metavar="DURATION",
                   help="log a one-line summary (files, bytes, rates, ETA, errors) every DURATION, e.g. 500ms, "
                        "10s, 1m30s (0: none); also when stderr is not a terminal")
    p.add_argument("-P", "--progress", action="store_true",
                   help="show progress: on a terminal the live display (the default there), elsewhere a stats "
                        "line every 5 s")
    p.add_argument("--no-progress", action="store_true", help="no progress display on the terminal")


def log_format(text: str) -> str:
    """``--log-format``: text or json; an rclone list such as ``date,time,UTC`` or ``json,date`` is read too."""
    words = {w.strip().lower() for w in text.split(",") if w.strip()}
    known = {"text", "json", "date", "time", "microseconds", "utc", "longfile", "shortfile", "pid", "nolevel"}
    if not words or not words <= known:
        raise argparse.ArgumentTypeError(f"expected text or json, not {text!r}")
    return "json" if "json" in words else "text"


def duration_or_zero(text: str) -> float | None:
    """A duration as ``duration`` takes it, or 0 for none (rclone's ``--stats 0``)."""
    if text.strip() in ("0", "0s"):
        return None
    return duration(text)


def duration(text: str) -> float:
    """An argparse ``type`` for durations: 90, 30s, 5m, 1h30m (seconds, above zero)."""
    from fsspeckit.backends.timeouts import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be above zero")
    return seconds


def add_command(sub, name: str, *, logging_options: bool = True, **kwargs) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` with this tool's help layout and, by default, --debug/--verbose."""
    parents = [_logging_options()] if logging_options else []
    return sub.add_parser(name, parents=parents, formatter_class=Formatter, **kwargs)


def add_sync_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--src-option", action="append", default=[], metavar="K=V",
                   help="storage option for the source (repeatable), e.g. endpoint_url=http://host:9000, "
                        "profile=prod, region=eu-west-1, anon=true, key=env:MY_KEY, "
                        "s3_additional_kwargs='{\"ACL\":\"private\"}' (JSON when it starts with { [ or \")")
    p.add_argument("--dst-option", action="append", default=[], metavar="K=V",
                   help="storage option for the destination (repeatable)")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers of ``minimum`` or more."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more")
        return n

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


# --- input -------------------------------------------------------------------

def parse_options(items: list[str]) -> dict[str, Any]:
    """``["K=V", ...]`` from the command line as storage options (the rules of ``tui.service``)."""
    from ..service import parse_options as parse

    return parse(items)


def location(text: str, options: dict) -> tuple[Any, str, str | None]:
    """(fs, path, text to store in a plan): a remote stays ``NAME:path``, a URL its URL."""
    from fsspeckit.remotes.profiles import parse_location, resolve_location

    loc = parse_location(text)
    fs, path = resolve_location(text, options)
    stored = f"{loc.remote.name}:{loc.path}" if loc.remote is not None else None
    return fs, path, stored


def connect(what: str, fn: Callable[[], Any], url: str = "") -> Any:
    """Run a listing call; turn network and permission errors into ``ConnectError``."""
    from fsspeckit.exceptions import FsspeckitError, describe_error

    try:
        return fn()
    except FsspeckitError:
        raise
    except Exception as exc:  # noqa: BLE001 - only network errors are translated
        if is_network_error(exc):
            raise ConnectError(f"could not list the {what}: {describe_error(exc, url or what)}") from exc
        raise


def is_network_error(exc: BaseException) -> bool:
    """An OS-level error, a timeout, or anything a storage client library raised."""
    return isinstance(exc, (OSError, TimeoutError)) or type(exc).__module__.startswith(NETWORK_MODULES)


# --- output ------------------------------------------------------------------

def err(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def fail(args, code: int, message: str) -> int:
    """Report an error: one sentence on stderr and, under ``--json``, a JSON object on stdout."""
    err(message)
    if getattr(args, "json", False):
        names = {EXIT_FAILED: "failed", EXIT_USAGE: "usage", EXIT_STALE: "stale_plan", EXIT_CONNECT: "connect"}
        print_json({"ok": False, "error": {"code": code, "kind": names.get(code, "failed"), "message": message}})
    return code


def out(text: str = "") -> None:
    print(text, file=sys.stdout)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str), file=sys.stdout)


# Every size and rate the headless commands print is formatted by these two.

def human(n: float) -> str:
    """A byte count in binary units: ``512 B``, ``1.2 MiB``."""
    from fsspeckit.model.units import human_bytes

    return human_bytes(n)


def rates(nbytes: float, nfiles: int, seconds: float) -> str:
    """Both rates of a run: ``12.5 MiB/s, 340.0 files/s``."""
    from fsspeckit.model.units import human_rates

    return human_rates(nbytes, nfiles, seconds)


def when(ts: float | None) -> str | None:
    """An epoch time as ISO 8601 UTC to the second, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- errors ------------------------------------------------------------------

def classify(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one sentence to print for an error a command raised."""
    from fsspeckit.exceptions import (
        BackendError,
        DeleteLimitError,
        DestinationError,
        FsspeckitError,
        PlanError,
        SourceError,
        StalePlanError,
        SyncCancelled,
    )
    from fsspeckit.remotes.profiles import ProfileError

    if isinstance(exc, StalePlanError):
        return EXIT_STALE, str(exc)
    if isinstance(exc, (UsageError, PlanError, ProfileError, BackendError)):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, (DeleteLimitError, SyncCancelled)):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, (ConnectError, SourceError, DestinationError)):
        return EXIT_CONNECT, str(exc)
    if is_network_error(exc):
        from fsspeckit.exceptions import describe_error

        return EXIT_CONNECT, describe_error(exc, "the location")
    if isinstance(exc, ValueError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, FsspeckitError):  # the library's own sentence, e.g. an unreachable Dask scheduler
        return EXIT_FAILED, str(exc)
    return EXIT_FAILED, f"unexpected error: {type(exc).__name__}: {exc} (run again with --debug for details)"
