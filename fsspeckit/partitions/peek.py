"""A quick look at one data file: its schema and first rows, read with capped ranged reads.

``peek_file(fs, path)`` never reads a whole file. Parquet: pyarrow reads the
footer and the first pages (of the first row groups) through a reader that
fetches exact ranges and stops at a byte cap. CSV and JSON (lines or one
document): the first bytes up to the cap, cut at the last whole line. Damaged
or hostile input (a truncated Parquet file, a binary file named ``.csv``, a
first line longer than the cap) gives a ``Peek`` whose ``error`` says why.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import fsspec

from ..exceptions import PeekError
from .layout import file_format
from .parquet import MAGIC, _pyarrow_parquet

logger = logging.getLogger(__name__)

__all__ = ["MAX_BYTES", "MAX_ROWS", "Peek", "PeekError", "peek_file"]

#: Bytes one look may fetch from the store, by default.
MAX_BYTES = 4 * 1024 * 1024
#: Rows shown, by default.
MAX_ROWS = 20
#: Longest text shown for one value; columns shown at most.
MAX_CELL = 200
MAX_COLUMNS = 64
_BLOCK = 64 * 1024


@dataclass(frozen=True)
class Peek:
    """What a quick look found: columns as (name, type), rows as text, notes, or an error."""

    path: str
    format: str
    size: int
    columns: tuple[tuple[str, str], ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    total_rows: int | None = None
    bytes_read: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "size": self.size,
                "columns": [list(c) for c in self.columns], "rows": [list(r) for r in self.rows],
                "total_rows": self.total_rows, "bytes_read": self.bytes_read, "notes": list(self.notes),
                "error": self.error}


def _size_text(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB".replace(".0 ", " ")
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"


def cell(value: Any) -> str:
    """One value as text of at most ``MAX_CELL`` characters, on one line."""
    if value is None:
        return "∅"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


class _RangeReader(io.RawIOBase):
    """A read-only file over ``fs.cat_file`` ranges, in aligned blocks, refusing to fetch past ``budget`` bytes."""

    def __init__(self, fs: fsspec.AbstractFileSystem, path: str, size: int, budget: int):
        super().__init__()
        self.fs, self.path, self.size, self.budget = fs, path, size, budget
        self.spent = 0
        self._pos = 0
        self._blocks: dict[int, bytes] = {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self.size - self._pos)
        if want <= 0:
            return 0
        data = self.read_range(self._pos, self._pos + want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def read_range(self, start: int, end: int) -> bytes:
        first, last = start // _BLOCK, (end - 1) // _BLOCK
        missing = [i for i in range(first, last + 1) if i not in self._blocks]
        if missing:
            lo, hi = missing[0] * _BLOCK, min(self.size, (missing[-1] + 1) * _BLOCK)
            if self.spent + hi - lo > self.budget:
                raise PeekError(f"showing this needs more than {_size_text(self.budget)} of the file")
            data = self.fs.cat_file(self.path, start=lo, end=hi)
            if len(data) != hi - lo:
                raise PeekError(f"the store returned {len(data):,} bytes for a range of {hi - lo:,} "
                                "(the file changed while it was read?)")
            self.spent += len(data)
            for i in missing:
                self._blocks[i] = data[(i - missing[0]) * _BLOCK: (i - missing[0] + 1) * _BLOCK]
        joined = b"".join(self._blocks[i] for i in range(first, last + 1))
        return joined[start - first * _BLOCK: end - first * _BLOCK]


def peek_file(fs: fsspec.AbstractFileSystem, path: str, size: int | None = None, *,
              max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> Peek:
    """Schema and first rows of a Parquet, CSV or JSON(-lines) file on ``fs``; never raises for a bad file.

    At most ``max_bytes`` are fetched, by ranged reads; ``size`` (from a listing)
    saves a metadata request. Other files, and files that cannot be shown, give
    a ``Peek`` with ``error`` set.
    """
    fmt = file_format(path)
    try:
        if size is None:
            size = int(fs.size(path))
        if fmt == "parquet":
            return _peek_parquet(fs, path, size, max_rows, max_bytes)
        if fmt in ("csv", "json"):
            return _peek_text(fs, path, size, fmt, max_rows, max_bytes)
        raise PeekError("a quick look shows Parquet, CSV and JSON files (by their name)")
    except PeekError as exc:
        return Peek(path, fmt, size or 0, error=str(exc))
    except ImportError as exc:
        return Peek(path, fmt, size or 0, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bad file or a failing store is reported, never raised
        logger.warning("Cannot show %s: %s", path, exc)
        return Peek(path, fmt, size or 0, error=f"cannot read it: {type(exc).__name__}: {exc}")


# -- Parquet ---------------------------------------------------------------------------------------

def _peek_parquet(fs, path: str, size: int, max_rows: int, max_bytes: int) -> Peek:
    pq = _pyarrow_parquet()
    import pyarrow as pa

    if size < 12:
        raise PeekError(f"{size} bytes is too short for a Parquet file")
    reader = _RangeReader(fs, path, size, max_bytes)
    if reader.read_range(size - 4, size) != MAGIC:
        raise PeekError("not a Parquet file (no PAR1 marker at its end): truncated, or not Parquet at all")
    try:
        # Buffered, not pre-buffered: pages are read as they are decoded, not whole column chunks.
        pf = pq.ParquetFile(reader, buffer_size=_BLOCK, pre_buffer=False)
    except (pa.ArrowException, OSError) as exc:
        raise PeekError(f"damaged Parquet footer: {exc}") from None
    meta, schema = pf.metadata, pf.schema_arrow
    columns = tuple((f.name, str(f.type)) for f in schema)[:MAX_COLUMNS]
    groups, cols = meta.num_row_groups, len(schema)
    notes = [f"{meta.num_rows:,} row{'s' if meta.num_rows != 1 else ''} in {groups:,} row group"
             f"{'s' if groups != 1 else ''}, {cols} column{'s' if cols != 1 else ''}"]
    if len(schema) > MAX_COLUMNS:
        notes.append(f"first {MAX_COLUMNS} of {len(schema)} columns shown")
    rows: tuple = ()
    if meta.num_rows and meta.num_row_groups:
        rows, shown = _first_rows(pf, [n for n, _ in columns], max_rows, pa)
        if shown < len(columns):
            notes.append(f"rows of the first {shown} columns only: more would read over "
                         f"{_size_text(max_bytes)}" if shown else
                         f"no rows shown: the first page of a column is over {_size_text(max_bytes)}")
            columns = columns[:shown] + tuple((n, f"{t} (not read)") for n, t in columns[shown:])
    return Peek(path, "parquet", size, columns, rows, meta.num_rows, reader.spent, tuple(notes))


def _first_rows(pf, names: list[str], max_rows: int, pa) -> tuple[tuple, int]:
    """The first rows, row group after row group, of as many leading columns as the byte cap allows."""
    k = len(names)
    while k > 0:
        got: list = []
        try:
            for batch in pf.iter_batches(batch_size=max_rows, row_groups=range(pf.metadata.num_row_groups),
                                         columns=names[:k], use_threads=False):
                cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                got += [tuple(cell(c[r]) for c in cols) for r in range(batch.num_rows)]
                if len(got) >= max_rows:
                    break
        except PeekError:
            if not got:  # not even the first rows fit: try fewer columns
                k //= 2
                continue
        except (pa.ArrowException, OSError) as exc:
            raise PeekError(f"damaged Parquet data: {exc}") from None
        return tuple(got[:max_rows]), k
    return (), 0


# -- CSV and JSON ------------------------------------------------------------------------------------

def _head(fs, path: str, size: int, max_bytes: int) -> tuple[bytes, bool, int]:
    """The first bytes (decompressed for ``.gz``), whether the file goes on past them, and bytes fetched."""
    lower = path.lower()
    if lower.endswith((".bz2", ".xz", ".zst", ".zstd", ".lz4", ".snappy")):
        raise PeekError(f"compressed as {lower.rsplit('.', 1)[-1]}: a quick look reads plain and .gz files")
    n = min(size, max_bytes)
    raw = fs.cat_file(path, start=0, end=n) if n else b""
    if not lower.endswith(".gz"):
        return raw, size > len(raw), len(raw)
    d = zlib.decompressobj(wbits=31)
    try:
        data = d.decompress(raw, max_bytes)
    except zlib.error as exc:
        raise PeekError(f"named .gz but not gzip data: {exc}") from None
    return data, not d.eof or bool(d.unconsumed_tail) or size > len(raw), len(raw)


def _text_of(data: bytes, cut: bool, max_bytes: int) -> tuple[str, list[str]]:
    notes = []
    if b"\x00" in data:
        raise PeekError("looks binary (NUL bytes in its first bytes), not CSV or JSON text")
    if cut:
        end = data.rfind(b"\n")
        if end < 0:
            raise PeekError(f"its first line is longer than {_size_text(max_bytes)}: not shown")
        data = data[: end + 1]
        notes.append(f"first {_size_text(len(data))} read")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        if text.count("\ufffd") > len(text) // 10 + 2:  # a few stray bytes are text in another encoding
            raise PeekError("looks binary (mostly bytes that are not UTF-8 text), not CSV or JSON") from None
        notes.append("not valid UTF-8: undecodable bytes shown as �")
    return text.removeprefix("\ufeff"), notes


def _peek_text(fs, path: str, size: int, fmt: str, max_rows: int, max_bytes: int) -> Peek:
    data, cut, fetched = _head(fs, path, size, max_bytes)
    text, notes = _text_of(data, cut, max_bytes)
    if not text.strip():
        return Peek(path, fmt, size, bytes_read=fetched, notes=tuple(notes + ["empty"]))
    if fmt == "csv":
        columns, rows, more = _csv_rows(text, path, max_rows)
    else:
        columns, rows, more = _json_rows(text, max_rows, notes, cut)
    if more:
        notes.insert(0, f"first {len(rows):,} rows")
    return Peek(path, fmt, size, columns, rows, None if (more or cut) else len(rows), fetched, tuple(notes))


def _csv_rows(text: str, path: str, max_rows: int):
    sample = text[:16384]
    if path.lower().removesuffix(".gz").endswith(".tsv"):
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        body = []
        for row in reader:
            if len(body) > max_rows:
                break
            body.append(row)
    except csv.Error as exc:
        raise PeekError(f"not readable as CSV at line {reader.line_num}: {exc}") from None
    more = len(body) > max_rows
    body = body[:max_rows]
    width = min(MAX_COLUMNS, max([len(header)] + [len(r) for r in body]))
    names = [cell(h) if i < len(header) and h else f"column {i + 1}" for i, h in enumerate(header[:width])]
    names += [f"column {i + 1}" for i in range(len(names), width)]
    rows = tuple(tuple(cell(r[i]) if i < len(r) else "" for i in range(width)) for r in body)
    types = [_guess_type([r[i] for r in body if i < len(r)]) for i in range(width)]
    return tuple(zip(names, types)), rows, more


def _guess_type(values: list[str]) -> str:
    """The narrowest of int, float, bool, date, timestamp, string that all non-empty values fit."""
    kinds = {_kind(v.strip()) for v in values if v.strip()}
    if not kinds:
        return "empty"
    if kinds <= {"int"}:
        return "int"
    if kinds <= {"int", "float"}:
        return "float"
    return kinds.pop() if len(kinds) == 1 else "string"


def _kind(v: str) -> str:
    try:
        int(v)
        return "int"
    except ValueError:
        pass
    try:
        float(v)
        return "float"
    except ValueError:
        pass
    if v.lower() in ("true", "false"):
        return "bool"
    try:
        return "date" if len(v) == 10 and date.fromisoformat(v) else "string"
    except ValueError:
        pass
    try:
        datetime.fromisoformat(v)
        return "timestamp"
    except ValueError:
        return "string"


def _json_records(text: str, max_rows: int, notes: list[str], cut: bool) -> tuple[list, bool]:
    """Records of JSON lines, or the elements of one JSON array (or one object); at most ``max_rows`` + 1."""
    decoder = json.JSONDecoder()
    stripped = text.lstrip()
    if stripped.startswith("["):
        out, i = [], text.index("[") + 1
        while len(out) <= max_rows:
            while i < len(text) and text[i] in " \t\r\n,":
                i += 1
            if i >= len(text) or text[i] == "]":
                break
            try:
                value, i = decoder.raw_decode(text, i)
            except json.JSONDecodeError as exc:
                if not out:
                    raise PeekError(f"not JSON: {exc}") from None
                if not cut:  # a cut array just goes on past what was read
                    notes.append(f"element {len(out) + 1} of the array is not JSON ({exc.msg}): rows shown up to it")
                break
            out.append(value)
        return out[:max_rows], len(out) > max_rows
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(out) > max_rows:
            break
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if not out:
                return _one_document(text, exc), False
            notes.append(f"line {n} is not JSON ({exc.msg}): rows shown up to it")
            break
    return out[:max_rows], len(out) > max_rows


def _one_document(text: str, first_error: json.JSONDecodeError) -> list:
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        raise PeekError(f"not JSON lines nor a JSON document: line 1: {first_error.msg}") from None


def _json_rows(text: str, max_rows: int, notes: list[str], cut: bool):
    records, more = _json_records(text, max_rows, notes, cut)
    if not all(isinstance(r, dict) for r in records):
        records = [r if isinstance(r, dict) else {"value": r} for r in records]
    names: dict[str, None] = {}
    for r in records:
        for k in r:
            if len(names) < MAX_COLUMNS:
                names.setdefault(str(k), None)
    types = {k: Counter(_json_type(r.get(k)) for r in records if r.get(k) is not None) for k in names}
    columns = tuple((cell(k), "/".join(sorted(types[k])) or "null") for k in names)
    rows = tuple(tuple(cell(r.get(k)) if k in r else "" for k in names) for r in records)
    return columns, rows, more


def _json_type(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "string", dict: "object", list: "array"}.get(
        type(value), type(value).__name__)
