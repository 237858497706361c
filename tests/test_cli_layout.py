"""``fsspeckit-tui partitions``: --parquet contents, --check findings and exit codes, SRC DST compared, --json."""

from __future__ import annotations

import json

import pytest

from tui import cli

pytest.importorskip("pyarrow")

from tui.sample_layout import DEFECTS, EXPECTED_KINDS, sample_files, write_sample_layout  # noqa: E402

pytestmark = pytest.mark.usefixtures("config")


@pytest.fixture
def lake(local_tree):
    return local_tree(sample_files(DEFECTS), "lake")


@pytest.fixture
def healthy(local_tree):
    return local_tree(sample_files(()), "healthy")


def test_parquet_contents_per_key_and_folder(capsys, healthy, run):
    code, out, err = run("partitions", str(healthy), "--parquet", "--folders")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("2 partition keys; 54 Parquet files, 216,000 rows, 1 schema")
    row_2023 = next(line for line in lines if line.strip().startswith("2023 "))
    assert "144,000 rows" in row_2023 and "36 rg" in row_2023 and "schema " in row_2023
    jan = next(line for line in lines if "year=2023/month=01" in line)
    assert "12,000 rows" in jan
    code, out, _ = run("partitions", str(healthy))  # without --parquet: no rows, no footer read
    assert code == 0 and "rows" not in out


def test_schema_and_stats_on_demand(capsys, lake, run):
    code, out, _ = run("partitions", str(lake), "--parquet", "--schema", "--stats",
                       "--partitions", "year=2023 and month=08")
    assert code == 0
    assert "(partitions: year=2023 and month=08)" in out.splitlines()[0]
    assert "  discount: double" in out and "  amount: float" in out
    assert "order_id: " in out and "country: DE .. US" in out


def test_check_reports_every_defect_and_exits_1(capsys, lake, healthy, run):
    code, out, _ = run("partitions", str(lake), "--parquet", "--check")
    assert code == 1
    for kind in EXPECTED_KINDS.values():
        assert f"  {kind.replace('_', ' ')}: " in out, kind
    assert "8 findings:" in out
    assert "added discount (double); retyped amount double → float" in out
    code, out, _ = run("partitions", str(lake), "--parquet")  # findings counted, exit 0 without --check
    assert code == 0 and "8 layout findings (see them with --check)" in out
    code, out, _ = run("partitions", str(healthy), "--parquet", "--check")
    assert code == 0 and out.splitlines()[-1].endswith("no findings")


def test_check_json(capsys, lake, run):
    code, out, _ = run("partitions", str(lake), "--parquet", "--check", "--json")
    assert code == 1
    data = json.loads(out)
    assert sorted(f["kind"] for f in data["findings"]) == sorted(EXPECTED_KINDS.values())
    part = next(p for p in data["partitions"] if p["path"] == "year=2023/month=10")
    assert part["rows"] == 120_000 and part["row_groups"] == 3 and part["compressed_bytes"] > 0
    assert part["stats"]["country"]["min"] == "DE"
    assert len(data["schemas"]) == 2 and data["keys"]["year"]["2023"]["rows"] is not None


def test_thresholds_from_the_command_line(capsys, lake, run):
    code, out, _ = run("partitions", str(lake), "--parquet", "--check", "--small-file-count", "501",
                       "--skew-factor", "20")
    assert "small files:" not in out and "skew:" not in out and code == 1
    code, _, err = run("partitions", str(lake), "--small-file-size", "lots")
    assert code == 2 and "is not a size" in err
    code, _, err = run("partitions", str(lake), "--skew-factor", "1")
    assert code == 2 and "more than 1" in err
    code, _, err = run("partitions", str(lake), "--small-file-count", "1", "--check")
    assert code == 2 and "2 or more" in err
    code, _, err = run("partitions", str(lake), "--partitions", "year >>= 2")
    assert code == 2 and "Traceback" not in err
    code, out, _ = run("partitions", str(lake), "--small-file-size", "500KB", "--check")
    assert code == 1


