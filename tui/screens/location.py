"""Small input dialogs: change where each side points, and ask for a file path.

``LocationScreen(src, dst)`` dismisses with ``(src, dst)`` (URLs, local paths or
saved remotes as ``remote:path``) or ``None``; it lists the saved remotes, and
picking one fills the field last edited. ``PathScreen(title, value)``
dismisses with a path or ``None``.
"""

from __future__ import annotations

from typing import Any, Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from fsspeckit.backends.s3.options import s3_write_options, with_s3_write_options
from fsspeckit.exceptions import BackendError
from fsspeckit.remotes.profiles import ProfileError, list_remotes, mask_secrets

from ..service import options_line, parse_options_line

__all__ = ["LocationScreen", "PathScreen"]

#: The destination's S3 write options edited in their own fields: (field id, request parameter, placeholder).
S3_FIELDS = (("s3-class", "StorageClass", "S3 storage class, e.g. STANDARD_IA"),
             ("s3-sse", "ServerSideEncryption", "encryption: AES256 or aws:kms"),
             ("s3-kms", "SSEKMSKeyId", "KMS key id (aws:kms)"),
             ("s3-acl", "ACL", "canned ACL, e.g. private"))


def split_s3_write_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the options without the S3 write parameters, those parameters)."""
    extra = dict(options.get("s3_additional_kwargs") or {})
    picked = {param: str(extra.pop(param)) for _, param, _ in S3_FIELDS if param in extra}
    rest = {k: v for k, v in options.items() if k != "s3_additional_kwargs"}
    if extra:
        rest["s3_additional_kwargs"] = extra
    return rest, picked


def options_text(options: Mapping[str, Any]) -> str:
    """``key=value`` pairs separated by spaces (nested keys dotted); a secret shows as ``***``."""
    return options_line(mask_secrets(options))


def parse_options_text(text: str, current: Mapping[str, Any]) -> dict[str, Any]:
    """The options typed as ``key=value`` pairs; ``key=***`` keeps the secret already set.

    Raises ``ProfileError`` with one sentence on a pair that is not ``key=value``.
    """
    return parse_options_line(text, current)


def _may_be_s3(text: str) -> bool:
    """An s3:// URL, or a saved remote (``name:path``) that may point at S3."""
    if "://" in text:
        return text.split("://", 1)[0].lower() in ("s3", "s3a")
    return ":" in text and not text.startswith(("/", ".", "~"))


class LocationScreen(ModalScreen[tuple | None]):
    """Edit the source and destination locations and their storage options.

    Dismisses with ``(src, dst, src_options, dst_options)`` or ``None``.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, src: str, dst: str, src_options: Mapping[str, Any] | None = None,
                 dst_options: Mapping[str, Any] | None = None):
        super().__init__()
        self.src = src
        self.dst = dst
        self.src_options = dict(src_options or {})
        self.dst_options, self.dst_s3 = split_s3_write_options(dict(dst_options or {}))
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
            yield Input(options_text(self.src_options), id="src-options",
                        placeholder="source options: key=value … e.g. endpoint_url=http://127.0.0.1:9000")
            yield Label("Destination")
            yield Input(self.dst, id="dst-input")
            yield Input(options_text(self.dst_options), id="dst-options",
                        placeholder="destination options: key=value … (secrets as env:VAR)")
            with Horizontal(classes="s3-fields"):
                for field_id, param, hint in S3_FIELDS:
                    yield Input(self.dst_s3.get(param, ""), id=field_id, placeholder=hint)
            yield Label("", id="location-error", markup=False)
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
            self.query_one("#dst-input", Input).focus()  # Tab reaches the options fields
        else:
            self._done()

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, Input) and event.widget.id in ("src-input", "dst-input"):
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
        try:
            src_opts = parse_options_text(self.query_one("#src-options", Input).value, self.src_options)
            dst_opts = parse_options_text(self.query_one("#dst-options", Input).value, self.dst_options)
            s3 = [self.query_one(f"#{field_id}", Input).value.strip() or None for field_id, _, _ in S3_FIELDS]
            if any(s3) and not _may_be_s3(dst):
                raise BackendError(f"The S3 options apply to an S3 destination; {dst} is not on S3.")
            dst_opts = with_s3_write_options(dst_opts, s3_write_options(*s3))
        except (ProfileError, BackendError) as exc:
            error = self.query_one("#location-error", Label)
            error.update(str(exc))
            error.styles.color = "red"
            return
        self.dismiss((src, dst, src_opts, dst_opts))

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
