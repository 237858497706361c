"""Small input dialogs: change where each side points, and ask for a file path.

``LocationScreen(src, dst)`` dismisses with ``(src, dst)`` (URLs, local paths or
saved remotes as ``remote:path``) or ``None``; it lists the saved remotes, and
picking one fills the field last edited. ``PathScreen(title, value)``
dismisses with a path or ``None``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from fsspeckit.profiles import ProfileError, list_remotes

__all__ = ["LocationScreen", "PathScreen"]


class LocationScreen(ModalScreen[tuple[str, str] | None]):
    """Edit the source and destination locations."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, src: str, dst: str):
        super().__init__()
        self.src = src
        self.dst = dst
        self.target = "src-input"  # the field a picked remote fills

    def compose(self) -> ComposeResult:
        try:
            remotes, problem = list_remotes(), None
        except ProfileError as exc:  # a broken remotes file must not block typing a URL
            remotes, problem = [], str(exc)
        with Vertical(classes="dialog"):
            yield Label("Change locations", classes="dialog-title")
            yield Label("URL, local path or saved remote, e.g. s3://bucket/data, gs://bucket/x, ./out, "
                        "memory://demo, prod-s3:data/2024", classes="dialog-hint")
            yield Label("Source")
            yield Input(self.src, id="src-input")
            yield Label("Destination")
            yield Input(self.dst, id="dst-input")
            if remotes:
                yield Label("Saved remotes: pick one to fill the field you were in (then add a path after the ':')",
                            classes="dialog-hint")
                yield OptionList(*[Option(f"{r.name}:  {r.url}", id=r.name) for r in remotes], id="remote-list")
            elif problem:
                yield Label(problem, classes="dialog-hint", markup=False)
            else:
                yield Label("No saved remotes (m opens the remotes screen to add one).", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "src-input":
            self.query_one("#dst-input", Input).focus()
        else:
            self._done()

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, Input):
            self.target = event.widget.id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        field = self.query_one(f"#{self.target}", Input)
        field.value = f"{event.option.id}:"
        field.focus()
        field.cursor_position = len(field.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        src = self.query_one("#src-input", Input).value.strip()
        dst = self.query_one("#dst-input", Input).value.strip()
        if not src or not dst:
            self.notify("Both the source and the destination need a location.", severity="warning")
            return
        self.dismiss((src, dst))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathScreen(ModalScreen[str | None]):
    """Ask for one file path (save or open a plan)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str, hint: str = ""):
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.hint:
                yield Label(self.hint, classes="dialog-hint")
            yield Input(self.value, id="path-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        value = self.query_one("#path-input", Input).value.strip()
        if not value:
            self.notify("Give a file path.", severity="warning")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
