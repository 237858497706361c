"""The run report: what a sync really did, the failures and why, export and retry.

``ReportScreen(result)`` summarises a ``SyncResult``; given the plan, both
filesystems and ``rerun`` (what makes the screen a retry runs in: the run
screen passes its own) it can also retry the failed paths and merges the
retry's outcomes into the report. It
dismisses with the (possibly merged) result.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Static

from fsspeckit.model.result import SyncResult
from fsspeckit.planning.plan import Plan

from . import human_bytes, human_duration, human_rate

__all__ = ["ReportScreen", "default_report_name", "merge_results", "restrict_plan", "retry_paths", "skip_reasons"]

#: Outcomes a retry runs again: failures, cancellations, and deletions held back because of them.
RETRY_OUTCOMES = ("failed", "cancelled", "not_deleted")


def default_report_name(now: float | None = None) -> str:
    return time.strftime("fsspeckit-report-%Y%m%d-%H%M%S.json", time.localtime(now))


def retry_paths(result: SyncResult) -> set[str]:
    return {o.path for o in result.outcomes if o.outcome in RETRY_OUTCOMES}


def restrict_plan(plan: Plan, paths: set[str]) -> Plan:
    """The plan cut down to ``paths`` (everything else left out, not skipped)."""
    return dataclasses.replace(plan, actions=tuple(a for a in plan.actions if a.path in paths))


def merge_results(first: SyncResult, retry: SyncResult) -> SyncResult:
    """``first`` with the retried paths' outcomes replaced by the retry's.

    Its duration is the time both runs took, not the time spent reading the
    report and confirming the retry in between (the start moves forward by that gap).
    """
    again = {o.path: o for o in retry.outcomes}
    outcomes = [again.pop(o.path, o) for o in first.outcomes]
    outcomes.extend(again.values())
    return dataclasses.replace(
        first,
        started=retry.finished - (first.duration + retry.duration),
        outcomes=outcomes,
        finished=retry.finished,
        cancelled=retry.cancelled,
        deletes_skipped=retry.deletes_skipped,
    )


def skip_reasons(plan: Plan) -> str:
    """Why the plan leaves files alone, most common first: '67 identical, 2 only in the destination'."""
    why: dict[str, int] = {}
    for a in plan.actions:
        if a.kind != "skip":
            continue
        if a.reason.startswith("already "):
            label = "already done"
        elif a.overridden:
            label = "changed by hand"
        else:
            label = {"identical": "identical", "dst_only": "only in the destination", "excluded": "excluded",
                     "conflict": "conflicts kept", "changed": "kept by the strategy"}.get(a.category, a.category)
        why[label] = why.get(label, 0) + 1
    return ", ".join(f"{n:,} {label}" for label, n in sorted(why.items(), key=lambda kv: -kv[1]))


class ReportScreen(Screen[SyncResult]):
    """Summary, failures, export and retry of one run."""

    DEFAULT_CSS = """
    ReportScreen { padding: 1 2; }
    ReportScreen #title { text-style: bold; margin-bottom: 1; }
    ReportScreen #title.bad { color: $error; }
    ReportScreen #title.good { color: $success; }
    ReportScreen #summary { height: auto; max-height: 12; margin-bottom: 1; }
    ReportScreen #notes { color: $warning; height: auto; }
    ReportScreen #failed-title { text-style: bold; color: $error; margin-top: 1; }
    ReportScreen #failed { height: 1fr; min-height: 4; }
    ReportScreen #export-row { height: auto; margin-top: 1; }
    ReportScreen #export-row Input { width: 1fr; }
    ReportScreen #export-row Button { margin-left: 1; }
    ReportScreen #message { height: auto; }
    ReportScreen #message.error { color: $error; }
    ReportScreen #message.ok { color: $success; }
    """

    #: No letter keys: the file name box has the focus, so typing a name never fires an action.
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "export", "Export"),
        Binding("f5", "retry", "Retry failed"),
    ]

    def __init__(self, result: SyncResult, plan: Plan | None = None, src_fs=None, dst_fs=None,
                 *, rerun: Callable[[Plan], Screen] | None = None,
                 name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        #: Makes the screen that confirms and runs a retry (a ``RunScreen`` without a report of its own).
        self.rerun = rerun
        self.result = result
        self.plan = plan
        self.src_fs = src_fs
        self.dst_fs = dst_fs
        self.retries = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield DataTable(id="summary", show_cursor=False, show_header=False, zebra_stripes=True)
        yield Static("", id="notes", markup=False)
        yield Static("", id="failed-title")
        yield DataTable(id="failed", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="export-row"):
            yield Input(default_report_name(), id="export-path",
                        placeholder="report file: .json or .csv")
            yield Button("Export", id="export")
            yield Button("Retry (F5)", id="retry", variant="warning")
            yield Button("Close (esc)", id="close")
        yield Label("", id="message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        summary = self.query_one("#summary", DataTable)
        summary.add_columns("", "")
        failed = self.query_one("#failed", DataTable)
        failed.add_columns("path", "action", "outcome", "attempts", "why")
        self._fill()
        # The file name box has the focus: the screen's keys are esc, ctrl+s and F5, never letters.
        box = self.query_one("#export-path", Input)
        box.focus()
        box.cursor_position = len(box.value)

    # -- drawing --------------------------------------------------------------
    def _fill(self) -> None:
        r = self.result
        c = r.counts
        title = self.query_one("#title", Static)
        title.remove_class("bad", "good")
        where = f"{r.src_url or 'source'} → {r.dst_url or 'destination'}"
        again = f" (after {self.retries} retr{'y' if self.retries == 1 else 'ies'})" if self.retries else ""
        if r.cancelled:
            title.update(f"Run cancelled{again}: {where}")
            title.add_class("bad")
        elif r.failed:
            title.update(f"Run finished with {len(r.failed)} failure(s){again}: {where}")
            title.add_class("bad")
        else:
            title.update(f"Run complete{again}: {where}")
            title.add_class("good")
        rate = r.bytes_transferred / r.duration if r.duration > 0 else 0.0
        rows = [
            ("copied", f"{c['copied']:,}"),
            ("updated", f"{c['updated']:,}"),
            ("deleted", f"{c['deleted']:,}"),
            ("skipped", f"{c['skipped'] + c['not_deleted']:,}" + self._skip_detail(c)),
            ("failed", f"{c['failed']:,}" + (f"  (+{c['cancelled']:,} cancelled)" if c["cancelled"] else "")),
            ("bytes", f"{human_bytes(r.bytes_transferred)}  ({r.bytes_transferred:,} bytes)"),
            ("duration", human_duration(r.duration)),
            ("rate", human_rate(rate)),
        ]
        summary = self.query_one("#summary", DataTable)
        summary.clear()
        for key, value in rows:
            summary.add_row(key, value, key=key)
        notes = []
        if r.dry_run:
            notes.append("Dry run: nothing was written.")
        if r.deletes_skipped:
            notes.append(f"Deletions were skipped: {r.deletes_skipped}.")
        if r.cleaned_partials:
            notes.append(f"Removed {r.cleaned_partials} temporary files left by an earlier interrupted run.")
        if r.aborted_uploads:
            notes.append(f"Aborted {r.aborted_uploads} unfinished uploads left by an earlier interrupted run.")
        self.query_one("#notes", Static).update("\n".join(notes))
        failed = self.query_one("#failed", DataTable)
        failed.clear()
        bad = r.failed
        self.query_one("#failed-title", Static).update(
            f"Failed or cancelled: {len(bad):,}" if bad else "No failures.")
        for o in bad:
            failed.add_row(o.path, o.action, o.outcome, str(o.attempts), o.error or "", key=o.path)
        failed.display = bool(bad)
        retry = self.query_one("#retry", Button)
        paths = retry_paths(r)
        retry.disabled = not (paths and self._can_retry())
        retry.label = f"Retry {len(paths):,} (F5)" if paths else "Retry (F5)"

    def _skip_detail(self, c) -> str:
        """Why files were left alone: from the plan's reasons, and the deletions held back."""
        parts = []
        if self.plan is not None and c["skipped"]:
            parts.append(skip_reasons(self.plan))
        if c["not_deleted"]:
            parts.append(f"{c['not_deleted']:,} deletions held back")
        return f"  ({'; '.join(p for p in parts if p)})" if any(parts) else ""

    def _say(self, text: str, ok: bool) -> None:
        msg = self.query_one("#message", Label)
        msg.remove_class("error", "ok")
        msg.add_class("ok" if ok else "error")
        msg.update(text)

    # -- actions --------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action == "retry":
            return not self.query_one("#retry", Button).disabled if self.is_mounted else False
        return True

    def action_close(self) -> None:
        self.dismiss(self.result)

    def action_focus_export(self) -> None:
        self.query_one("#export-path", Input).focus()

    def action_export(self) -> None:
        self.export(self.query_one("#export-path", Input).value)

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()

    @on(Button.Pressed, "#export")
    @on(Input.Submitted, "#export-path")
    def _export(self) -> None:
        self.export(self.query_one("#export-path", Input).value)

    def export(self, path: str) -> bool:
        """Write the report to ``path`` (``.csv`` → CSV, else JSON); say where or why not."""
        path = os.path.expanduser(path.strip())
        if not path:
            self._say("Type a file name to export to (.json or .csv).", ok=False)
            return False
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            self._say(f"The folder {folder} does not exist; choose another path.", ok=False)
            return False
        if os.path.isdir(path):
            self._say(f"{path} is a folder; type a file name.", ok=False)
            return False
        try:
            self.result.save(path)
        except OSError as exc:
            self._say(f"Could not write {path}: {exc.strerror or exc}.", ok=False)
            return False
        kind = "CSV" if path.lower().endswith(".csv") else "JSON"
        self._say(f"Saved the report as {kind} to {os.path.abspath(path)}.", ok=True)
        return True

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        paths = retry_paths(self.result)
        if not paths or not self._can_retry():
            self._say("Nothing to retry here.", ok=False)
            return
        self.app.push_screen(self.rerun(restrict_plan(self.plan, paths)), self._retry_done)

    def _can_retry(self) -> bool:
        return (self.rerun is not None and self.plan is not None and self.src_fs is not None
                and self.dst_fs is not None)

    def _retry_done(self, result: SyncResult | None) -> None:
        if result is None:
            return
        self.retries += 1
        self.result = merge_results(self.result, result)
        self._fill()
        self._say(f"Retried: {result.summary()}", ok=result.ok)
