"""The filter editor: rclone's filter rules, size and age limits and "delete excluded".

``FilterScreen(filters)`` dismisses with ``("apply", Filters | None)`` (None: no
filters) or ``None`` when cancelled. Nothing is accepted until every line and
limit reads; the error names the line, and the dialog stays open.
"""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, TextArea

from fsspeckit.exceptions import FilterError
from fsspeckit.planning.filters import Filters, rules_from_text

__all__ = ["FilterScreen", "filters_from_fields"]

HINT = ("One rule a line, first match wins: '+ GLOB' keeps, '- GLOB' leaves out, '!' clears the rules above. "
        "'*' stays in a folder, '**' crosses folders, a leading '/' anchors at the top, 'dir/' is a folder. "
        "Lines starting with # are comments. Sizes: 10M, 1G, 512B (a bare number is KiB). "
        "Ages: 7d, 2h, 1w or a date 2024-01-31.")


def _date(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def filters_from_fields(rules: str, min_size: str, max_size: str, max_age: str, min_age: str,
                        delete_excluded: bool) -> Filters | None:
    """The filters typed in the editor, or None when it is empty; ``FilterError`` names a bad field or line."""
    lines = rules_from_text(rules, "filter", "the rules")
    fields = {"min_size": min_size, "max_size": max_size, "max_age": max_age, "min_age": min_age}
    values = {k: v.strip() or None for k, v in fields.items()}
    filters = Filters.build(rules=lines, delete_excluded=delete_excluded, **values)
    return filters if filters.active or filters.delete_excluded else None


class FilterScreen(ModalScreen[tuple | None]):
    """Edit the filters the plan is made with."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "apply", "Apply", priority=True)]

    def __init__(self, filters: Filters | None):
        super().__init__()
        self.filters = filters or Filters()

    def compose(self) -> ComposeResult:
        f = self.filters
        with Vertical(classes="dialog"):
            yield Label("Filters", classes="dialog-title")
            yield Label(HINT, classes="dialog-hint")
            yield TextArea("\n".join(f.rules), id="filter-rules")
            with Horizontal(classes="filter-limits"):
                yield Input(str(f.min_size) + "B" if f.min_size is not None else "", id="min-size",
                            placeholder="min size")
                yield Input(str(f.max_size) + "B" if f.max_size is not None else "", id="max-size",
                            placeholder="max size")
                yield Input(_date(f.modified_from), id="max-age", placeholder="max age (7d)")
                yield Input(_date(f.modified_to), id="min-age", placeholder="min age (1h)")
            yield Checkbox("Delete excluded files on the destination (with deletions on)", f.delete_excluded,
                           id="delete-excluded")
            yield Label("", id="filter-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="ok")
                yield Button("Clear", id="clear")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._done()
        elif event.button.id == "clear":
            self.dismiss(("apply", None))
        else:
            self.dismiss(None)

    def _done(self) -> None:
        value = {name: self.query_one(f"#{name}", Input).value for name in ("min-size", "max-size", "max-age",
                                                                            "min-age")}
        try:
            filters = filters_from_fields(self.query_one("#filter-rules", TextArea).text, value["min-size"],
                                          value["max-size"], value["max-age"], value["min-age"],
                                          self.query_one("#delete-excluded", Checkbox).value)
        except FilterError as exc:
            error = self.query_one("#filter-error", Label)
            error.update(str(exc))
            error.styles.color = "red"
            return
        self.dismiss(("apply", filters))

    def action_apply(self) -> None:
        self._done()

    def action_cancel(self) -> None:
        self.dismiss(None)
