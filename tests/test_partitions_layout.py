"""Partitions over a generated layout: index, diff, selection, scoped sync, retention (local and S3)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import fsspeckit
from fsspeckit import (
    cleanup_old_partitions,
    diff_partitions,
    list_tree,
    partition_index,
    plan_sync,
    sync_dir,
    sync_partitions,
)
from fsspeckit.verbs.partition_ops import partition_scope, retention_plan

YEARS = (2022, 2023, 2024)
MONTHS = range(1, 13)
DAYS = (1, 2, 9, 10, 11, 19, 20, 28)  # not zero-padded: day=1 / day=10 / day=2 / day=9 edge cases
REGIONS = ("us-east", "eu-west")
PARTS = 4  # files per leaf partition
BASE_TIME = 1_700_000_000.0
N_LEAVES = len(YEARS) * len(MONTHS) * len(DAYS) * len(REGIONS)
N_FILES = N_LEAVES * PARTS


def leaf(y, m, d, r) -> str:
    return f"year={y}/month={m:02d}/day={d}/region={r}"


def write(root: Path, rel: str, data: bytes, mtime: float | None = None) -> None:
    """Write a new file and rename it into place (trees share files through hard links)."""
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(data)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    os.replace(tmp, target)


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Path:
    """``data/year=*/month=*/day=*/region=*/part-{0..3}.csv`` (2,304 files) and a root ``data/_SUCCESS``."""
    root = tmp_path_factory.mktemp("layout") / "data"
    i = 0
    for y in YEARS:
        for m in MONTHS:
            for d in DAYS:
                for r in REGIONS:
                    for k in range(PARTS):
                        write(root, f"{leaf(y, m, d, r)}/part-{k}.csv", b"x" * (10 + i % 7), BASE_TIME + i)
                        i += 1
    write(root, "_SUCCESS", b"", BASE_TIME)
    return root


@pytest.fixture
def src(layout, tmp_path) -> Path:
    root = tmp_path / "src" / "data"
    shutil.copytree(layout, root, copy_function=os.link)  # sync and tests replace files, never rewrite them
    return root


@pytest.fixture
def dst(layout, tmp_path) -> Path:
    root = tmp_path / "dst" / "data"
    shutil.copytree(layout, root, copy_function=os.link)
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes, float]]:
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            out[p.relative_to(root).as_posix()] = (p.read_bytes(), p.stat().st_mtime)
    return out


def done(result) -> dict[str, int]:
    return {k: n for k, n in result.counts.items() if n}


def local():
    return fsspeckit.filesystem("/")


# -- index and selection ------------------------------------------------------

def test_index_of_the_layout(layout):
    index = partition_index(list_tree(local(), str(layout)))
    assert len(index) == N_LEAVES + 1  # every leaf, and "" for the root _SUCCESS
    assert index.total.files == N_FILES + 1
    assert index.keys == ["year", "month", "day", "region"]
    one = index.partitions[leaf(2023, 6, 10, "eu-west")]
    assert (one.files, one.partitions) == (PARTS, 1) and one.newest - one.oldest == PARTS - 1
    assert one.newest_modified.tzinfo is not None
    assert index.values[leaf(2023, 6, 10, "eu-west")] == {"year": "2023", "month": "06", "day": "10", "region": "eu-west"}
    assert index.partitions[""].files == 1

    by_key = index.by_key()
    assert list(by_key["day"]) == [str(d) for d in DAYS]  # 1, 2, ..., 9, 10: by value, not by text
    assert list(by_key["month"]) == [f"{m:02d}" for m in MONTHS]
    assert by_key["year"]["2023"].partitions == len(MONTHS) * len(DAYS) * len(REGIONS)
    assert by_key["year"]["2023"].files == by_key["year"]["2023"].partitions * PARTS
    assert by_key["region"]["us-east"].files == N_FILES // 2
    assert by_key["year"]["2022"].newest < by_key["year"]["2023"].oldest
    assert sum(s.bytes for s in by_key["year"].values()) == index.total.bytes

    data = json.loads(json.dumps(index.to_dict()))
    assert data["total"]["files"] == N_FILES + 1
    assert list(data["keys"]["day"])[:3] == ["1", "2", "9"]


@pytest.mark.parametrize("predicate, expected", [
    ("day=1", len(YEARS) * 12 * 2),  # never day=10..19
    ("day=01", len(YEARS) * 12 * 2),  # numeric: 01 == 1
    ("day<2", len(YEARS) * 12 * 2),
    ("day>2 and day<19", len(YEARS) * 12 * 3 * 2),  # 9, 10, 11 by value ("9" > "19" as text)
    ("month=9", len(YEARS) * 8 * 2),  # month=09 as written on disk
    ("month>9", len(YEARS) * 3 * 8 * 2),  # 10, 11, 12: by value
    ("month in (1, 12) and region=eu-west", len(YEARS) * 2 * 8),
    ("year>=2023 and not (month<=6 or region=us-east)", 2 * 6 * 8),
    ("region in (ap-south)", 0),
])
def test_selection_on_the_layout(layout, predicate, expected):
    index = partition_index(list_tree(local(), str(layout)))
    selected = index.select(predicate)
    assert len(selected) == expected
    assert "" not in selected  # files outside every partition are never selected


def test_diff_partitions(src, dst):
    changed = leaf(2023, 6, 1, "us-east")
    write(src, f"{changed}/part-0.csv", b"new content, another size")
    shutil.rmtree(dst / leaf(2023, 6, 2, "us-east"))
    shutil.rmtree(dst / "year=2024" / "month=12" / "day=28")  # two leaves only in source
    write(dst, "year=2021/month=01/day=1/region=us-east/part-0.csv", b"old", BASE_TIME)
    write(dst, f"{leaf(2022, 1, 1, 'eu-west')}/extra.csv", b"e", BASE_TIME)

    diff = diff_partitions(list_tree(local(), str(src)), list_tree(local(), str(dst)))
    assert diff.changed == [leaf(2022, 1, 1, "eu-west"), changed]
    assert diff.only_src == [leaf(2023, 6, 2, "us-east"), leaf(2024, 12, 28, "eu-west"), leaf(2024, 12, 28, "us-east")]
    assert diff.only_dst == ["year=2021/month=01/day=1/region=us-east"]
    assert diff.counts()["identical"] == N_LEAVES + 2 - 6
    assert diff.get(changed).changed == 1 and diff.get(leaf(2022, 1, 1, "eu-west")).dst_only == 1
    assert json.loads(json.dumps(diff.to_dict()))["counts"]["changed"] == 2


# -- partition-scoped sync ----------------------------------------------------

def diverge(src: Path, dst: Path) -> None:
    """Changes on both sides, inside and outside year>=2023."""
    for y in (2022, 2023):
        write(src, f"{leaf(y, 3, 10, 'us-east')}/part-0.csv", b"changed " * 3)
        write(src, f"{leaf(y, 4, 1, 'eu-west')}/part-9.csv", b"new file", BASE_TIME)
        os.remove(src / leaf(y, 5, 20, "eu-west") / "part-0.csv")  # dst copy becomes dst-only
        write(dst, f"{leaf(y, 7, 7, 'us-east')}/stray.csv", b"only on dst", BASE_TIME)
    write(dst, "README.txt", b"outside every partition", BASE_TIME)
    write(src, "_SUCCESS", b"changed marker")


def check_scoped(src: Path, dst: Path, before: dict, in_scope) -> None:
    after = snapshot(dst)
    source = snapshot(src)
    from fsspeckit import get_partitions_from_path as parts_of

    for rel in before.keys() | after.keys():
        parts = parts_of(rel)
        if parts and in_scope(parts):
            assert (rel in after) == (rel in source), rel
            if rel in source:
                assert after[rel][0] == source[rel][0], rel
        else:
            assert after.get(rel) == before.get(rel), f"{rel} outside the selection was changed"
    assert after["README.txt"] == before["README.txt"] and after["_SUCCESS"] == before["_SUCCESS"]


def test_sync_dir_with_predicate_text_leaves_other_partitions_alone(src, dst):
    diverge(src, dst)
    before = snapshot(dst)
    result = sync_dir(local(), local(), str(src), str(dst), partitions="year>=2023", max_workers=2)
    assert result.ok
    counts = done(result)
    assert counts.get("copied") == 1 and counts.get("updated") == 1 and counts.get("deleted") == 2
    check_scoped(src, dst, before, lambda p: int(p.get("year", 0)) >= 2023)


def test_plan_sync_with_predicate_text_excludes_other_partitions(src, dst):
    diverge(src, dst)
    plan = plan_sync(local(), local(), str(src), str(dst), partitions="year>=2023 and month in (3, 5, 7)")
    assert plan.options.partitions == "year>=2023 and month in (3, 5, 7)"
    assert sorted(a.path for a in plan.deletes) == [
        f"{leaf(2023, 5, 20, 'eu-west')}/part-0.csv", f"{leaf(2023, 7, 7, 'us-east')}/stray.csv"]
    assert [a.path for a in plan.transfers] == [f"{leaf(2023, 3, 10, 'us-east')}/part-0.csv"]
    excluded = [a for a in plan if a.category == "excluded"]
    assert {a.path for a in excluded} >= {"README.txt", "_SUCCESS", f"{leaf(2022, 7, 7, 'us-east')}/stray.csv"}
    assert all(a.kind == "skip" for a in excluded)


def test_sync_partitions_seed_signature_with_a_callable(src, dst):
    """The seed's call: sync_partitions(src_fs, dst_fs, "/data/", filter_2023) with rooted filesystems."""
    diverge(src, dst)
    before = snapshot(dst)
    src_fs = fsspeckit.filesystem(str(src.parent))
    dst_fs = fsspeckit.filesystem(str(dst.parent))

    def filter_2023(partitions):
        return partitions.get("year") == "2023"

    result = sync_partitions(src_fs, dst_fs, "/data/", filter_2023, max_workers=2)
    assert result.ok and done(result).get("deleted") == 2
    check_scoped(src, dst, before, filter_2023)
    # a second run has nothing left to do inside the selection
    again = sync_partitions(src_fs, dst_fs, "data", "year=2023", dry_run=True)
    assert set(done(again)) == {"skipped"}


