"""Partition contents from Parquet footers, layout health findings and two layouts compared (memory, local, S3).

The layouts are generated with known defects (``tui.sample_layout``); pyarrow's
own reading is the oracle for rows and schemas.
"""

from __future__ import annotations

import gzip
import io
import threading
import time

import pytest

import fsspeckit
from fsspeckit import list_tree
from fsspeckit.exceptions import SyncCancelled
from fsspeckit.partitions.layout import file_format, summarize_layout
from fsspeckit.partitions.layout_check import HealthOptions, check_layout
from fsspeckit.partitions.layout_diff import compare_layouts
from fsspeckit.partitions.parquet import FOOTER_PROBE, read_footer

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")

from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from tui.sample_layout import DEFECTS, EXPECTED_KINDS, sample_files, write_sample_layout  # noqa: E402


class CountingMemory(MemoryFileSystem):
    """A memory store that records every ranged read and every open, and how many reads overlap."""

    protocol = ("countingmem",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ranges: list[tuple[str, int, int]] = []
        self.opened: list[str] = []
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.delay = 0.0
        self.inside = threading.local()

    def cat_file(self, path, start=None, end=None, **kwargs):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            self.inside.ranged = True
            data = super().cat_file(path, start=start, end=end, **kwargs)
            self.inside.ranged = False
            self.ranges.append((self._strip_protocol(path), start, end))
            return data
        finally:
            with self.lock:
                self.active -= 1

    def _open(self, path, mode="rb", **kwargs):
        if "r" in mode and not getattr(self.inside, "ranged", False):
            self.opened.append(path)  # a read outside a ranged cat_file
        return super()._open(path, mode, **kwargs)


@pytest.fixture
def counting():
    fs = CountingMemory(skip_instance_cache=True)
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")
    yield fs
    fs.store.clear()


def kinds(findings) -> list[str]:
    return sorted(f.kind for f in findings)


def summary_on(fs, root, **kwargs):
    kfs = fsspeckit.filesystem(fs, root) if isinstance(fs, str) else fs
    return summarize_layout(kfs, list_tree(kfs, root if not isinstance(fs, str) else ""), **kwargs)


# --- contents ---------------------------------------------------------------------


def test_rows_and_schemas_match_pyarrow_dataset(local_tree):
    root = local_tree(sample_files(DEFECTS), "lake")
    fs = fsspeckit.filesystem("/")
    summary = summarize_layout(fs, list_tree(fs, str(root)), keep_files=True)
    dataset = ds.dataset(str(root), format="parquet", partitioning="hive", exclude_invalid_files=False)
    assert summary.total.rows == dataset.count_rows()
    by_part: dict[str, list[str]] = {}
    for f in dataset.files:
        rel = f[len(str(root)) + 1:]
        by_part.setdefault(rel.rsplit("/", 1)[0] if "/" in rel else "", []).append(f)
    for part, files in by_part.items():
        got = summary.partitions[part if "=" in part else ""]
        want_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        assert got.rows == want_rows, part
        texts = {pq.read_schema(f).remove_metadata().to_string(show_schema_metadata=False) for f in files}
        assert {summary.schemas[fp].text for fp in got.schemas} == texts, part
        assert got.row_groups == sum(pq.ParquetFile(f).metadata.num_row_groups for f in files)
    jan = summary.partitions["year=2023/month=01"]
    meta = [pq.ParquetFile(f).metadata for f in by_part["year=2023/month=01"]]
    assert jan.compressed_bytes == sum(m.row_group(0).column(c).total_compressed_size
                                       for m in meta for c in range(m.num_columns))
    assert jan.uncompressed_bytes == sum(m.row_group(0).column(c).total_uncompressed_size
                                         for m in meta for c in range(m.num_columns))
    # Column min/max agree with the data (read here, by the oracle only).
    table = pq.read_table(by_part["year=2023/month=01"][0])
    for f in by_part["year=2023/month=01"][1:]:
        table = pa.concat_tables([table, pq.read_table(f)])
    assert jan.stats["order_id"].min == pa.compute.min(table["order_id"]).as_py()
    assert jan.stats["country"].max == pa.compute.max(table["country"]).as_py()
    assert jan.schema is not None and len(jan.schema) == 8
    # The drifted month: two schemas across the layout, the full text on demand.
    aug = summary.partitions["year=2023/month=08"]
    assert "discount: double" in summary.schemas[aug.schema].text
    assert len(summary.schemas) == 2
    files = summary.files_of(["year=2023/month=01"])
    assert [f.rows for f in files] == [4000, 4000, 4000] and all(f.fingerprint == jan.schema for f in files)


def test_footers_are_read_with_ranged_reads_only_and_concurrently(counting):
    files = sample_files(("small_files",))
    for rel, data in files.items():
        counting.pipe_file(f"/lake/{rel}", data)
    # One wide file whose footer is longer than the first probe: it costs exactly one more ranged read.
    wide = pa.table({f"c{i:03d}": pa.array([i]) for i in range(400)})
    buf = io.BytesIO()
    pq.write_table(wide, buf)
    counting.pipe_file("/lake/year=2023/month=13/wide.parquet", buf.getvalue())
    counting.delay = 0.002
    listing = list_tree(counting, "/lake")
    summary = summarize_layout(counting, listing, max_workers=4)
    assert counting.opened == []  # never a whole-file read
    sizes = {f"/lake/{rel}": e.size for rel, e in listing.entries.items()}
    ranges = list(counting.ranges)
    assert len([r for r in ranges if r[0].endswith("wide.parquet")]) == 2
    per_file: dict[str, int] = {}
    for path, start, end in ranges:
        assert end == sizes[path] or start is not None  # tail ranges only
        per_file[path] = per_file.get(path, 0) + (end - start)
    for path, n in per_file.items():
        footer = read_footer(counting, path, sizes[path]).footer_bytes
        assert n <= max(FOOTER_PROBE, footer + 8), path
        if sizes[path] > FOOTER_PROBE + footer + 8:
            assert min(s for p, s, _ in ranges if p == path) > 4  # the start of the file never fetched
    assert summary.partitions["year=2023/month=13"].rows == 1
    assert 1 < counting.peak <= 4
    assert summary.total.rows == sum(1 if "part-" in r and "2024/month=02" in r else 4000
                                     for r in files if r.endswith(".parquet")) + 1


def test_csv_and_json_lines_counted_only_when_asked(local_tree):
    root = local_tree({
        "dt=2024-01-01/a.csv": "id,name\n1,a\n2,b\n",
        "dt=2024-01-01/b.jsonl": '{"a": 1}\n{"a": 2}\n{"a": 3}',  # no final newline
        "dt=2024-01-02/c.csv.gz": gzip.compress(b"id\n" + b"".join(b"%d\n" % i for i in range(99))),
        "dt=2024-01-02/notes.txt": "x\ny\n",
    })
    fs = fsspeckit.filesystem("/")
    plain = summarize_layout(fs, list_tree(fs, str(root)), parquet=False)
    day1 = plain.partitions["dt=2024-01-01"]
    assert (day1.files, day1.lines, day1.rows, dict(day1.formats)) == (2, None, None, {"csv": 1, "json": 1})
    counted = summarize_layout(fs, list_tree(fs, str(root)), parquet=False, lines=True)
    assert counted.partitions["dt=2024-01-01"].lines == 3 + 3
    assert counted.partitions["dt=2024-01-02"].lines == 100  # decompressed; notes.txt is not counted
    assert file_format("x/y.ndjson") == "json" and file_format("a.PARQUET") == "parquet"
    assert file_format("a.tsv.gz") == "csv" and file_format("README") == "other"


def test_damaged_files_are_findings_not_failures(counting):
    counting.pipe_file("/t/k=1/good.parquet", sample_files(())["year=2023/month=01/part-0.parquet"])
    counting.pipe_file("/t/k=1/short.parquet", b"PAR")
    counting.pipe_file("/t/k=2/text.parquet", b"x" * 100)
    counting.pipe_file("/t/k=2/lies.parquet", b"PAR1" + b"\0" * 10 + b"\xff\xff\xff\x0fPAR1")
    summary = summarize_layout(counting, list_tree(counting, "/t"))
    assert summary.partitions["k=1"].rows == 4000 and len(summary.partitions["k=1"].errors) == 1
    assert summary.partitions["k=2"].rows is None
    found = check_layout(summary)
    assert kinds(found) == ["unreadable"]
    assert set(found[0].details["files"]) == {"k=1/short.parquet", "k=2/text.parquet", "k=2/lies.parquet"}


def test_callback_counts_and_cancel_stops(counting):
    for rel, data in sample_files(()).items():
        counting.pipe_file(f"/c/{rel}", data)
    listing = list_tree(counting, "/c")
    from fsspec.callbacks import Callback

    cb = Callback()
    summarize_layout(counting, listing, callback=cb)
    assert cb.size == cb.value == 54
    stop = threading.Event()
    stop.set()
    with pytest.raises(SyncCancelled):
        summarize_layout(counting, listing, cancel=stop)


def test_scope_by_predicate(counting):
    for rel, data in sample_files(()).items():
        counting.pipe_file(f"/s/{rel}", data)
    summary = summarize_layout(counting, list_tree(counting, "/s"), partitions="year=2024 and month<=2")
    assert list(summary.partitions) == ["year=2024/month=01", "year=2024/month=02"]
    assert summary.scope == "year=2024 and month<=2"


# --- health -------------------------------------------------------------------------


def test_healthy_layout_has_no_findings(counting):
    write_sample_layout(counting, "/h", ())
    assert check_layout(summarize_layout(counting, list_tree(counting, "/h"))) == []


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_alone_is_reported_and_nothing_else(counting, defect):
    write_sample_layout(counting, "/one", (defect,))
    found = check_layout(summarize_layout(counting, list_tree(counting, "/one")))
    assert kinds(found) == [EXPECTED_KINDS[defect]], [f.reason for f in found]


def _assert_every_defect(found):
    by_kind = {f.kind: f for f in found}
    assert kinds(found) == sorted(EXPECTED_KINDS.values()), [f.reason for f in found]
    drift = by_kind["schema_drift"]
    assert drift.partitions == ("year=2023/month=08",)
    assert drift.details["added"] == ["discount (double)"]
    assert drift.details["retyped"] == ["amount double → float"] and drift.details["dropped"] == []
    assert by_kind["gap"].partitions == ("year=2023/month=05",)
    assert by_kind["small_files"].partitions == ("year=2024/month=02",)
    assert "500 files under" in by_kind["small_files"].reason
    assert by_kind["skew"].partitions == ("year=2023/month=10",) and "rows" in by_kind["skew"].reason
    assert by_kind["mixed_depth"].partitions == ("month=04/year=2024",)
    assert by_kind["empty_partition"].partitions == ("year=2024/month=06",)
    assert by_kind["default_partition"].partitions == ("year=2024/month=__HIVE_DEFAULT_PARTITION__",)
    assert by_kind["non_hive_folder"].partitions == ("backup",)


def test_every_defect_on_local(local_tree):
    root = local_tree(sample_files(DEFECTS), "lake")
    (root / "year=2023" / "month=13").mkdir()  # an empty folder (no files at all)
    fs = fsspeckit.filesystem("/")
    found = check_layout(summarize_layout(fs, list_tree(fs, str(root))))
    empty = next(f for f in found if f.kind == "empty_partition")
    assert empty.partitions == ("year=2023/month=13", "year=2024/month=06")
    found = [f for f in found if f.kind != "empty_partition"] + [
        type(empty)("empty_partition", ("year=2024/month=06",), empty.reason)]
    _assert_every_defect(found)


def test_every_defect_on_s3(s3):
    write_sample_layout(s3.fs, s3.path("lake"), DEFECTS)
    s3.fs.pipe(s3.path("lake/year=2023/month=13/"), b"")  # a folder marker: an empty partition on a store
    fs = fsspeckit.filesystem(s3.url("lake"), storage_options=s3.options)
    summary = summarize_layout(fs, list_tree(fs, ""), max_workers=8)
    found = check_layout(summary)
    empty = next(f for f in found if f.kind == "empty_partition")
    assert empty.partitions == ("year=2023/month=13", "year=2024/month=06")
    _assert_every_defect([f for f in found if f.kind != "empty_partition"]
                         + [type(empty)("empty_partition", ("year=2024/month=06",), "")])
    assert summary.partitions["year=2023/month=10"].rows == 3 * 40_000


def test_gap_in_date_keys_and_day_sequences(counting):
    for d in ("2024-01-01", "2024-01-02", "2024-01-05"):
        counting.pipe_file(f"/g/dt={d}/a.csv", b"x\n")
    for day in (1, 2, 3, 5):  # unpadded days; a region above the date keeps its own sequence
        counting.pipe_file(f"/g2/region=eu/year=2024/month=2/day={day}/a.csv", b"x\n")
        counting.pipe_file(f"/g2/region=us/year=2024/month=2/day={day + 1}/a.csv", b"x\n")
    found = check_layout(summarize_layout(counting, list_tree(counting, "/g"), parquet=False))
    assert [(f.kind, f.partitions) for f in found] == [("gap", ("dt=2024-01-03", "dt=2024-01-04"))]
    found = check_layout(summarize_layout(counting, list_tree(counting, "/g2"), parquet=False))
    assert [(f.kind, f.partitions) for f in found] == [
        ("gap", ("region=eu/year=2024/month=2/day=4",)), ("gap", ("region=us/year=2024/month=2/day=5",))]
    assert "in region=eu" in found[0].reason


def test_thresholds_are_options_and_checked():
    with pytest.raises(ValueError, match="skew_factor"):
        HealthOptions(skew_factor=1)
    with pytest.raises(ValueError, match="small_file_count"):
        HealthOptions(small_file_count=1)


def test_small_file_threshold_option(counting):
    for i in range(40):
        counting.pipe_file(f"/sf/k=a/f{i}.csv", b"x" * 100)
        counting.pipe_file(f"/sf/k=b/f{i}.csv", b"x" * 100)
    summary = summarize_layout(counting, list_tree(counting, "/sf"), parquet=False)
    assert kinds(check_layout(summary)) == ["small_files", "small_files"]
    assert check_layout(summary, HealthOptions(small_file_count=41)) == []
    assert check_layout(summary, HealthOptions(small_file_size=100)) == []


# --- two sides ---------------------------------------------------------------------


def _pair(fs):
    src = sample_files(())
    for rel, data in src.items():
        fs.pipe_file(f"/src/{rel}", data)
    dst = dict(src)
    del dst["year=2023/month=03/part-0.parquet"], dst["year=2023/month=03/part-1.parquet"]
    del dst["year=2023/month=03/part-2.parquet"]
    dst["year=2022/month=12/part-0.parquet"] = src["year=2023/month=01/part-0.parquet"]
    buf = io.BytesIO()
    pq.write_table(pa.table({"order_id": pa.array(range(3000), pa.int64())}).append_column(
        "amount", pa.array([1.0] * 3000)).append_column("country", pa.array(["DE"] * 3000)), buf)
    dst["year=2023/month=04/part-2.parquet"] = buf.getvalue()  # 3,000 rows instead of 4,000
    drifted = sample_files(("drift",))
    for k in range(3):
        dst[f"year=2023/month=08/part-{k}.parquet"] = drifted[f"year=2023/month=08/part-{k}.parquet"]
    del dst["year=2023/month=09/part-2.parquet"]
    dst["year=2023/month=09/part-9.parquet"] = src["year=2023/month=09/part-2.parquet"]
    for rel, data in dst.items():
        fs.pipe_file(f"/dst/{rel}", data)


def test_two_layouts_compared(counting):
    _pair(counting)
    src = summarize_layout(counting, list_tree(counting, "/src"))
    dst = summarize_layout(counting, list_tree(counting, "/dst"))
    cmp = compare_layouts(src, dst)
    assert [p.path for p in cmp.with_status("only_src")] == ["year=2023/month=03"]
    assert [p.path for p in cmp.with_status("only_dst")] == ["year=2022/month=12"]
    differing = {p.path: p for p in cmp.with_status("differing")}
    assert set(differing) == {"year=2023/month=04", "year=2023/month=08", "year=2023/month=09"}
    assert differing["year=2023/month=04"].differences == ("bytes", "rows")
    assert "rows 12,000 → 11,000" in differing["year=2023/month=04"].reason
    assert "schema" in differing["year=2023/month=08"].differences
    assert "schema " in differing["year=2023/month=08"].reason
    assert differing["year=2023/month=09"].differences[0] == "files"
    assert "1 missing, 1 extra" in differing["year=2023/month=09"].reason
    assert cmp.counts() == {"only_src": 1, "only_dst": 1, "differing": 3, "identical": 15}
    assert not cmp.same
    assert compare_layouts(src, src).same
    # Without footers only files and bytes are compared.
    plain = compare_layouts(summarize_layout(counting, list_tree(counting, "/src"), parquet=False),
                            summarize_layout(counting, list_tree(counting, "/dst"), parquet=False))
    assert plain.rows_compared is False and "rows" not in plain.get("year=2023/month=08").differences


def test_values_left_out_by_the_selection_are_not_gaps(counting):
    write_sample_layout(counting, "/sel", ("gap",))
    listing = list_tree(counting, "/sel")
    scoped = summarize_layout(counting, listing, partitions="year=2023 and month in (1, 2, 7, 8)")
    assert check_layout(scoped) == []
    wider = summarize_layout(counting, listing, partitions="year=2023 and month<=8")
    assert [(f.kind, f.partitions) for f in check_layout(wider)] == [("gap", ("year=2023/month=05",))]
