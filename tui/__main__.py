"""Entry point of ``fsspeckit-tui``."""

import sys


def main(argv=None) -> int:
    from textual.app import App
    from textual.widgets import Static

    class Minimal(App):
        def compose(self):
            yield Static("fsspeckit-tui: coming soon. Press Ctrl+Q to quit.")

    Minimal().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