def test_sync_partitions_under_a_partition_folder(src, dst):
    """Keys of the base path itself count: base year=2023, filter on year and month."""
    diverge(src, dst)
    before = snapshot(dst)
    result = sync_partitions(local(), local(), str(src / "year=2023"), "year=2023 and month>=4",
                             dst_path=str(dst / "year=2023"))
    assert result.ok and done(result).get("deleted") == 2
    check_scoped(src, dst, before, lambda p: p.get("year") == "2023" and int(p.get("month", 0)) >= 4)
    assert partition_scope("month>=4", "data/year=2023")({"month": "05"})
    assert not partition_scope(None, "data")({})  # outside every partition


def test_sync_partitions_refuses_partitions_keyword(tmp_path):
    with pytest.raises(TypeError, match="partition_filter"):
        sync_partitions(local(), local(), str(tmp_path), partitions="year=2023")


# -- retention ----------------------------------------------------------------

def test_retention_keeps_the_last_12_months_across_years(src):
    fs = local()
    base = str(src) + "/"
    planned = cleanup_old_partitions(fs, base, "month", 12, dry_run=True)
    assert len(planned) == (len(YEARS) - 1) * 12
    assert planned[0] == f"{src}/year=2022/month=01" and planned[-1] == f"{src}/year=2023/month=12"
    assert snapshot(src).keys() >= {f"{leaf(2022, 1, 1, 'us-east')}/part-0.csv"}  # nothing deleted yet
    deleted = cleanup_old_partitions(fs, base, "month", 12)
    assert deleted == planned
    left = partition_index(list_tree(fs, str(src)))
    assert set(left.by_key()["year"]) == {"2024"}
    assert len(left.by_key()["month"]) == 12
    # The years emptied of their months are gone too; the base folder and its other files stay.
    assert sorted(p.name for p in src.iterdir()) == ["_SUCCESS", "year=2024"]
    assert cleanup_old_partitions(fs, base, "month", 12) == []


