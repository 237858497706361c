"""Headless commands of ``fsspeckit-tui``: sync, plan, apply, check, partitions, remote.

For scripts and CI: each command has ``--help`` and, where it makes sense,
``--json``. This module builds the parser from the command modules and runs one
command; nothing here imports Textual, and the library is imported only when a
command runs, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable

from . import apply_cmd, bisync_cmd, check_cmd, partitions_cmd, plan_cmd, remote_cmd, sync_cmd, verbs_cmd
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
    classify,
    err,
)

__all__ = ["EXIT_CONNECT", "EXIT_FAILED", "EXIT_OK", "EXIT_STALE", "EXIT_USAGE", "build_parser", "main"]

#: In the order ``--help`` lists them.
COMMANDS = (sync_cmd, verbs_cmd, plan_cmd, apply_cmd, check_cmd, bisync_cmd, partitions_cmd, remote_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=Formatter,
        description="Headless commands of fsspeckit-tui: sync two trees, plan a sync, apply a plan, check two trees, "
                    "show a partition layout, manage saved remotes.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one headless command; return its exit code (see ``EXIT_CODES``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    restore = _setup_logging(args)
    restore_timeouts = _setup_timeouts(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - mapped to an exit code and one sentence
        code, message = classify(exc)
        err(message)
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc(file=sys.stderr)
        return code
    finally:
        restore()
        restore_timeouts()


def _setup_timeouts(args) -> Callable[[], None]:
    """Apply --timeout/--contimeout for this command; return a function undoing it."""
    timeout, contimeout = getattr(args, "timeout", None), getattr(args, "contimeout", None)
    if timeout is None and contimeout is None:
        return lambda: None
    from fsspeckit import timeouts

    before = (timeouts.TIMEOUT, timeouts.CONTIMEOUT)
    timeouts.configure(timeout=timeout, contimeout=contimeout)

    def restore() -> None:
        timeouts.TIMEOUT, timeouts.CONTIMEOUT = before

    return restore


def _setup_logging(args) -> Callable[[], None]:
    """Send the library's log to stderr for this command; return a function undoing it."""
    level = logging.DEBUG if getattr(args, "debug", False) else (
        logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
    logger = logging.getLogger("fsspeckit")
    before = (logger.level, logger.propagate)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]

    return restore
