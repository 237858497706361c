"""Saved remotes (``m``): list them, pick one for a side, add, remove or test one.

``RemotesScreen`` dismisses with ``(role, "name:")`` when a remote is picked for
the source or the destination, else ``None``. Remotes are read from and written
to the config file of ``fsspeckit.remotes.profiles`` (a small local TOML file); the
connection check and the saving of a new remote (which loads its backend) run
in thread workers. Secrets are shown only as their ``env:VAR`` reference.
"""

from __future__ import annotations

from typing import Any, Mapping

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from fsspeckit.remotes.profiles import (
    ProfileError,
    Remote,
    add_remote,
    config_path,
    list_remotes,
    mask_secrets,
    parse_option,
    remove_remote,
    test_remote,
)

from ..service import flatten

__all__ = ["AddRemoteScreen", "ConfirmScreen", "RemotesScreen", "format_options", "parse_options"]


def format_options(options: Mapping[str, Any]) -> str:
    """``key=value`` pairs for display; a secret shows only its ``env:``/``file:`` reference, never a value."""
    parts = []
    for key, value in flatten(mask_secrets(options)):
        if value == "***":
            value = "(hidden: stored in plain text)"
        elif isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{key}={value}")
    return "  ".join(parts)


def parse_options(text: str) -> dict[str, Any]:
    """``key=value`` lines (blank lines and ``#`` comments skipped); ``ProfileError`` on a bad line."""
    options: dict[str, Any] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, value = parse_option(line)
            options[key] = value
    return options


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question."""

    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes  (y)", variant="error", id="yes")
                yield Button("No  (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class AddRemoteScreen(ModalScreen[Remote | None]):
    """Name, URL and options of a new remote; saved in a worker, refused with the library's message."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add a remote", classes="dialog-title")
            yield Label("Name (letters, digits, '-' or '_'); then use it as NAME:path anywhere a URL goes.",
                        classes="dialog-hint")
            yield Input(placeholder="prod-s3", id="name-input")
            yield Label("URL")
            yield Input(placeholder="s3://bucket/prefix, gs://bucket, /data/exports", id="url-input")
            yield Label("Options, one key=value a line (endpoint_url, region, profile, anon, token, …). "
                        "Secrets as env:VARIABLE, e.g. secret=env:AWS_SECRET_ACCESS_KEY.", classes="dialog-hint")
            yield TextArea("", id="options-input", soft_wrap=False)
            yield Static("", id="add-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save  (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "name-input":
            self.query_one("#url-input", Input).focus()
        else:
            self.query_one("#options-input", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        name = self.query_one("#name-input", Input).value.strip()
        url = self.query_one("#url-input", Input).value.strip()
        try:
            options = parse_options(self.query_one("#options-input", TextArea).text)
        except ProfileError as exc:
            self._error(str(exc))
            return
        self._error("Saving…")
        self._save(name, url, options)

    @work(thread=True, exclusive=True, exit_on_error=False, group="add-remote", name="add remote")
    def _save(self, name: str, url: str, options: dict[str, Any]) -> Remote:
        return add_remote(name, url, options)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "add-remote":
            return
        if event.state == WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
        elif event.state == WorkerState.ERROR:
            exc = event.worker.error
            self._error(str(exc) if isinstance(exc, ProfileError) else f"The remote could not be saved: {exc}")

    def _error(self, text: str) -> None:
        self.query_one("#add-error", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RemotesScreen(Screen[tuple[str, str] | None]):
    """The saved remotes, with keys to use, add, remove and test them."""

    DEFAULT_CSS = """
    RemotesScreen { padding: 1 2; }
    RemotesScreen #remotes-title { text-style: bold; }
    RemotesScreen #remotes-hint { color: $text-muted; margin-bottom: 1; }
    RemotesScreen DataTable { height: 1fr; border: round $primary 50%; }
    RemotesScreen #remote-status { height: auto; min-height: 2; margin-top: 1; }
    RemotesScreen #remote-status.ok { color: $success; }
    RemotesScreen #remote-status.failed { color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("less_than_sign", "use('source')", "Use as source"),
        Binding("greater_than_sign", "use('destination')", "Use as destination"),
        Binding("enter", "test", "Verify (test)", priority=True),
        Binding("plus_sign", "add", "New", key_display="+"),
        Binding("insert", "add", "New", show=False),
        Binding("delete", "remove", "Remove"),
        Binding("f8", "remove", "Remove", show=False),
        Binding("escape,q", "close", "Back"),
    ]

    class Tested(Message):
        """The connection check of one remote finished."""

        def __init__(self, name: str, ok: bool, text: str):
            super().__init__()
            self.name, self.ok, self.text = name, ok, text

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.remotes: list[Remote] = []
        #: Outcome of the last check per remote: (ok, message).
        self.results: dict[str, tuple[bool, str]] = {}

    def compose(self) -> ComposeResult:
        yield Static("Saved remotes", id="remotes-title")
        yield Static(f"Kept in {config_path()}; use one anywhere a URL goes as NAME:path.", id="remotes-hint",
                     markup=False)
        yield DataTable(id="remotes", cursor_type="row", zebra_stripes=True)
        yield Static("", id="remote-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Name", key="name", width=16)
        table.add_column("URL", key="url", width=36)
        table.add_column("Check", key="check", width=10)
        table.add_column("Options", key="options")
        self.reload()
        table.focus()

    def reload(self, select: str | None = None) -> None:
        table = self.query_one(DataTable)
        current = select or self.selected_name()
        table.clear()
        try:
            self.remotes = list_remotes()
        except ProfileError as exc:
            self.remotes = []
            self._status(str(exc), ok=False)
        for r in self.remotes:
            table.add_row(Text(r.name, style="bold"), Text(r.url), self._check_cell(r.name),
                          Text(format_options(r.options), style="dim"), key=r.name)
        if not self.remotes and not self.query_one("#remote-status", Static).has_class("failed"):
            self._status("No saved remotes yet: press n to add one.")
        names = [r.name for r in self.remotes]
        if current in names:
            table.move_cursor(row=names.index(current))

    def _check_cell(self, name: str) -> Text:
        if name not in self.results:
            return Text("")
        ok, _ = self.results[name]
        return Text("✓ ok", style="bold green") if ok else Text("✗ failed", style="bold red")

    def selected_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row = table.cursor_row
        return self.remotes[row].name if 0 <= row < len(self.remotes) else None

    def _status(self, text: str, ok: bool | None = None) -> None:
        status = self.query_one("#remote-status", Static)
        status.update(text)
        status.set_class(ok is True, "ok")
        status.set_class(ok is False, "failed")

    # -- actions ----------------------------------------------------------------
    def action_use(self, role: str) -> None:
        name = self.selected_name()
        if name is None:
            self.notify("Add a remote first (n).", severity="warning")
            return
        self.dismiss((role, f"{name}:"))

    def action_add(self) -> None:
        def done(remote: Remote | None) -> None:
            if remote is not None:
                self.reload(select=remote.name)
                self._status(f"Saved the remote '{remote.name}' ({remote.url}). Press v to test it.", ok=True)

        self.app.push_screen(AddRemoteScreen(), done)

    def action_remove(self) -> None:
        name = self.selected_name()
        if name is None:
            return

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                remote = remove_remote(name)
            except ProfileError as exc:
                self._status(str(exc), ok=False)
                return
            self.results.pop(name, None)
            self.reload()
            self._status(f"Removed the remote '{name}' ({remote.url}).")

        self.app.push_screen(ConfirmScreen(f"Remove the saved remote '{name}'? Its files are not touched."), done)

    def action_test(self) -> None:
        name = self.selected_name()
        if name is None:
            self.notify("Add a remote first (n).", severity="warning")
            return
        self._status(f"Testing '{name}' …")
        self._test(name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="test-remote", name="test remote")
    def _test(self, name: str) -> None:
        ok, text = test_remote(name)
        self.post_message(self.Tested(name, ok, text))

    def on_remotes_screen_tested(self, message: Tested) -> None:
        self.results[message.name] = (message.ok, message.text)
        self._status(("✓ " if message.ok else "✗ ") + message.text, ok=message.ok)
        table = self.query_one(DataTable)
        if message.name in [r.name for r in self.remotes]:
            table.update_cell(message.name, "check", self._check_cell(message.name))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "test-remote" and event.state == WorkerState.ERROR:
            self._status(f"✗ The check could not run: {event.worker.error}", ok=False)

    def action_close(self) -> None:
        self.dismiss(None)