def test_retention_orders_days_by_value(src):
    fs = local()
    planned = cleanup_old_partitions(fs, str(src), "day", 10, dry_run=True)
    kept_days = {(2024, 12, d) for d in DAYS}
    kept_days |= {(2024, 11, 20), (2024, 11, 28)}
    assert len(planned) == N_LEAVES // 2 - len(kept_days)
    assert f"{src}/year=2024/month=11/day=19" in planned
    assert f"{src}/year=2024/month=11/day=20" not in planned  # "9" > "20" as text, not as a number
    assert cleanup_old_partitions(fs, str(src), "day", 10) == planned
    days = partition_index(list_tree(fs, str(src))).by_key()["day"]
    assert list(days) == [str(d) for d in DAYS]
    assert partition_index(list_tree(fs, str(src))).by_key()["month"]["11"].partitions == 2 * 2


def test_retention_plan_dates_groups_and_nulls():
    names = [f"t/dt={d}/f" for d in ("2023-01-15", "2023-1-5", "20230201", "2022-12-31")]
    names += ["t/dt=__HIVE_DEFAULT_PARTITION__/f", "t/other/f", "elsewhere/dt=2000-01-01/f"]
    assert retention_plan(names, "t", "dt", 2) == ["dt=2022-12-31", "dt=2023-1-5"]
    assert retention_plan(names, "t", "dt", 0) == ["dt=2022-12-31", "dt=2023-01-15", "dt=2023-1-5", "dt=20230201"]
    regional = [f"r/region={r}/year={y}/x" for r in ("a", "b") for y in (2020, 2021, 2022)] + ["r/region=b/year=2023/x"]
    assert retention_plan(regional, "r", "year", 1, per=["region"]) == [
        "region=a/year=2020", "region=a/year=2021", "region=b/year=2020", "region=b/year=2021", "region=b/year=2022"]
    # without per=, the region is part of the ranking tuple
    assert "region=a/year=2022" in retention_plan(regional, "r", "year", 1)
    with pytest.raises(ValueError, match="keep_count"):
        retention_plan(names, "t", "dt", -1)


