"""Workload trees: generate them locally and on S3, change them for an incremental run, check copies.

A workload is a list of (relative path, size) with deterministic content
(seeded random bytes), written once per run under the work folder and, for S3
sources, uploaded once under ``src/<name>/`` in the bucket. ``Mutation`` turns
a source into its "incremental" version (1 % changed with the same size, 1 %
added, 1 % deleted) and back again, so every contender meets the same tree.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from dataclasses import dataclass, field

KiB, MiB = 1024, 1024 * 1024


@dataclass
class Workload:
    name: str
    files: dict[str, int]  # rel path -> size
    seed: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(self.files.values())

    def content(self, rel: str, version: int = 0) -> bytes:
        """Deterministic bytes for a file (version > 0: same size, other bytes)."""
        size = self.files.get(rel) or _ADDED_SIZE
        rng = random.Random(f"{self.seed}:{rel}:{version}")
        if size <= 64 * KiB:
            return rng.randbytes(size)
        block = rng.randbytes(MiB)  # large files: repeat a random MiB (cheap to make)
        reps, rest = divmod(size, len(block))
        return block * reps + block[:rest]


_ADDED_SIZE = 4 * KiB


def hive_small(n: int, size: int = 4 * KiB) -> Workload:
    """``n`` small files spread over hive folders year=/month=/day=."""
    files = {}
    for i in range(n):
        day = i % 336
        month, dom = day // 28 + 1, day % 28 + 1
        files[f"year=2024/month={month:02d}/day={dom:02d}/part-{i:05d}.bin"] = size
    return Workload(f"{n}x4KiB", files, seed=1)


def flat(n: int, size: int, name: str) -> Workload:
    return Workload(name, {f"batch={i % 10}/file-{i:04d}.bin": size for i in range(n)}, seed=2)


# -- writing and reading trees ------------------------------------------------

def write_local(w: Workload, root: str) -> None:
    if os.path.isdir(root) and _stamp_ok(root, w):
        return
    shutil.rmtree(root, ignore_errors=True)
    for rel in w.files:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(w.content(rel))
    with open(os.path.join(os.path.dirname(root.rstrip("/")), f".{os.path.basename(root.rstrip('/'))}.ok"), "w") as f:
        f.write(_fingerprint(w))


def _fingerprint(w: Workload) -> str:
    h = hashlib.sha1(f"{w.seed}".encode())
    for rel, size in sorted(w.files.items()):
        h.update(f"{rel}:{size}".encode())
    return h.hexdigest()


def _stamp_ok(root: str, w: Workload) -> bool:
    stamp = os.path.join(os.path.dirname(root.rstrip("/")), f".{os.path.basename(root.rstrip('/'))}.ok")
    try:
        with open(stamp) as f:
            return f.read() == _fingerprint(w)
    except OSError:
        return False


def upload(s3, w: Workload, local_root: str, prefix: str) -> None:
    """Put the local copy of ``w`` under ``prefix`` on S3 (bucket/prefix)."""
    s3.rm(prefix, recursive=True) if s3.exists(prefix) else None
    rels = list(w.files)
    s3.put([os.path.join(local_root, r) for r in rels], [f"{prefix}/{r}" for r in rels], batch_size=16)
    s3.invalidate_cache()


def clear(location: tuple[str, str], s3) -> None:
    kind, where = location
    if kind == "local":
        shutil.rmtree(where, ignore_errors=True)
    else:
        try:
            s3.rm(where, recursive=True)
        except FileNotFoundError:
            pass
        s3.invalidate_cache()


def listing(location: tuple[str, str], s3) -> dict[str, int]:
    kind, where = location
    out = {}
    if kind == "local":
        root = where.rstrip("/")
        for folder, _dirs, names in os.walk(root):
            for n in names:
                p = os.path.join(folder, n)
                out[os.path.relpath(p, root).replace(os.sep, "/")] = os.path.getsize(p)
        return out
    s3.invalidate_cache()
    try:
        found = s3.find(where, detail=True)
    except FileNotFoundError:
        return {}
    root = where.rstrip("/")
    return {k[len(root) + 1:]: int(v["size"]) for k, v in found.items() if k.startswith(root + "/")}


def read(location: tuple[str, str], rel: str, s3) -> bytes | None:
    kind, where = location
    try:
        if kind == "local":
            with open(os.path.join(where, rel), "rb") as f:
                return f.read()
        return s3.cat_file(f"{where.rstrip('/')}/{rel}")
    except (FileNotFoundError, OSError):
        return None


# -- incremental change --------------------------------------------------------

@dataclass
class Mutation:
    """1 % changed (same size), 1 % added, 1 % deleted, chosen deterministically."""

    w: Workload
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, w: Workload, share: float = 0.01) -> "Mutation":
        rels = sorted(w.files)
        k = max(1, int(len(rels) * share))
        rng = random.Random(7)
        picked = rng.sample(rels, 2 * k)
        added = [f"year=2025/month=01/day=01/new-{i:05d}.bin" for i in range(k)]
        return cls(w, picked[:k], added, picked[k:])

    @property
    def moved(self) -> int:
        return len(self.changed) + len(self.added) + len(self.deleted)

    @property
    def moved_bytes(self) -> int:
        return sum(self.w.files[r] for r in self.changed) + _ADDED_SIZE * len(self.added)

    def expected(self) -> dict[str, int]:
        out = dict(self.w.files)
        for r in self.deleted:
            out.pop(r)
        for r in self.added:
            out[r] = _ADDED_SIZE
        return out

    def apply(self, location: tuple[str, str], s3) -> None:
        self._write(location, s3, {r: self.w.content(r, 1) for r in self.changed + self.added}, self.deleted)

    def revert(self, location: tuple[str, str], s3) -> None:
        self._write(location, s3, {r: self.w.content(r) for r in self.changed + self.deleted}, self.added)

    @staticmethod
    def _write(location, s3, writes: dict[str, bytes], removes: list[str]) -> None:
        kind, where = location
        if kind == "local":
            for rel, data in writes.items():
                p = os.path.join(where, rel)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "wb") as f:
                    f.write(data)
            for rel in removes:
                try:
                    os.unlink(os.path.join(where, rel))
                except FileNotFoundError:
                    pass
            return
        root = where.rstrip("/")
        s3.pipe({f"{root}/{rel}": data for rel, data in writes.items()})
        if removes:
            s3.rm([f"{root}/{rel}" for rel in removes])
        s3.invalidate_cache()


def check(location, s3, expected: dict[str, int], spot: dict[str, bytes] | None = None) -> str:
    """Compare a destination with what it should hold; '' when right, else what is wrong."""
    got = listing(location, s3)
    missing = [r for r in expected if r not in got]
    extra = [r for r in got if r not in expected]
    wrong_size = [r for r in expected if r in got and got[r] != expected[r]]
    stale = []
    for rel, data in (spot or {}).items():
        if rel in got and read(location, rel, s3) != data:
            stale.append(rel)
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing")
    if extra:
        problems.append(f"{len(extra)} extra")
    if wrong_size:
        problems.append(f"{len(wrong_size)} wrong size")
    if stale:
        problems.append(f"{len(stale)} stale")
    return ", ".join(problems)
