"""The built-in demo: a hive-partitioned source and a diverged destination.

``build_demo(root)`` writes both trees under ``root`` with fixed contents and
fixed modification times, so every run (and every test) sees the same plan:
new, changed, conflicting, identical and destination-only files.

The partitions hold real Parquet files (orders with a few hundred rows each)
when pyarrow is installed, so the layout screen has rows, schemas and one
finding to show: June 2024 gained a ``discount`` column. Without pyarrow they
are placeholder bytes of the same names.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["build_demo", "DEMO_NOW"]

#: The demo's "now": every file is dated before it.
DEMO_NOW = datetime(2025, 1, 15, 9, 30, tzinfo=timezone.utc)

REGIONS = ("apac", "eu", "us")


def _blob(seed: str, size: int) -> bytes:
    """Deterministic pseudo-random bytes (looks like a binary file)."""
    out = bytearray()
    block = seed.encode()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def _parquet(seed: str, rows: int, *, discount: bool = False) -> bytes | None:
    """A small, deterministic Parquet file of orders (None when pyarrow is missing)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    base = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big")
    ids = [base % 1_000_000 * 1000 + i for i in range(rows)]
    columns = {
        "order_id": pa.array(ids, pa.int64()),
        "customer_id": pa.array([(n * 7919) % 100_000 for n in ids], pa.int32()),
        "amount": pa.array([round(5 + (n * 37 % 99_500) / 100, 2) for n in ids], pa.float64()),
        "status": pa.array([("paid", "shipped", "returned")[n % 3] for n in ids]),
    }
    if discount:
        columns["discount"] = pa.array([(n % 4) * 0.05 for n in ids], pa.float64())
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _part(rel: str, size: int, *, old: bool = False) -> bytes:
    """A partition file: Parquet with about ``size / 40`` rows, or placeholder bytes."""
    drift = "year=2024/month=06/" in rel
    data = _parquet(rel + ("-old" if old else ""), max(50, size // 40), discount=drift)
    return data if data is not None else _blob(rel + ("-old" if old else ""), size)


def _csv(rows: int, seed: int) -> bytes:
    lines = ["customer_id,name,country,since"]
    countries = ("DE", "FR", "US", "JP", "BR", "IN")
    for i in range(rows):
        n = (i * 7919 + seed) % 100000
        lines.append(f"{n},Customer {n},{countries[(i + seed) % len(countries)]},20{10 + i % 14:02d}-0{1 + i % 9}-1{i % 9}")
    return ("\n".join(lines) + "\n").encode()


def _stamp(year: int, month: int, day: int = 1, hour: int = 2) -> float:
    return datetime(year, month, day, hour, 0, tzinfo=timezone.utc).timestamp()


def _write(root: Path, rel: str, data: bytes, mtime: float) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def _source_files() -> dict[str, tuple[bytes, float]]:
    files: dict[str, tuple[bytes, float]] = {}
    for year in (2023, 2024):
        for month in range(1, 13):
            for i, region in enumerate(REGIONS):
                rel = f"sales/year={year}/month={month:02d}/region={region}/part-0.parquet"
                size = 18_000 + ((year * 31 + month * 17 + i * 1013) % 40) * 1_000
                files[rel] = (_part(rel, size), _stamp(year, month, 28, 3 + i))
    files["customers/customers.csv"] = (_csv(400, 1), _stamp(2024, 12, 20))
    files["customers/segments.json"] = (json.dumps({"segments": ["retail", "wholesale", "online"]}, indent=2).encode(), _stamp(2024, 6, 1))
    for day in range(1, 8):
        rel = f"exports/daily/2025-01-{day:02d}.json"
        body = {"date": f"2025-01-{day:02d}", "orders": 100 + day * 13, "revenue": 12_000 + day * 977}
        files[rel] = (json.dumps(body).encode(), _stamp(2025, 1, day, 23))
    files["README.md"] = (b"# Sales data lake\n\nPartitioned by year, month and region.\n", _stamp(2023, 1, 2))
    return files


def build_demo(root: str | os.PathLike) -> tuple[Path, Path]:
    """Write the demo's source and destination under ``root``; return both folders.

    Against the source, the destination has: 2024's last quarter missing (new),
    September 2024 rewritten earlier (changed), ``customers.csv`` edited later
    on the destination (conflict), two files the source no longer has
    (destination only), and everything else identical.
    """
    root = Path(root)
    src = root / "source"
    dst = root / "destination"
    files = _source_files()
    for rel, (data, mtime) in files.items():
        _write(src, rel, data, mtime)
    for rel, (data, mtime) in files.items():
        if "year=2024/" in rel and any(f"/month={m}/" in rel for m in ("10", "11", "12")):
            continue  # new in the source
        if rel.startswith("exports/daily/2025-01-0") and rel[-6] in "67":
            continue  # the last two exports are new too
        if "year=2024/month=09/" in rel:
            size = 18_000 + len(rel) * 300
            _write(dst, rel, _part(rel, size - 2_500, old=True), mtime - 86_400 * 20)  # changed
            continue
        if rel == "customers/customers.csv":
            _write(dst, rel, _csv(380, 2), mtime + 86_400 * 3)  # edited on the destination: conflict
            continue
        _write(dst, rel, data, mtime)  # identical
    old = "sales/year=2022/month=12/region=eu/part-0.parquet"
    _write(dst, old, _part(old, 21_000), _stamp(2022, 12, 28))
    _write(dst, "exports/daily/2024-12-31.json", b'{"date": "2024-12-31", "orders": 97}', _stamp(2024, 12, 31, 23))
    return src, dst
