"""``copy`` never deletes on the destination; ``move`` removes a source file only after its copy is verified."""

from __future__ import annotations

import hashlib
import os

import pytest

from fsspeckit import filesystem
from fsspeckit.verbs.move import move_dir


def _tree(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def trees(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "d").mkdir(parents=True)
    dst.mkdir()
    (src / "a.txt").write_text("a")
    (src / "d" / "b.txt").write_text("b")
    (dst / "only-dst.txt").write_text("stays")
    return src, dst


def test_copy_never_deletes(trees, capsys, run):
    src, dst = trees
    code, out, err = run("copy", src, dst)
    assert code == 0, err
    assert _tree(dst) == {"a.txt": b"a", "d/b.txt": b"b", "only-dst.txt": b"stays"}
    code, _, err = run("copy", src, dst, "--delete")
    assert code == 2 and "never deletes" in err


def test_move_removes_only_verified_sources(trees, capsys, run):
    src, dst = trees
    (src / "same.txt").write_text("same")
    (dst / "same.txt").write_text("same")
    (src / "clash.txt").write_text("source version")
    (dst / "clash.txt").write_text("destination version, newer")
    os.utime(src / "clash.txt", (1_000_000, 1_000_000))
    code, out, err = run("move", src, dst, "--strategy", "skip")
    assert code == 0, err
    assert _tree(src) == {"clash.txt": b"source version"}  # the conflict stays where it is
    assert _tree(dst)["a.txt"] == b"a" and _tree(dst)["d/b.txt"] == b"b" and _tree(dst)["same.txt"] == b"same"
    assert "kept clash.txt" in out and "moved 3 files" in out


def test_move_keeps_the_source_when_the_copy_fails(trees, monkeypatch):
    import fsspeckit.backends.transfer as transfer

    src, dst = trees
    real = transfer._local_to_local

    def broken(s, d, *args):
        if s.endswith("a.txt"):
            raise OSError(28, "No space left on device")
        return real(s, d, *args)

    monkeypatch.setattr(transfer, "_local_to_local", broken)
    result = move_dir(filesystem("/"), filesystem("/"), str(src), str(dst), retries=0)
    assert (src / "a.txt").exists() and not (dst / "a.txt").exists()
    assert not (src / "d" / "b.txt").exists() and (dst / "d" / "b.txt").read_text() == "b"
    assert [o.path for o in result.failed] == ["a.txt"]


def test_a_same_sized_look_alike_is_not_taken_for_a_copy(trees):
    src, dst = trees
    (dst / "a.txt").write_text("A")  # same size, same time, other bytes
    st = (src / "a.txt").stat()
    os.utime(dst / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    result = move_dir(filesystem("/"), filesystem("/"), str(src), str(dst))
    assert (src / "a.txt").read_text() == "a"  # not deleted: the bytes differ
    [kept] = [o for o in result.outcomes if o.action == "delete_source" and o.path == "a.txt"]
    assert kept.outcome == "not_deleted" and "different version" in kept.error


def test_move_dry_run_moves_nothing(trees, capsys, run):
    src, dst = trees
    code, out, _ = run("move", src, dst, "--dry-run")
    assert code == 0 and "nothing moved" in out
    assert _tree(src) == {"a.txt": b"a", "d/b.txt": b"b"} and "a.txt" not in _tree(dst)


def test_move_to_s3_verifies_by_the_stored_md5(s3, trees):
    src, _ = trees
    data = os.urandom(300_000)
    (src / "blob.bin").write_bytes(data)
    result = move_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/m", storage_options=s3.options), str(src), "")
    assert result.ok, result.summary()
    assert _tree(src) == {}
    assert hashlib.md5(s3.fs.cat(s3.path("m/blob.bin"))).hexdigest() == hashlib.md5(data).hexdigest()
