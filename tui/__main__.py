"""Entry point of ``fsspeckit-tui``.

``fsspeckit-tui [SRC DST]`` opens the app (a built-in demo without arguments);
``fsspeckit-tui sync|copy|move|plan|apply|check|bisync|partitions|remote|completion ...``
runs a headless command; ``fsspeckit-tui --version`` prints the version.

A first word that looks like a command but is none (and is no existing path)
is refused with the nearest command, rather than opened as a folder; the app
itself needs a terminal and refuses to start without one.
"""

from __future__ import annotations

import difflib
import os
import re
import sys

HEADLESS_COMMANDS = ("sync", "copy", "move", "plan", "apply", "check", "bisync", "partitions", "remote",
                     "completion")

#: A word that reads as a command name, not as a location (no '/', '.', ':' or '~').
COMMAND_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")

PROG = "fsspeckit-tui"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and (argv[0] in HEADLESS_COMMANDS or argv[0] in ("--version", "-V")):
        from .cli import main as cli_main

        return cli_main(["--version"] if argv[0] == "-V" else argv)
    if argv and _unknown_command(argv[0]):
        return 2
    if not any(a in ("-h", "--help") for a in argv) and not _has_terminal():
        print(f"{PROG}: error: the app needs a terminal (stdin and stdout are not one); in scripts use a "
              f"headless command, e.g. `{PROG} sync SRC DST` (see `{PROG} --help`).", file=sys.stderr)
        return 2
    from .launch import run_app

    return run_app(argv)


def _has_terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def _unknown_command(word: str) -> bool:
    """Say so and return True when ``word`` reads as a mistyped command rather than a location."""
    if not COMMAND_LIKE.match(word) or os.path.exists(word):
        return False
    close = difflib.get_close_matches(word, HEADLESS_COMMANDS, n=1, cutoff=0.6)
    hint = f" did you mean '{close[0]}'?" if close else f" the commands are: {', '.join(HEADLESS_COMMANDS)}."
    print(f"{PROG}: error: unknown command '{word}' (and no such folder);{hint} To open the app on a "
          f"folder, give a path that exists (e.g. ./{word}).", file=sys.stderr)
    return True


if __name__ == "__main__":
    sys.exit(main())
