"""A quick look at data files: schema and first rows by capped ranged reads, hostile input refused clearly."""

from __future__ import annotations

import gzip
import io
import json
import os

import fsspec
import pytest

from fsspeckit.partitions.peek import MAX_CELL, Peek, peek_file

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


class CountingFS(fsspec.implementations.local.LocalFileSystem):
    """The local disk, counting what ``cat_file`` fetched: a peek reads through ranged ``cat_file`` calls only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fetched = 0
        self.calls = []

    def cat_file(self, path, start=None, end=None, **kwargs):
        data = super().cat_file(path, start=start, end=end, **kwargs)
        self.fetched += len(data)
        self.calls.append((start, end))
        return data


@pytest.fixture
def disk():
    return CountingFS(skip_instance_cache=True)


def _table(n: int):
    return pa.table({"id": pa.array(range(n), pa.int64()), "amount": pa.array([i * 0.25 for i in range(n)]),
                     "name": pa.array([f"name-{i}" for i in range(n)]),
                     "tags": pa.array([[i % 3, i % 5] for i in range(n)], pa.list_(pa.int32()))})


def test_parquet_schema_and_first_rows_match_pyarrow(tmp_path, disk):
    path = str(tmp_path / "part-0.parquet")
    pq.write_table(_table(1000), path, row_group_size=300)
    p = peek_file(disk, path, max_rows=7)
    assert p.error is None and p.format == "parquet"
    oracle = pq.read_table(path)
    assert p.columns == tuple((f.name, str(f.type)) for f in oracle.schema)
    assert p.total_rows == 1000 and len(p.rows) == 7
    first = oracle.slice(0, 7).to_pylist()
    assert [r[0] for r in p.rows] == [str(x["id"]) for x in first]
    assert p.rows[3][3] == json.dumps(first[3]["tags"])
    assert "1,000 rows in 4 row groups, 4 columns" in p.notes
    assert p.bytes_read == disk.fetched <= os.path.getsize(path)
    across = peek_file(disk, path, max_rows=350)  # row groups of 300: the rows go on into the second
    assert [r[0] for r in across.rows] == [str(i) for i in range(350)]


def test_a_large_parquet_file_costs_its_footer_and_first_pages_only(tmp_path, disk):
    path = str(tmp_path / "big.parquet")
    n = 1_500_000
    pq.write_table(_table(n).drop(["tags"]), path, row_group_size=n)  # one row group of ~20 MB
    size = os.path.getsize(path)
    p = peek_file(disk, path, size, max_rows=5)
    assert p.error is None and [r[0] for r in p.rows] == ["0", "1", "2", "3", "4"]
    assert disk.fetched == p.bytes_read < size / 4, (disk.fetched, size)


def test_over_the_byte_cap_the_schema_is_shown_and_the_reason_given(tmp_path, disk):
    path = str(tmp_path / "wide.parquet")
    blob = [os.urandom(300_000) for _ in range(8)]  # incompressible: each page is large
    pq.write_table(pa.table({"small": pa.array(range(8)), "blob": pa.array(blob, pa.binary())}), path)
    p = peek_file(disk, path, max_bytes=256 * 1024)
    assert p.error is None and disk.fetched <= 256 * 1024
    assert p.columns[0] == ("small", "int64") and p.columns[1] == ("blob", "binary (not read)")
    assert [r[0] for r in p.rows] == [str(i) for i in range(8)]
    assert any("first 1 columns only" in n for n in p.notes)


@pytest.mark.parametrize("damage, words", [
    (lambda b: b[: len(b) // 2], "no PAR1 marker at its end"),
    (lambda b: b[:-40] + b"\xff" * 32 + b[-8:], "damaged Parquet"),
    (lambda b: b[:-8] + (2**31).to_bytes(4, "little") + b"PAR1", "Parquet"),
    (lambda b: b"PAR1", "too short"),
    (lambda b: b"", "too short"),
], ids=["truncated", "garbled-footer", "huge-footer-length", "magic-only", "empty"])
def test_damaged_parquet_is_a_sentence_not_a_traceback(tmp_path, disk, damage, words):
    buf = io.BytesIO()
    pq.write_table(_table(100), buf)
    path = tmp_path / "bad.parquet"
    path.write_bytes(damage(buf.getvalue()))
    p = peek_file(disk, str(path))
    assert isinstance(p, Peek) and p.error and words in p.error and not p.rows


def test_csv_header_types_and_rows(tmp_path, disk):
    path = tmp_path / "sales.csv"
    path.write_text('id,price,day,note\n1,2.5,2024-01-01,"a, quoted"\n2,3,2024-01-02,[bold]x[/]\n3,,2024-01-03,\n')
    p = peek_file(disk, str(path))
    assert p.error is None
    assert p.columns == (("id", "int"), ("price", "float"), ("day", "date"), ("note", "string"))
    assert p.rows == (("1", "2.5", "2024-01-01", "a, quoted"), ("2", "3", "2024-01-02", "[bold]x[/]"),
                      ("3", "", "2024-01-03", ""))
    assert p.total_rows == 3


def test_semicolons_tabs_and_gzip(tmp_path, disk):
    (tmp_path / "a.csv").write_text("a;b\n1;x\n2;y\n")
    (tmp_path / "b.tsv").write_text("a\tb\n1\tx\n")
    with gzip.open(tmp_path / "c.csv.gz", "wt") as f:
        f.write("a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(200_000)))
    assert peek_file(disk, str(tmp_path / "a.csv")).rows == (("1", "x"), ("2", "y"))
    assert peek_file(disk, str(tmp_path / "b.tsv")).rows == (("1", "x"),)
    p = peek_file(disk, str(tmp_path / "c.csv.gz"), max_rows=3, max_bytes=64 * 1024)
    assert p.rows == (("0", "0"), ("1", "2"), ("2", "4")) and p.total_rows is None
    assert p.bytes_read <= 64 * 1024


def test_only_the_head_of_a_big_csv_is_fetched(tmp_path, disk):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 2_000_000)
    p = peek_file(disk, str(path), max_bytes=100_000)
    assert p.error is None and len(p.rows) == 20 and p.total_rows is None
    assert disk.calls == [(0, 100_000)] and disk.fetched == 100_000


@pytest.mark.parametrize("name, content, words", [
    ("binary.csv", os.urandom(4096) + b"\x00", "looks binary"),
    ("no-nul.csv", bytes(b for b in os.urandom(8192) if b), "looks binary"),
    ("one-line.jsonl", b'{"a": "' + b"x" * 300_000 + b'"}\n', "first line is longer than"),
    ("one-line.csv", b"x" * 300_000, "first line is longer than"),
    ("fake.csv.gz", b"a,b\n1,2\n", "not gzip"),
    ("broken.json", b'{\n  "a": 1,\n  "b":\n', "not JSON"),
    ("array.json", b"[oops, 1]", "not JSON"),
    ("data.csv.zst", b"whatever", "compressed as zst"),
    ("notes.txt", b"hello", "Parquet, CSV and JSON"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else "")
def test_hostile_text_files_get_a_clear_message(tmp_path, disk, name, content, words):
    (tmp_path / name).write_bytes(content)
    p = peek_file(disk, str(tmp_path / name), max_bytes=256 * 1024)
    assert p.error and words in p.error, p.error
    assert disk.fetched <= 256 * 1024


def test_a_huge_field_or_a_long_value_is_cut_for_the_screen(tmp_path, disk):
    (tmp_path / "wide.csv").write_bytes(b"a,b\n" + b"y" * 150_000 + b",1\n")
    p = peek_file(disk, str(tmp_path / "wide.csv"))
    assert p.error and "not readable as CSV" in p.error  # over csv's own field limit: said, not raised
    (tmp_path / "long.csv").write_bytes(b"a,b\n" + b"y" * 5000 + b",1\n")
    p = peek_file(disk, str(tmp_path / "long.csv"))
    assert len(p.rows[0][0]) == MAX_CELL and p.rows[0][0].endswith("…")


def test_json_lines_arrays_documents_and_a_bad_line(tmp_path, disk):
    (tmp_path / "a.jsonl").write_text('{"a": 1, "b": "x"}\n{"a": 2.5, "c": {"d": [1]}}\nnot json\n{"a": 3}\n')
    p = peek_file(disk, str(tmp_path / "a.jsonl"))
    assert p.columns == (("a", "float/int"), ("b", "string"), ("c", "object"))
    assert p.rows == (("1", "x", ""), ("2.5", "", '{"d": [1]}'))
    assert any("line 3 is not JSON" in n for n in p.notes)
    (tmp_path / "b.json").write_text(json.dumps([{"k": i} for i in range(50)]))
    p = peek_file(disk, str(tmp_path / "b.json"), max_rows=4)
    assert p.rows == (("0",), ("1",), ("2",), ("3",)) and "first 4 rows" in p.notes
    (tmp_path / "c.json").write_text(json.dumps({"name": "x", "n": 1}, indent=2))
    assert peek_file(disk, str(tmp_path / "c.json")).rows == (("x", "1"),)
    (tmp_path / "e.json").write_text("[1, 2, oops]")
    p = peek_file(disk, str(tmp_path / "e.json"))
    assert p.rows == (("1",), ("2",)) and any("element 3 of the array is not JSON" in n for n in p.notes)
    (tmp_path / "d.json").write_text("[1, 2, 3]")
    assert peek_file(disk, str(tmp_path / "d.json")).columns == (("value", "int"),)


def test_not_utf8_is_shown_with_a_note(tmp_path, disk):
    (tmp_path / "latin.csv").write_bytes("name\nJosé\n".encode("latin-1"))
    p = peek_file(disk, str(tmp_path / "latin.csv"))
    assert p.rows == (("Jos\ufffd",),) and any("not valid UTF-8" in n for n in p.notes)


def test_a_missing_file_is_a_message(tmp_path, disk):
    p = peek_file(disk, str(tmp_path / "gone.parquet"))
    assert p.error and "FileNotFoundError" in p.error


def test_on_s3(s3):
    buf = io.BytesIO()
    pq.write_table(_table(500), buf, row_group_size=100)
    s3.fs.pipe({s3.path("lake/year=2024/part-0.parquet"): buf.getvalue(),
                s3.path("lake/raw/events.jsonl"): b'{"e": "click"}\n{"e": "view"}\n',
                s3.path("lake/raw/bad.parquet"): buf.getvalue()[:-100]})
    p = peek_file(s3.fs, s3.path("lake/year=2024/part-0.parquet"), max_rows=3)
    assert p.error is None and p.total_rows == 500 and [r[2] for r in p.rows] == ["name-0", "name-1", "name-2"]
    assert peek_file(s3.fs, s3.path("lake/raw/events.jsonl")).rows == (("click",), ("view",))
    assert "no PAR1 marker" in peek_file(s3.fs, s3.path("lake/raw/bad.parquet")).error
