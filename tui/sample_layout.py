"""A generated Parquet layout with known defects: for the layout screen's screenshots and the tests.

``write_sample_layout(fs, root, defects)`` writes ``year=2023/month=01..12`` and
``year=2024/month=01..06`` (three Parquet files of 4,000 rows each) through
any fsspec filesystem, with the chosen ``DEFECTS`` mixed in; the same seed
gives the same bytes every time. Needs pyarrow.
"""

from __future__ import annotations

import io
import random

__all__ = ["DEFECTS", "EXPECTED_KINDS", "write_sample_layout"]

#: Each defect and the finding kind ``check_layout`` reports for it.
EXPECTED_KINDS = {
    "drift": "schema_drift",  # year=2023/month=08: a column added, one retyped
    "gap": "gap",  # year=2023/month=05 missing
    "small_files": "small_files",  # year=2024/month=02: 500 files of one row
    "skew": "skew",  # year=2023/month=10: ten times the rows
    "depth": "mixed_depth",  # year=2024/month=04 written as month=04/year=2024
    "empty": "empty_partition",  # year=2024/month=06 holds only an empty _SUCCESS
    "default": "default_partition",  # year=2024/month=__HIVE_DEFAULT_PARTITION__
    "plain_folder": "non_hive_folder",  # backup/ beside the year=... folders
}
DEFECTS = tuple(EXPECTED_KINDS)
ROWS = 4_000
FILES = 3


def _table(rows: int, seed: int, drift: bool = False):
    import pyarrow as pa

    r = random.Random(seed)
    cols = {
        "order_id": pa.array([r.getrandbits(62) for _ in range(rows)], pa.int64()),
        "amount": pa.array([round(r.uniform(1, 500), 2) for _ in range(rows)],
                           pa.float32() if drift else pa.float64()),
        "country": pa.array([r.choice(("DE", "FR", "US", "JP")) for _ in range(rows)]),
    }
    if drift:
        cols["discount"] = pa.array([0.1] * rows)
    return pa.table(cols)


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def sample_files(defects=DEFECTS) -> dict[str, bytes]:
    """Relative path -> bytes of the sample layout with ``defects`` (see ``EXPECTED_KINDS``)."""
    unknown = set(defects) - set(DEFECTS)
    if unknown:
        raise ValueError(f"unknown defects: {', '.join(sorted(unknown))}")
    files: dict[str, bytes] = {"_SUCCESS": b""}
    months = [(2023, m) for m in range(1, 13)] + [(2024, m) for m in range(1, 7)]
    for year, month in months:
        folder = f"year={year}/month={month:02d}"
        seed = year * 100 + month
        if "gap" in defects and (year, month) == (2023, 5):
            continue
        if "small_files" in defects and (year, month) == (2024, 2):
            for i in range(500):
                files[f"{folder}/part-{i:03d}.parquet"] = _parquet(_table(1, seed * 1000 + i))
            continue
        if "depth" in defects and (year, month) == (2024, 4):
            folder = f"month={month:02d}/year={year}"
        if "empty" in defects and (year, month) == (2024, 6):
            files[f"{folder}/_SUCCESS"] = b""
            continue
        rows = ROWS * 10 if "skew" in defects and (year, month) == (2023, 10) else ROWS
        drift = "drift" in defects and (year, month) == (2023, 8)
        for k in range(FILES):
            files[f"{folder}/part-{k}.parquet"] = _parquet(_table(rows, seed * 10 + k, drift))
    if "default" in defects:
        for k in range(FILES):
            files[f"year=2024/month=__HIVE_DEFAULT_PARTITION__/part-{k}.parquet"] = _parquet(_table(ROWS, 7000 + k))
    if "plain_folder" in defects:
        files["backup/orders-old.parquet"] = _parquet(_table(ROWS, 9000))
    return files


def write_sample_layout(fs, root: str, defects=DEFECTS) -> dict[str, bytes]:
    """Write the sample layout under ``root`` on ``fs`` (``pipe_file`` per file); return what was written."""
    files = sample_files(defects)
    root = root.rstrip("/")
    for rel, data in files.items():
        path = f"{root}/{rel}" if root else rel
        parent = path.rsplit("/", 1)[0]
        if parent and hasattr(fs, "makedirs"):
            fs.makedirs(parent, exist_ok=True)
        fs.pipe_file(path, data)
    return files