def _migrate(src_root, dst_fs, dst_root):
    """A destination with one partition missing, one extra, one with fewer rows, one drifted."""
    files = {rel: (src_root / rel).read_bytes() for rel in sample_files(()).keys()}
    del files["year=2023/month=03/part-0.parquet"], files["year=2023/month=03/part-1.parquet"]
    del files["year=2023/month=03/part-2.parquet"]
    files["year=2022/month=12/part-0.parquet"] = files["year=2023/month=01/part-0.parquet"]
    files["year=2023/month=04/part-2.parquet"] = sample_files(("small_files",))["year=2024/month=02/part-000.parquet"]
    drifted = sample_files(("drift",))
    for k in range(3):
        files[f"year=2023/month=08/part-{k}.parquet"] = drifted[f"year=2023/month=08/part-{k}.parquet"]
    for rel, data in files.items():
        dst_fs.pipe_file(f"{dst_root}/{rel}", data)


def test_two_sides_compared_local_vs_s3(capsys, healthy, s3, run):
    _migrate(healthy, s3.fs, s3.path("mirror"))
    dst = s3.url("mirror")
    opt = f"endpoint_url={s3.endpoint}"
    code, out, err = run("partitions", str(healthy), dst, "--dst-option", opt, "--parquet")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (f"{healthy} → {dst}: 20 partitions: 1 only in source, 1 only in destination, "
                        "2 differing, 16 identical")
    by_path = {}
    for line in lines[1:]:
        if line.startswith("  ") and "=" in line:
            parts = line.split()
            path = next(p for p in parts if "=" in p and "/" in p)
            by_path[path] = line
    assert by_path["year=2023/month=03"].strip().startswith("only in source")
    assert by_path["year=2022/month=12"].strip().startswith("only in destination")
    assert "rows 12,000 → 8,001" in by_path["year=2023/month=04"]
    assert by_path["year=2023/month=08"].strip().startswith("differing") and "schema " in by_path["year=2023/month=08"]
    assert by_path["year=2023/month=01"].strip().startswith("identical")
    code, out, _ = run("partitions", str(healthy), dst, "--dst-option", opt, "--parquet", "--check")
    assert code == 1
    code, out, _ = run("partitions", str(healthy), dst, "--dst-option", opt, "--parquet", "--check",
                       "--partitions", "year=2023 and month in (01, 02, 05, 06)")
    assert code == 0 and "4 partitions: 0 only in source, 0 only in destination, 0 differing, 4 identical" in out
    code, out, _ = run("partitions", str(healthy), dst, "--dst-option", opt, "--parquet", "--json",
                       "--partitions", "month=08")
    data = json.loads(out)
    assert data["comparison"]["counts"] == {"only_src": 0, "only_dst": 0, "differing": 1, "identical": 0}
    aug = next(p for p in data["comparison"]["partitions"] if p["path"] == "year=2023/month=08")
    assert aug["differences"] == ["bytes", "schema"] and aug["status"] == "differing"
    assert data["findings"]["destination"] == []  # in scope, the drifted partition is alone: no majority to drift from
    # Without --parquet: files and bytes only, and said so.
    code, out, _ = run("partitions", str(healthy), dst, "--dst-option", opt)
    assert "add --parquet for rows and schemas" in out.splitlines()[0]


def test_missing_side_and_missing_pyarrow(capsys, healthy, monkeypatch, run):
    import sys

    code, _, err = run("partitions", str(healthy), str(healthy / "nope"))
    assert code == 4 and "does not exist" in err
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    code, _, err = run("partitions", str(healthy), "--parquet")
    assert code == 1 and "pip install 'fsspeckit[parquet]'" in err and "Traceback" not in err


def test_sample_layout_through_memory_urls(capsys, run):
    import fsspec

    fs = fsspec.filesystem("memory")
    write_sample_layout(fs, "/cli-sample", ("gap",))
    code, out, _ = run("partitions", "memory://cli-sample", "--check")
    assert code == 1 and "gap: 1 month missing" in out and "year=2023/month=05" in out
    fs.rm("/cli-sample", recursive=True)
