"""Starting fsspeckit-tui: the command line, the app factory and the demo.

``create_app(src_fs, src_path, dst_fs, dst_path)`` builds the app on filesystem
instances (tests use memory and local ones). ``run_app(argv)`` parses the
command line and opens the app on two locations (URLs, local paths or saved
remotes as ``remote:path``), or a built-in demo without arguments. The
filesystems are made inside the app's workers with
``fsspeckit.remotes.profiles.resolve_location``, so a bad URL or an unknown remote is
a message in the app, not a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
from datetime import datetime
from typing import Callable

from fsspeckit.planning.plan import SyncOptions
from fsspeckit.verbs.sync import url_of

from .app import SyncApp
from .demo import DEMO_NOW, build_demo
from .planning import DEFAULT_PLAN_FILE, Side
from .service import COMPARE_MODES, STRATEGIES, delete_default, option_arg

__all__ = ["build_parser", "create_app", "run_app"]


def create_app(src_fs, src_path: str = "", dst_fs=None, dst_path: str = "", *, demo: bool = False,
               strategy: str = "source_wins", compare: str = "size_mtime", delete: bool | None = None,
               partitions: str | None = None, scheduler: str | None = None,
               clock: Callable[[], datetime] | None = None, src_label: str | None = None,
               dst_label: str | None = None, plan_file: str = DEFAULT_PLAN_FILE,
               track_renames: bool = False, two_way: bool = False, state_dir: str | None = None) -> SyncApp:
    """An app on two filesystem instances (paths relative to them); ``delete`` defaults to the app's
    documented default (``tui.service.DELETE_DEFAULTS``)."""
    delete = delete_default("app") if delete is None else delete
    options = SyncOptions(strategy=strategy, compare=compare, delete=delete, partitions=partitions,
                          track_renames=track_renames)
    src = Side("source", url_of(src_fs, src_path), fs=src_fs, path=src_path, label=src_label)
    dst = Side("destination", url_of(dst_fs, dst_path), fs=dst_fs, path=dst_path, label=dst_label)
    return SyncApp(src, dst, options=options, demo=demo, scheduler=scheduler, clock=clock, plan_file=plan_file,
                   two_way=two_way, state_dir=state_dir)


def _parse_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object, e.g. '{\"endpoint_url\": \"http://...\"}'")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fsspeckit-tui",
        description="Preview, adjust and run a sync between two filesystems. Without SRC and DST, opens a demo.",
        epilog="Headless commands: fsspeckit-tui sync|copy|move|plan|apply|check|bisync|partitions|remote --help; "
               "fsspeckit-tui completion bash|zsh|fish; fsspeckit-tui --version. The app needs a terminal.",
    )
    parser.add_argument("src", nargs="?", metavar="SRC",
                        help="source URL, path or saved remote (s3://bucket/data, gs://b/x, ./in, memory://x, prod-s3:data)")
    parser.add_argument("dst", nargs="?", metavar="DST", help="destination URL, path or saved remote")
    parser.add_argument("--src-option", action="append", type=option_arg, default=[], metavar="KEY=VALUE",
                        help="a storage option of the source (repeatable; JSON when it starts with { [ or \", "
                             "true/false, numbers, else text; "
                             "overrides a saved remote's option)")
    parser.add_argument("--dst-option", action="append", type=option_arg, default=[], metavar="KEY=VALUE",
                        help="a storage option of the destination (repeatable)")
    parser.add_argument("--src-options", type=_parse_json, default={}, metavar="JSON", help="source storage options as a JSON object")
    parser.add_argument("--dst-options", type=_parse_json, default={}, metavar="JSON", help="destination storage options as a JSON object")
    parser.add_argument("--strategy", choices=STRATEGIES, default=STRATEGIES[0], help="how conflicts are resolved")
    parser.add_argument("--compare", default="size_mtime", help=f"how files are compared: {', '.join(COMPARE_MODES)}")
    on = delete_default("app")
    parser.add_argument("--delete", dest="delete", action="store_true", default=on,
                        help=f"delete files only in the destination ({'the default, as for sync and plan' if on else 'off by default'}; "
                             "d toggles it in the app, the status bar shows it)")
    parser.add_argument("--no-delete", dest="delete", action="store_false",
                        help="keep files only in the destination" + ("" if on else " (default)"))
    parser.add_argument("--partitions", default=None, metavar="PREDICATE", help="only these partitions, e.g. \"year>=2024\"")
    parser.add_argument("--track-renames", action="store_true",
                        help="move files moved or renamed in SRC within DST instead of copying them (needs --delete; "
                             "v toggles it in the app)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="apply the plan on a Dask cluster at this scheduler address (tcp://host:8786); "
                             "needs the dask extra")
    parser.add_argument("--two-way", action="store_true",
                        help="open in two-way mode: SRC is the left side, DST the right; changes on both sides since "
                             "the last sync, conflicts first (2 in the app; headless: fsspeckit-tui bisync)")
    return parser


def run_app(argv: list[str] | None = None) -> int:
    """Parse the command line and run the app; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.src is None) != (args.dst is None):
        parser.error("give both SRC and DST, or neither for the demo")
    try:
        options = SyncOptions(strategy=args.strategy, compare=args.compare, delete=args.delete,
                              partitions=args.partitions, track_renames=args.track_renames)
    except ValueError as exc:
        parser.error(str(exc))
    if args.src is None:
        with tempfile.TemporaryDirectory(prefix="fsspeckit-demo-") as tmp:
            src, dst = build_demo(tmp)
            app = SyncApp(Side("source", str(src), label="demo/source"),
                          Side("destination", str(dst), label="demo/destination"),
                          options=options, demo=True, scheduler=args.scheduler, clock=lambda: DEMO_NOW,
                          two_way=args.two_way, state_dir=os.path.join(tmp, "two-way-state"))
            _exit_on_hangup(app)  # a closed terminal still removes the demo's temporary folder
            try:
                app.run()
            finally:
                _quiet_after_exit()
        return app.return_code or 0
    # The sides are resolved (fsspeckit.remotes.profiles.resolve_location) in the app's
    # workers: a remote, a URL or a path that cannot be opened becomes a message.
    src_opts = {**args.src_options, **dict(args.src_option)}
    dst_opts = {**args.dst_options, **dict(args.dst_option)}
    app = SyncApp(Side("source", args.src, src_opts), Side("destination", args.dst, dst_opts),
                  options=options, scheduler=args.scheduler, two_way=args.two_way)
    try:
        app.run()
    finally:
        _quiet_after_exit()
    return app.return_code or 0


def _quiet_after_exit() -> None:
    """Once the app is gone, a log line from a thread still stopping goes nowhere, not into the shell."""
    for name in ("fsspeckit", "tui"):
        logging.getLogger(name).addHandler(logging.NullHandler())


def _exit_on_hangup(app) -> None:
    """Let SIGHUP/SIGTERM end the app normally, so ``finally`` blocks and cleanups run."""
    def stop(signum, frame):  # runs on the main thread, the app's event loop thread
        app.exit(return_code=128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        try:
            signal.signal(sig, stop)
        except (ValueError, OSError):  # pragma: no cover - not the main thread
            pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app())
