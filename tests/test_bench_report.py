"""The benchmark's report: ratios, the fixed-cost table, and which rows count for which target.

Runs no contender: it renders synthetic samples.
"""

from __future__ import annotations

from benchmarks import run as R
from benchmarks.measure import RunStats


def _sample(wall: float, files: int = 1, nbytes: int = 4096, problem: str = "") -> R.Sample:
    return R.Sample(RunStats(wall=wall, cpu=wall, rss_mb=30.0, returncode=0), files, nbytes, problem)


def _results(rows: dict) -> R.Results:
    res = R.Results()
    for key, samples in rows.items():
        for s in samples:
            res.add(key, s)
    return res


def _render(res: R.Results) -> str:
    meta = {"quick": True, "reps": 1, "when": "now", "machine": "m", "command": "c", "elapsed": 1.0}
    return R.render(res, meta, [], None)


def test_fixed_cost_table_lists_each_tool_per_path_and_marks_wrong_results():
    res = _results({
        ("local→local", R.ONE_FILE, "initial", "cp -r"): [_sample(0.004)],
        ("local→local", R.ONE_FILE, "initial", "rclone"): [_sample(0.04)],
        ("local→local", R.ONE_FILE, "initial", "ours"): [_sample(0.09), _sample(0.11), _sample(0.10)],
        ("S3→local", R.ONE_FILE, "initial", "s5cmd"): [_sample(0.04, problem="1 missing")],
        ("S3→local", R.ONE_FILE, "initial", "ours"): [_sample(0.43)],
    })
    text = _render(res)
    section = text.split("## Fixed cost per run")[1].split("## Targets")[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    assert lines[0] == "| path | cp -r | rclone | s5cmd | ours |"
    assert lines[1] == "| local→local | 0.00 | 0.04 | – | **0.10** |"  # median of ours' three runs
    assert lines[2] == "| S3→local | – | – | wrong | **0.43** |"


def test_one_file_rows_are_not_a_large_file_target():
    res = _results({
        ("local→local", "1MiB", "initial", "cp -r"): [_sample(0.09, 200, 200 << 20)],
        ("local→local", "1MiB", "initial", "ours"): [_sample(0.15, 200, 200 << 20)],
        ("local→local", R.ONE_FILE, "initial", "cp -r"): [_sample(0.004)],
        ("local→local", R.ONE_FILE, "initial", "ours"): [_sample(0.09)],
    })
    targets = _render(res).split("## Targets")[1].split("## All contenders")[0]
    assert "local→local 1MiB: MiB/s ≥ best other (cp -r)" in targets
    assert "**missed** (1.67×)" in targets
    assert R.ONE_FILE not in targets


def test_without_one_file_rows_there_is_no_fixed_cost_section():
    res = _results({("local→local", "1MiB", "initial", "ours"): [_sample(0.15, 200, 200 << 20)]})
    assert "Fixed cost per run" not in _render(res)


def test_layout_benchmark_end_to_end_on_a_small_layout():
    """The layout benchmark itself: a seeded moto server, the child's summary, the answer checked."""
    import pytest

    pytest.importorskip("pyarrow")
    from benchmarks import layout_scale as L

    r = L.run(300, 4)
    assert r["ok"] and r["files"] == 300 and r["rows"] == 3000 and r["partitions"] == 25 and r["findings"] == []
    assert r["peak_rss_mb"] > 0 and r["server_cpu_s"] >= 0
    text = L.render(r, quick=True)
    assert "300 Parquet files" in text and "OK." in text and "| **total** |" in text


def test_layout_benchmark_days_are_consecutive():
    from benchmarks.layout_scale import FILES_PER_DAY, key_of

    assert key_of(0) == "year=2000/month=01/day=01/part-000000.parquet"
    assert key_of(FILES_PER_DAY * 31).startswith("year=2000/month=02/day=01/")
    assert key_of(FILES_PER_DAY * 366).startswith("year=2001/month=01/day=01/")  # 2000 is a leap year