# -- on S3 ----------------------------------------------------------------------

def test_scoped_sync_index_and_retention_on_s3(s3, tmp_path):
    src = tmp_path / "src"
    for y in (2023, 2024):
        for m in (1, 2, 9, 10, 11, 12):
            write(src, f"year={y}/month={m:02d}/part-0.csv", f"{y}-{m}".encode(), BASE_TIME)
    write(src, "_SUCCESS", b"", BASE_TIME)
    dst_fs = fsspeckit.filesystem(s3.url("lake"), storage_options=s3.options)
    s3.fs.pipe({s3.path("lake/year=2022/month=12/part-0.csv"): b"old", s3.path("lake/keep.txt"): b"k"})

    result = sync_partitions(local(), dst_fs, str(src), "year=2024 and month>=10", dst_path="", max_workers=2)
    assert result.ok and done(result) == {"copied": 3, "skipped": 12}
    listing = list_tree(dst_fs, "")
    assert sorted(partition_index(listing).partitions) == [
        "", "year=2022/month=12", "year=2024/month=10", "year=2024/month=11", "year=2024/month=12"]

    sync_partitions(local(), dst_fs, str(src), None, dst_path="", max_workers=2)  # all partitions
    listing = list_tree(dst_fs, "")
    assert "year=2022/month=12/part-0.csv" not in listing and "keep.txt" in listing and "_SUCCESS" not in listing
    assert diff_partitions(list_tree(local(), str(src)), listing).changed == [""]  # _SUCCESS vs keep.txt

    planned = cleanup_old_partitions(s3.fs, s3.path("lake"), "month", 4, dry_run=True)
    assert planned == [s3.path(f"lake/year=2023/month={m:02d}") for m in (1, 2, 9, 10, 11, 12)] + [
        s3.path("lake/year=2024/month=01"), s3.path("lake/year=2024/month=02")]
    assert cleanup_old_partitions(s3.fs, s3.url("lake"), "month", 4) == [f"s3://{p}" for p in planned]
    s3.fs.invalidate_cache()
    left = sorted(partition_index(list_tree(dst_fs, "")).partitions)
    assert left == ["", "year=2024/month=09", "year=2024/month=10", "year=2024/month=11", "year=2024/month=12"]
