"""--bwlimit, --max-transfer and backups that are never overwritten (--suffix, dated names)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.execution.limits import Backups, TokenBucket, TransferBudget, backup_name
from tui import cli


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_token_bucket_is_shared_by_threads():
    bucket = TokenBucket(200_000)
    t0 = time.monotonic()

    def pull():
        for _ in range(10):
            bucket.take(20_000)

    threads = [threading.Thread(target=pull) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    # 800 kB at 200 kB/s with a burst of 200 kB: about 3 s, whatever the number of threads.
    assert 2.5 < took < 6


def test_token_bucket_sleep_is_cut_short_by_cancel():
    cancel = threading.Event()
    bucket = TokenBucket(1000, cancel)
    cancel.set()
    t0 = time.monotonic()
    bucket.take(10_000_000)
    assert time.monotonic() - t0 < 1


def test_budget():
    b = TransferBudget(10)
    assert b.start(6) and b.start(6) and not b.start(1) and b.reached
    b.give_back(6)
    b.give_back(6)
    assert b.start(1)


@pytest.mark.parametrize("rel,suffix,keep,name", [
    ("a/b.csv", ".bak", False, "a/b.csv.bak"), ("a/b.csv", "-1", True, "a/b-1.csv"),
    ("noext", "-1", True, "noext-1"), (".hidden", "-1", True, ".hidden-1"), ("x.tar.gz", ".o", True, "x.tar.o.gz"),
])
def test_backup_names(rel, suffix, keep, name):
    assert backup_name(rel, suffix, keep) == name


def test_bwlimit_limits_a_local_sync(capsys, local_tree, tmp_path):
    src = local_tree({f"f{i}.bin": os.urandom(150_000) for i in range(4)}, "src")
    t0 = time.monotonic()
    code, out, err = run(capsys, "sync", src, tmp_path / "dst", "--bwlimit", "200K", "--workers", 4)
    took = time.monotonic() - t0
    assert code == 0, err
    # 600 kB at 200 KiB/s after a one-second burst: about 2 s (unlimited it takes milliseconds).
    assert took > 1.5, took
    assert files(tmp_path / "dst") == files(src)


def test_bwlimit_limits_an_upload_to_s3(s3, local_tree):
    src = local_tree({f"f{i}.bin": os.urandom(120_000) for i in range(3)}, "src")
    dst = filesystem(f"s3://{s3.bucket}/bw", storage_options=s3.options)
    t0 = time.monotonic()
    result = sync_dir(filesystem("/"), dst, str(src), "", bwlimit=100 * 1024, max_workers=3)
    assert result.ok and time.monotonic() - t0 > 1.8
    assert len(s3.fs.find(s3.path("bw"))) == 3


def test_max_transfer_stops_new_transfers_deletes_nothing_and_exits_8(capsys, local_tree, tmp_path):
    src = local_tree({f"f{i}.bin": b"x" * 1000 for i in range(10)}, "src")
    dst = local_tree({"stale.txt": b"s"}, "dst")
    code, out, err = run(capsys, "sync", src, dst, "--max-transfer", "3000B", "--workers", 1)
    assert code == 8, out + err
    copied = [p for p in files(dst) if p.endswith(".bin")]
    assert len(copied) == 3
    assert "stale.txt" in files(dst)  # a stopped run deletes nothing
    assert "--max-transfer limit was reached; 7 files not started" in out
    code, out, err = run(capsys, "sync", src, dst, "--max-transfer", "1G")  # the rest, then the delete
    assert code == 0, err
    assert len(files(dst)) == 10


def test_max_transfer_in_the_library(local_tree, tmp_path):
    src = local_tree({f"f{i}.bin": b"x" * 1000 for i in range(5)}, "src")
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(tmp_path / "d"), max_transfer=2500,
                      max_workers=1)
    assert result.max_transfer_reached and len(result.paths("copied")) == 3
    assert result.to_dict()["max_transfer_reached"] is True


def test_a_second_run_keeps_the_first_runs_backups(capsys, local_tree, tmp_path):
    dst = local_tree({"a.csv": b"v1", "gone.txt": b"g1"}, "dst")
    backup = tmp_path / "backup"
    for version in (b"v22", b"v333"):  # sizes differ: a change whatever the clock
        src = local_tree({"a.csv": version}, "src")
        (dst / "gone.txt").write_bytes(b"g" + version)
        code, out, err = run(capsys, "sync", src, dst, "--backup-dir", backup, "--suffix", ".bak",
                             "--suffix-keep-extension")
        assert code == 0, err
    kept = files(backup)
    assert kept["a.bak.csv"] == b"v1"
    dated = {k: v for k, v in kept.items() if k.startswith("a.bak-")}
    assert list(dated.values()) == [b"v22"] and all(k.endswith(".csv") for k in dated)
    assert sorted(v for k, v in kept.items() if k.startswith("gone")) == [b"gv22", b"gv333"]


def test_backups_without_a_suffix_are_not_overwritten_either(local_tree, tmp_path):
    backup = tmp_path / "b"
    local = filesystem("/")
    dst = local_tree({"a.txt": b"1"}, "dst")
    for i in (2, 3, 4):
        src = local_tree({"a.txt": str(i).encode() * i}, f"src{i}")
        sync_dir(local, local, str(src), str(dst), backup_dir=str(backup))
    assert sorted(files(backup).values()) == [b"1", b"22", b"333"]


def test_backups_on_s3(s3, local_tree):
    fs = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    s3.fs.pipe({s3.path("d/a.txt"): b"first"})
    for content in (b"second", b"third"):
        src = local_tree({"a.txt": content}, "src-" + content.decode())
        sync_dir(filesystem("/"), fs, str(src), "d", backup_dir="bk", backup_suffix=".old")
    s3.fs.invalidate_cache()
    names = sorted(p.rsplit("/", 1)[1] for p in s3.fs.find(s3.path("bk")))
    assert names[0] == "a.txt.old" and names[1].startswith("a.txt.old-") and len(names) == 2
    assert s3.fs.cat(s3.path("bk/a.txt.old")) == b"first"
    assert s3.fs.cat(s3.path("bk/" + names[1])) == b"second"


def test_bad_limits_exit_2(capsys, local_tree, tmp_path):
    src = local_tree({"a": b"a"}, "src")
    for argv in (["--suffix", ".bak"], ["--bwlimit", "fast"], ["--max-transfer", "lots"], ["--bwlimit", "0"],
                 ["--backup-dir", tmp_path / "b", "--suffix", "x/y"]):
        code, _, err = run(capsys, "sync", src, tmp_path / "dst", *argv)
        assert code == 2, (argv, err)
    assert not (tmp_path / "dst").exists()


def test_move_with_max_transfer_keeps_what_it_did_not_copy(capsys, local_tree, tmp_path):
    src = local_tree({f"f{i}.bin": b"m" * 1000 for i in range(4)}, "src")
    code, out, err = run(capsys, "move", src, tmp_path / "dst", "--max-transfer", "2000B", "--workers", 1)
    assert code == 8, out + err
    assert len(files(tmp_path / "dst")) == 2 and len(files(src)) == 2  # moved two, kept two
    assert "--max-transfer" in err
    assert set(files(tmp_path / "dst")).isdisjoint(files(src))


def test_the_stores_own_copy_is_not_limited(s3):
    s3.fs.pipe({s3.path("a/big.bin"): os.urandom(400_000)})
    fs = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    t0 = time.monotonic()
    result = sync_dir(fs, fs, "a", "b", bwlimit=10_000)  # 40 s if the bytes came through here
    assert result.ok and time.monotonic() - t0 < 10
    assert s3.fs.cat(s3.path("b/big.bin")) == s3.fs.cat(s3.path("a/big.bin"))


@pytest.mark.parametrize("suffix", ["/../x", "a/b", "..", "\\\\x"])
def test_a_suffix_cannot_leave_the_backup_folder(local_tree, tmp_path, suffix):
    src = local_tree({"a": b"new"}, "src")
    dst = local_tree({"a": b"old!"}, "dst")
    with pytest.raises(ValueError, match="backup suffix"):
        sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), backup_dir=str(tmp_path / "b"),
                 backup_suffix=suffix)
    assert (dst / "a").read_bytes() == b"old!"
