"""Run report: the real outcome of every path of an applied plan.

``SyncResult`` lists one ``Outcome`` per path (action, outcome, bytes,
attempts, error) and exports as JSON and CSV. It reports what happened, never
the input lists echoed back. It also answers the keys of the dict the public
fsspeckit 0.25 returned (``result["added_files"]``, ``result["deleted_files"]``).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator, Literal

from ..exceptions import SyncError
from .units import human_bytes, human_rates

__all__ = ["Outcome", "SyncResult", "OUTCOMES"]

#: What really happened to a path.
OUTCOMES = ("copied", "updated", "deleted", "skipped", "failed", "not_deleted", "cancelled", "moved")
OutcomeKind = Literal["copied", "updated", "deleted", "skipped", "failed", "not_deleted", "cancelled", "moved"]


@dataclass(slots=True)
class Outcome:
    """One path's result."""

    path: str
    action: str  # copy / update / delete / skip / move
    outcome: OutcomeKind
    bytes: int = 0
    attempts: int = 0
    error: str | None = None
    seconds: float = 0.0
    backup: str | None = None  # where the replaced/deleted version was moved

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SyncResult:
    """What an applied plan did, path by path."""

    outcomes: list[Outcome] = field(default_factory=list)
    src_url: str = ""
    dst_url: str = ""
    started: float = 0.0
    finished: float = 0.0
    dry_run: bool = False
    cancelled: bool = False
    #: Why deletions were skipped as a whole (a copy failed, max_delete, ...), if they were.
    deletes_skipped: str | None = None
    #: Temporary files of earlier interrupted runs removed before this one.
    cleaned_partials: int = 0
    #: Multipart uploads of earlier interrupted runs aborted before this one (S3 bills their parts).
    aborted_uploads: int = 0
    #: Things the caller asked for that were not done as asked (one sentence each).
    warnings: list[str] = field(default_factory=list)
    #: Source files the partition predicate selected (None without one).
    partition_matches: int | None = None
    #: ``max_transfer`` stopped the run from starting more transfers (and deleting).
    max_transfer_reached: bool = False

    # -- queries ----------------------------------------------------------
    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(o.outcome for o in self.outcomes)
        return {k: c.get(k, 0) for k in OUTCOMES}

    def paths(self, *outcomes: str) -> list[str]:
        return [o.path for o in self.outcomes if o.outcome in outcomes]

    @property
    def copied(self) -> list[str]:
        return self.paths("copied")

    @property
    def updated(self) -> list[str]:
        return self.paths("updated")

    @property
    def deleted(self) -> list[str]:
        return self.paths("deleted")

    @property
    def moved(self) -> list[str]:
        """New paths of the files moved on the destination (``--track-renames``)."""
        return self.paths("moved")

    @property
    def skipped(self) -> list[str]:
        return self.paths("skipped")

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome in ("failed", "cancelled")]

    @property
    def errors(self) -> dict[str, str]:
        return {o.path: o.error or o.outcome for o in self.failed}

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    @property
    def bytes_transferred(self) -> int:
        return sum(o.bytes for o in self.outcomes if o.outcome in ("copied", "updated"))

    @property
    def duration(self) -> float:
        return max(0.0, self.finished - self.started)

    def summary(self) -> str:
        """The outcome in one line: counts, size moved, time and both rates, then skipped deletions and warnings."""
        c = self.counts
        text = (
            f"copied {c['copied']}, updated {c['updated']}, deleted {c['deleted']}, "
            f"skipped {c['skipped'] + c['not_deleted']}, failed {c['failed']}"
        )
        if c["cancelled"]:
            text += f", cancelled {c['cancelled']}"
        if c["moved"]:
            text += f", moved {c['moved']} (on the destination, no bytes copied)"
        moved = self.bytes_transferred
        text += (f"; {human_bytes(moved)} in {self.duration:.2f} s "
                 f"({human_rates(moved, c['copied'] + c['updated'], self.duration)})")
        if self.deletes_skipped:
            text += f"; deletions skipped: {self.deletes_skipped}"
        if self.aborted_uploads:
            n = self.aborted_uploads
            text += f"; aborted {n} unfinished upload{'' if n == 1 else 's'} of an interrupted run"
        for w in self.warnings:
            text += f"; warning: {w}"
        return text

    def error_message(self) -> str:
        """One sentence naming the failed paths (the first five) and what else happened."""
        first = "; ".join(f"{o.path}: {o.error}" for o in self.failed[:5])
        more = f" (and {len(self.failed) - 5} more)" if len(self.failed) > 5 else ""
        c = self.counts
        done = f"copied {c['copied']}, updated {c['updated']}, deleted {c['deleted']}"
        skipped = f"; deletions skipped: {self.deletes_skipped}" if self.deletes_skipped else ""
        return f"{len(self.failed)} path(s) failed: {first}{more} ({done}{skipped}; the error's .result has every path)."

    def raise_for_errors(self) -> "SyncResult":
        """Raise ``SyncError`` (a ``RuntimeError``) carrying this result, if any path failed."""
        if self.failed:
            raise SyncError(self.error_message(), self)
        return self

    # -- the keys of the dict fsspeckit 0.25 returned ---------------------
    #: ``added_files``: relative paths copied or updated; ``deleted_files``:
    #: relative paths deleted. Both sorted, as 0.25's ``sync_dir`` gave them.
    PEER_KEYS = ("added_files", "deleted_files")

    def _peer_value(self, key: str) -> list[str]:
        if key == "added_files":
            return sorted(self.paths("copied", "updated"))
        return sorted(self.paths("deleted"))

    def __getitem__(self, key):
        if isinstance(key, str) and key in self.PEER_KEYS:
            return self._peer_value(key)
        if isinstance(key, (int, slice)):
            return self.outcomes[key]
        raise KeyError(f"{key!r}: a sync result answers {', '.join(map(repr, self.PEER_KEYS))} "
                       "(and has .copied, .updated, .deleted, .failed, .outcomes)")

    def __contains__(self, item) -> bool:
        if isinstance(item, str):
            return item in self.PEER_KEYS
        return item in self.outcomes

    def keys(self) -> list[str]:
        return list(self.PEER_KEYS)

    def values(self) -> list[list[str]]:
        return [self._peer_value(k) for k in self.PEER_KEYS]

    def items(self) -> list[tuple[str, list[str]]]:
        return [(k, self._peer_value(k)) for k in self.PEER_KEYS]

    def get(self, key, default=None):
        return self._peer_value(key) if key in self.PEER_KEYS else default

    # -- export -----------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": "fsspeckit-report",
            "version": 1,
            "src_url": self.src_url,
            "dst_url": self.dst_url,
            "started": self.started,
            "finished": self.finished,
            "duration": self.duration,
            "dry_run": self.dry_run,
            "cancelled": self.cancelled,
            "deletes_skipped": self.deletes_skipped,
            "max_transfer_reached": self.max_transfer_reached,
            "cleaned_partials": self.cleaned_partials,
            "aborted_uploads": self.aborted_uploads,
            "warnings": list(self.warnings),
            "counts": self.counts,
            "bytes_transferred": self.bytes_transferred,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_csv(self) -> str:
        buf = io.StringIO()
        fields = ["path", "action", "outcome", "bytes", "attempts", "error", "seconds", "backup"]
        w = csv.DictWriter(buf, fieldnames=fields)
        w.writeheader()
        for o in self.outcomes:
            w.writerow(o.to_dict())
        return buf.getvalue()

    def save(self, path: str) -> None:
        """Write the report; ``.csv`` gives CSV, anything else JSON."""
        text = self.to_csv() if str(path).lower().endswith(".csv") else self.to_json()
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    @classmethod
    def from_dict(cls, d: dict) -> "SyncResult":
        outcomes = [Outcome(**o) for o in d.get("outcomes", [])]
        return cls(outcomes, d.get("src_url", ""), d.get("dst_url", ""), d.get("started", 0.0),
                   d.get("finished", 0.0), d.get("dry_run", False), d.get("cancelled", False),
                   d.get("deletes_skipped"), d.get("cleaned_partials", 0), d.get("aborted_uploads", 0),
                   list(d.get("warnings", [])), d.get("max_transfer_reached", False))

    def merge(self, others: Iterable["SyncResult"]) -> "SyncResult":
        for r in others:
            self.outcomes.extend(r.outcomes)
            self.warnings.extend(r.warnings)
        return self
