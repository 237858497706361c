"""Parquet-aware partition summaries read from footers (local and S3)."""

from __future__ import annotations

import io
import json
import sys

import pytest

import fsspeckit
from fsspeckit import list_tree
from fsspeckit.partitions.parquet import compare_parquet_schemas, parquet_footer, parquet_summary

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def table(n: int, extra: bool = False) -> "pa.Table":
    cols = {"id": pa.array(range(n), pa.int64()), "name": pa.array([f"n{i}" for i in range(n)])}
    if extra:
        cols["score"] = pa.array([0.5] * n)
    return pa.table(cols)


def parquet_bytes(t) -> bytes:
    buf = io.BytesIO()
    pq.write_table(t, buf, row_group_size=10)
    return buf.getvalue()


@pytest.fixture
def trees(local_tree):
    src = local_tree({
        "year=2023/month=01/part-0.parquet": parquet_bytes(table(25)),
        "year=2023/month=01/part-1.parquet": parquet_bytes(table(5)),
        "year=2023/month=02/part-0.parquet": parquet_bytes(table(7, extra=True)),
        "year=2023/month=03/part-0.parquet": parquet_bytes(table(3)),
        "year=2023/month=03/notes.txt": b"not parquet",
        "year=2023/month=04/broken.parquet": b"PAR1 nope",
    }, name="src")
    dst = local_tree({
        "year=2023/month=01/part-0.parquet": parquet_bytes(table(25)),
        "year=2023/month=02/part-0.parquet": parquet_bytes(table(7)),  # older schema: no 'score'
        "year=2022/month=12/part-0.parquet": parquet_bytes(table(1)),
    }, name="dst")
    return src, dst


def test_summary_reads_rows_and_schemas(trees):
    src, _ = trees
    fs = fsspeckit.filesystem("/")
    summary = parquet_summary(fs, list_tree(fs, str(src)))
    assert list(summary) == ["year=2023/month=01", "year=2023/month=02", "year=2023/month=03", "year=2023/month=04"]
    jan = summary["year=2023/month=01"]
    assert (jan.files, jan.rows, jan.consistent) == (2, 30, True)
    assert "id: int64" in jan.schema and "score" not in jan.schema
    assert "score: double" in summary["year=2023/month=02"].schema
    broken = summary["year=2023/month=04"]
    assert broken.rows == 0 and len(broken.errors) == 1 and broken.schemas == ()
    assert json.loads(json.dumps({p: s.to_dict() for p, s in summary.items()}))
    only = parquet_summary(fs, list_tree(fs, str(src)), partitions="month>=2 and month<=3")
    assert list(only) == ["year=2023/month=02", "year=2023/month=03"]


def test_compare_schemas_between_sides(trees):
    src, dst = trees
    fs = fsspeckit.filesystem("/")
    cmp = compare_parquet_schemas(fs, list_tree(fs, str(src)), fs, list_tree(fs, str(dst)))
    assert cmp["year=2023/month=01"].schemas_differ is False and cmp["year=2023/month=01"].rows_differ
    assert cmp["year=2023/month=02"].schemas_differ is True
    assert cmp["year=2022/month=12"].src is None and not cmp["year=2022/month=12"].schemas_differ
    assert cmp["year=2023/month=03"].dst is None


def test_footer_and_summary_on_s3(s3):
    data = parquet_bytes(table(2000))
    s3.fs.pipe(s3.path("t/year=2024/part-0.parquet"), data)
    fs = fsspeckit.filesystem(s3.url("t"), storage_options=s3.options)
    footer = parquet_footer(fs, "year=2024/part-0.parquet")
    assert (footer.rows, footer.row_groups, footer.error) == (2000, 200, None)
    summary = parquet_summary(fs, list_tree(fs, ""), max_workers=2)
    assert summary["year=2024"].rows == 2000


def test_missing_pyarrow_gives_an_install_hint(monkeypatch, trees):
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    fs = fsspeckit.filesystem("/")
    with pytest.raises(ImportError, match=r"pip install 'fsspeckit\[parquet\]'"):
        parquet_summary(fs, list_tree(fs, str(trees[0])))
