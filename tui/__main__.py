"""Entry point of ``fsspeckit-tui``.

``fsspeckit-tui [SRC DST]`` opens the app (a built-in demo without arguments);
``fsspeckit-tui sync|plan|apply|check|partitions|remote ...`` runs a headless command.
"""

from __future__ import annotations

import sys

HEADLESS_COMMANDS = ("sync", "copy", "move", "plan", "apply", "check", "bisync", "partitions", "remote")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in HEADLESS_COMMANDS:
        from .cli import main as cli_main

        return cli_main(argv)
    from .launch import run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
