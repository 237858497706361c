"""check scoped like a sync: filters, --partitions, --one-way, --download, --combined (rclone's format)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from fsspeckit import Filters, filesystem
from fsspeckit.verbs.check import check_trees
from tui import cli


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


SRC = {"year=2023/a.csv": b"a", "year=2024/b.csv": b"b", "year=2024/c.csv": b"c", "notes.txt": b"n"}


def test_check_after_a_partition_scoped_sync_reports_nothing(capsys, local_tree):
    src = local_tree(SRC, "src")
    dst = local_tree({"year=2022/old.csv": b"o"}, "dst")
    code, _, err = run(capsys, "sync", src, dst, "--partitions", "year>=2024")
    assert code == 0, err
    code, out, err = run(capsys, "check", src, dst, "--partitions", "year>=2024")
    assert code == 0, out + err
    assert "0 differences found; 2 matching files; 3 left out by the filters" in out
    code, out, _ = run(capsys, "check", src, dst)  # unscoped, the rest shows
    assert code == 1 and "+ year=2023/a.csv" in out and "- year=2022/old.csv" in out


def test_check_takes_the_sync_filters(capsys, local_tree, tmp_path):
    src = local_tree(SRC, "src")
    dst = local_tree({"year=2024/b.csv": b"b", "year=2024/c.csv": b"c"}, "dst")
    rules = tmp_path / "rules"
    rules.write_text("+ /year=2024/**\n- **\n")
    assert run(capsys, "check", src, dst, "--filter-from", rules)[0] == 0
    assert run(capsys, "check", src, dst, "--exclude", "notes.txt", "--exclude", "year=2023")[0] == 0
    assert run(capsys, "check", src, dst, "--include", "*.csv")[0] == 1
    code, _, err = run(capsys, "check", src, dst, "--filter-from", tmp_path / "missing")
    assert code == 2 and "missing" in err


def test_one_way_and_download(capsys, local_tree):
    src = local_tree({"same.txt": b"one", "differs.txt": b"abc"}, "src")
    dst = local_tree({"same.txt": b"one", "differs.txt": b"abd", "extra.txt": b"e"}, "dst")
    code, out, _ = run(capsys, "check", src, dst, "--one-way", "--download")
    assert code == 1
    assert "* differs.txt" in out and "contents differ (bytes compared)" in out and "extra.txt" not in out
    assert "bytes (downloaded): 2" in out
    code, _, err = run(capsys, "check", src, dst, "--download", "--size-only")
    assert code == 2


def test_download_on_s3(s3, local_tree):
    src = local_tree({"a.bin": b"x" * 3000, "b.bin": b"y" * 10}, "src")
    s3.fs.pipe({s3.path("c/a.bin"): b"x" * 3000, s3.path("c/b.bin"): b"z" * 10})
    result = check_trees(filesystem("/"), filesystem(f"s3://{s3.bucket}/c", storage_options=s3.options),
                         str(src), "", download=True)
    assert result.matching == ["a.bin"] and [d.path for d in result.differ] == ["b.bin"]
    assert result.methods == {"bytes (downloaded)": 2}


def test_library_check_with_filters(local_tree):
    src = local_tree(SRC, "src")
    dst = local_tree({"notes.txt": b"n"}, "dst")
    local = filesystem("/")
    result = check_trees(local, local, str(src), str(dst), filters=Filters(rules=("- *.csv",)))
    assert result.ok and result.excluded == 3


def test_combined_report(capsys, local_tree, tmp_path):
    src = local_tree({"same.txt": b"s", "differs.txt": b"1", "only_src.txt": b"o"}, "src")
    dst = local_tree({"same.txt": b"s", "differs.txt": b"2", "only_dst.txt": b"d"}, "dst")
    report = tmp_path / "combined.txt"
    code, out, _ = run(capsys, "check", src, dst, "--combined", report)
    assert code == 1
    lines = report.read_text().splitlines()
    assert lines == ["* differs.txt", "- only_dst.txt", "+ only_src.txt", "= same.txt"]
    code, out, _ = run(capsys, "check", src, dst, "--combined", "-")
    assert out.splitlines() == lines
    if shutil.which("rclone"):
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        env["RCLONE_CONFIG"] = os.devnull
        theirs = subprocess.run(["rclone", "check", str(src), str(dst), "--combined", "-"],
                                capture_output=True, text=True, env=env, timeout=60).stdout
        assert sorted(theirs.splitlines()) == sorted(lines)
    code, _, err = run(capsys, "check", src, dst, "--combined", tmp_path / "no" / "such" / "dir.txt")
    assert code == 2 and "cannot write the combined report" in err
