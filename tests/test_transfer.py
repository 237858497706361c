"""The kernel copy of local files: copy_file_range, then sendfile, then plain reads."""

from __future__ import annotations

import errno
import os

import pytest

import fsspeckit.transfer as transfer


def _copy(tmp_path, data: bytes, chunk: int = 1 << 16) -> tuple[bytes, int, list[int]]:
    src, dst = tmp_path / "in.bin", tmp_path / "out.bin"
    src.write_bytes(data)
    seen: list[int] = []
    guard = transfer._Guard(seen.append, None, None)
    fin = os.open(src, os.O_RDONLY)
    fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        n = transfer._kernel_copy(fin, fout, guard, chunk)
    finally:
        os.close(fin)
        os.close(fout)
    return dst.read_bytes(), n, seen


@pytest.mark.parametrize("size", [0, 1, 65_536, 300_001])
def test_kernel_copy_is_exact(tmp_path, size):
    data = os.urandom(size)
    out, n, seen = _copy(tmp_path, data)
    assert out == data and n == size and sum(seen) == size


def _refuse(*_args):
    raise OSError(errno.EXDEV, "Invalid cross-device link")


@pytest.mark.parametrize("copy_file_range", [_refuse, lambda *_a: 0], ids=["refused", "copies-nothing"])
def test_kernel_copy_falls_back_to_sendfile(tmp_path, monkeypatch, copy_file_range):
    monkeypatch.setattr(transfer, "_COPY_FILE_RANGE", copy_file_range)
    calls = []
    real = os.sendfile

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(transfer.os, "sendfile", counting)
    data = os.urandom(200_000)
    out, n, _ = _copy(tmp_path, data)
    assert out == data and n == len(data) and calls


def test_kernel_copy_falls_back_to_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "_COPY_FILE_RANGE", _refuse)
    monkeypatch.setattr(transfer.os, "sendfile", lambda *a: (_ for _ in ()).throw(OSError(errno.EINVAL, "no")))
    data = os.urandom(150_000)
    out, n, seen = _copy(tmp_path, data)
    assert out == data and n == len(data) and sum(seen) == len(data)


def test_kernel_copy_error_after_bytes_moved_is_raised(tmp_path, monkeypatch):
    state = {"n": 0}

    def half(fin, fout, count):
        state["n"] += 1
        if state["n"] > 1:
            raise OSError(errno.EIO, "I/O error")
        return os.copy_file_range(fin, fout, count)

    monkeypatch.setattr(transfer, "_COPY_FILE_RANGE", half)
    with pytest.raises(OSError, match="I/O error"):
        _copy(tmp_path, os.urandom(300_000), chunk=65_536)
