"""Check: compare two trees file by file, as ``rclone check`` does, without writing.

Every path is missing on the destination, missing on the source, differing
(sizes, or a content hash: the stores' own MD5 where both sides have one, a
streamed MD5 otherwise) or matching. Each difference says why, and the result
counts which hash each comparison used.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import fsspec

from ..backends.filesystem import unwrap
from ..backends.transfer import file_md5
from ..exceptions import SourceNotFoundError
from ..listing.tree import list_tree
from ..model.defaults import DEFAULT_WORKERS
from ..model.entries import Entry, Listing, join_path
from ..planning.filters import Filters, selection
from ..planning.plan import SyncOptions
from .sync import url_of

logger = logging.getLogger(__name__)

__all__ = ["Difference", "CheckResult", "check_trees"]

DiffKind = Literal["missing_on_dst", "missing_on_src", "differ", "error"]

#: rclone's ``--combined`` marks: ``+`` only in the source (missing on the
#: destination), ``-`` only in the destination, ``*`` differ, ``!`` error, ``=`` match.
MARKS = {"missing_on_dst": "+", "missing_on_src": "-", "differ": "*", "error": "!", "match": "="}


@dataclass(frozen=True, slots=True)
class Difference:
    """One path that is not the same on both sides, and why."""

    path: str
    kind: DiffKind
    reason: str

    @property
    def mark(self) -> str:
        return MARKS[self.kind]

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "reason": self.reason}


@dataclass
class CheckResult:
    """The outcome of ``check_trees``."""

    src_url: str
    dst_url: str
    differences: list[Difference] = field(default_factory=list)
    matching: list[str] = field(default_factory=list)
    size_only: bool = False
    one_way: bool = False
    #: How the same-size pairs were compared: {"MD5 (native)": n, "MD5 (streamed)": n, ...}.
    methods: Counter = field(default_factory=Counter)
    #: Keys skipped by the listings (folder markers, ``a//b``), per side.
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)
    dst_exists: bool = True
    #: Paths the filters left out (neither compared nor reported).
    excluded: int = 0
    #: Same-size pairs were compared by reading both sides' bytes.
    download: bool = False

    def of_kind(self, kind: str) -> list[Difference]:
        return [d for d in self.differences if d.kind == kind]

    @property
    def missing_on_dst(self) -> list[str]:
        return [d.path for d in self.of_kind("missing_on_dst")]

    @property
    def missing_on_src(self) -> list[str]:
        return [d.path for d in self.of_kind("missing_on_src")]

    @property
    def differ(self) -> list[Difference]:
        return self.of_kind("differ")

    @property
    def errors(self) -> list[Difference]:
        return self.of_kind("error")

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        parts = [f"{len(self.differences)} difference{'s' if len(self.differences) != 1 else ''} found"]
        detail = []
        for kind, label in (("missing_on_dst", "missing on destination"), ("missing_on_src", "missing on source"),
                            ("differ", "differing"), ("error", "errors")):
            n = len(self.of_kind(kind))
            if n:
                detail.append(f"{n} {label}")
        if detail:
            parts[0] += f" ({', '.join(detail)})"
        parts.append(f"{len(self.matching)} matching file{'s' if len(self.matching) != 1 else ''}")
        if self.excluded:
            parts.append(f"{self.excluded} left out by the filters")
        if self.methods:
            parts.append("compared by " + ", ".join(f"{k}: {v}" for k, v in sorted(self.methods.items())))
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "format": "fsspeckit-check",
            "version": 1,
            "src_url": self.src_url,
            "dst_url": self.dst_url,
            "ok": self.ok,
            "size_only": self.size_only,
            "one_way": self.one_way,
            "counts": {
                "differences": len(self.differences),
                "missing_on_dst": len(self.of_kind("missing_on_dst")),
                "missing_on_src": len(self.of_kind("missing_on_src")),
                "differ": len(self.of_kind("differ")),
                "errors": len(self.of_kind("error")),
                "matching": len(self.matching),
            },
            "excluded": self.excluded,
            "download": self.download,
            "methods": dict(self.methods),
            "differences": [d.to_dict() for d in self.differences],
            "skipped": self.skipped,
        }


def check_trees(
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    src_path: str = "",
    dst_path: str = "",
    *,
    size_only: bool = False,
    one_way: bool = False,
    max_workers: int = DEFAULT_WORKERS,
    cancel: threading.Event | None = None,
    listings: tuple[Listing, Listing] | None = None,
    include=(),
    exclude=(),
    partitions=None,
    filters: Filters | None = None,
    download: bool = False,
) -> CheckResult:
    """Compare the tree at ``src_path`` with the one at ``dst_path``.

    Sizes first; with equal sizes, the content: both stores' own MD5 when both
    listings carry one (S3 single-part ETag, GCS ``md5Hash``), both CRC32C on
    GCS pairs, otherwise an MD5 streamed from the side(s) lacking it.
    ``size_only`` stops at sizes. ``one_way`` does not report files that are
    only on the destination. A missing source raises ``SourceNotFoundError``;
    a missing destination makes every source file missing there.

    ``include``/``exclude``/``partitions``/``filters`` scope the check as they
    scope a sync: a path they leave out is neither compared nor reported (so a
    check after a partition-scoped sync reports nothing outside it).
    ``download`` compares same-size pairs by reading both sides' bytes instead
    of by hashes.
    """
    if listings is None:
        src = list_tree(src_fs, src_path, role="source")
        dst = list_tree(dst_fs, dst_path, role="destination")
    else:
        src, dst = listings
    result = CheckResult(url_of(src_fs, src_path), url_of(dst_fs, dst_path), size_only=size_only, one_way=one_way,
                         download=download)
    keep = _scope(include, exclude, partitions, filters)
    if not src.exists:
        raise SourceNotFoundError(f"The source {result.src_url} does not exist; nothing to check. Check the path.")
    result.dst_exists = dst.exists
    if src.skipped:
        result.skipped["source"] = dict(src.skipped)
    if dst.skipped:
        result.skipped["destination"] = dict(dst.skipped)

    to_hash: list[tuple[str, Entry, Entry]] = []
    for path in sorted(src.entries.keys() | dst.entries.keys()):
        s = src.entries.get(path)
        d = dst.entries.get(path)
        if keep is not None and not keep(path, s, d):
            result.excluded += 1
        elif d is None:
            result.differences.append(Difference(path, "missing_on_dst", "missing on destination"))
        elif s is None:
            if not one_way:
                result.differences.append(Difference(path, "missing_on_src", "missing on source"))
        elif s.size != d.size:
            result.differences.append(Difference(path, "differ", f"sizes differ ({s.size} vs {d.size} bytes)"))
        elif size_only:
            result.matching.append(path)
            result.methods["size"] += 1
        elif download:
            to_hash.append((path, s, d))
        elif s.md5 and d.md5:
            _record(result, path, s.md5 == d.md5, "MD5", "MD5 (native)")
        elif s.crc32c and d.crc32c and not (s.md5 or d.md5):
            _record(result, path, s.crc32c == d.crc32c, "CRC32C", "CRC32C (native)")
        else:
            to_hash.append((path, s, d))

    if to_hash and download:
        _byte_pairs(src_fs, dst_fs, src, dst, to_hash, result, max_workers, cancel)
    elif to_hash:
        _hash_pairs(src_fs, dst_fs, src, dst, to_hash, result, max_workers, cancel)
    result.differences.sort(key=lambda x: x.path)
    result.matching.sort()
    return result


def _scope(include, exclude, partitions, filters):
    options = SyncOptions(include=include, exclude=exclude, filters=filters,
                          partitions=partitions if isinstance(partitions, str) else None)
    return selection(options, partitions if callable(partitions) else None)


def _record(result: CheckResult, path: str, same: bool, algo: str, method: str) -> None:
    result.methods[method] += 1
    if same:
        result.matching.append(path)
    else:
        result.differences.append(Difference(path, "differ", f"{algo} differs"))


def _hash_pairs(src_fs, dst_fs, src: Listing, dst: Listing, pairs, result: CheckResult, max_workers: int,
                cancel: threading.Event | None) -> None:
    src_b, _ = unwrap(src_fs, "")
    dst_b, _ = unwrap(dst_fs, "")

    def work(item):
        path, s, d = item
        try:
            a = s.md5 or file_md5(src_b, join_path(src.root, path), cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - reported as an error row
            return path, None, None, f"the source file could not be read: {exc}"
        try:
            b = d.md5 or file_md5(dst_b, join_path(dst.root, path), cancel=cancel)
        except Exception as exc:  # noqa: BLE001
            return path, None, None, f"the destination file could not be read: {exc}"
        streamed = "both" if not (s.md5 or d.md5) else ("source" if not s.md5 else "destination")
        return path, a == b, streamed, None

    with cf.ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fsspeckit-check") as pool:
        for path, same, streamed, error in pool.map(work, pairs):
            if error is not None:
                result.differences.append(Difference(path, "error", error))
                continue
            method = "MD5 (streamed)" if streamed == "both" else f"MD5 (native + streamed on {streamed})"
            _record(result, path, same, "MD5", method)


def _same_bytes(src_b, src_file: str, dst_b, dst_file: str, cancel) -> bool:
    """Read both files side by side; False at the first chunk that differs."""
    with src_b.open(src_file, "rb") as a, dst_b.open(dst_file, "rb") as b:
        while True:
            if cancel is not None and cancel.is_set():
                raise InterruptedError("cancelled")
            x, y = a.read(BYTES_CHUNK), b.read(BYTES_CHUNK)
            if x != y:
                return False
            if not x:
                return True


BYTES_CHUNK = 1 << 20


def _byte_pairs(src_fs, dst_fs, src: Listing, dst: Listing, pairs, result: CheckResult, max_workers: int,
                cancel: threading.Event | None) -> None:
    src_b, _ = unwrap(src_fs, "")
    dst_b, _ = unwrap(dst_fs, "")

    def work(item):
        path, _s, _d = item
        try:
            return path, _same_bytes(src_b, join_path(src.root, path), dst_b, join_path(dst.root, path), cancel), None
        except Exception as exc:  # noqa: BLE001 - reported as an error row
            return path, None, f"could not be read: {exc}"

    with cf.ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fsspeckit-check") as pool:
        for path, same, error in pool.map(work, pairs):
            if error is not None:
                result.differences.append(Difference(path, "error", error))
                continue
            result.methods["bytes (downloaded)"] += 1
            if same:
                result.matching.append(path)
            else:
                result.differences.append(Difference(path, "differ", "contents differ (bytes compared)"))
