"""Headless commands of ``fsspeckit-tui``: sync, copy, move, plan, apply, check, bisync,
partitions, remote, completion.

For scripts and CI: each command has ``--help`` and, where it makes sense,
``--json`` (errors then are JSON on stdout too); the log, stats lines and the
progress display are set up by ``logs``. This module builds the parser from the command modules and runs one
command; nothing here imports Textual, and the library is imported only when a
command runs, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from typing import Callable

from . import (
    apply_cmd,
    bisync_cmd,
    check_cmd,
    completion_cmd,
    partitions_cmd,
    plan_cmd,
    remote_cmd,
    sync_cmd,
    verbs_cmd,
)
from .common import (  # the EXIT_* names are part of this package's interface
    EXIT_CODES,
    EXIT_CONNECT,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STALE,
    EXIT_USAGE,
    LOCATIONS_AND_EXIT_CODES,
    PROG,
    Formatter,
    UsageError,
    classify,
    err,
    fail,
)
from .logs import setup_logging

__all__ = ["EXIT_CONNECT", "EXIT_FAILED", "EXIT_OK", "EXIT_STALE", "EXIT_USAGE", "build_parser", "main"]

#: In the order ``--help`` lists them.
COMMANDS = (sync_cmd, verbs_cmd, plan_cmd, apply_cmd, check_cmd, bisync_cmd, partitions_cmd, remote_cmd,
            completion_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=Formatter,
        description="Headless commands of fsspeckit-tui: sync two trees, plan a sync, apply a plan, check two trees, "
                    "show a partition layout, manage saved remotes.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    parser.set_defaults(root_parser=parser)  # the completion scripts are drawn from it
    return parser


def version_text() -> str:
    """``fsspeckit-tui 0.1.0 (fsspeckit 0.1.0, Python 3.11.7)``."""
    import platform

    from fsspeckit import __version__

    return f"{PROG} {__version__} (fsspeckit {__version__}, Python {platform.python_version()})"


def main(argv: list[str] | None = None) -> int:
    """Run one headless command; return its exit code (see ``EXIT_CODES``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        sys.stderr.write(said.getvalue())
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
        if code and "--json" in argv:
            lines = [ln for ln in said.getvalue().splitlines() if ln.strip()]
            message = lines[-1].split(": error: ", 1)[-1] if lines else "bad usage"
            _json_usage(code, message)
        return code
    sys.stderr.write(said.getvalue())
    try:
        restore = setup_logging(args)
    except UsageError as exc:
        return fail(args, EXIT_USAGE, str(exc))
    restore_timeouts = _setup_timeouts(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        return quiet_broken_pipe()
    except Exception as exc:  # noqa: BLE001 - mapped to an exit code and one sentence
        if _is_broken_pipe(exc):
            return quiet_broken_pipe()
        code, message = classify(exc)
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc(file=sys.stderr)
        return fail(args, code, message)
    finally:
        restore()
        restore_timeouts()


def _setup_timeouts(args) -> Callable[[], None]:
    """Apply --timeout/--contimeout for this command; return a function undoing it."""
    timeout, contimeout = getattr(args, "timeout", None), getattr(args, "contimeout", None)
    if timeout is None and contimeout is None:
        return lambda: None
    from fsspeckit.backends import timeouts

    before = (timeouts.TIMEOUT, timeouts.CONTIMEOUT)
    timeouts.configure(timeout=timeout, contimeout=contimeout)

    def restore() -> None:
        timeouts.TIMEOUT, timeouts.CONTIMEOUT = before

    return restore




def _is_broken_pipe(exc: BaseException) -> bool:
    """A closed stdout, perhaps wrapped by a command (``check ... | head -1``)."""
    while exc is not None:
        if isinstance(exc, BrokenPipeError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def quiet_broken_pipe() -> int:
    """The reader of stdout went away: end quietly, as ``cat`` would (no message, exit 141)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
    except (OSError, ValueError):
        pass
    return 141


def _json_usage(code: int, message: str) -> None:
    """A command line argparse refused, under ``--json``: the error as JSON on stdout too."""
    from .common import print_json

    print_json({"ok": False, "error": {"code": code, "kind": "usage", "message": message}})
