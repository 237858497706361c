"""The rclone filter flags on sync, copy, move and plan, and the same filters in the library."""

from __future__ import annotations

import json
import os
import time

import pytest

from fsspeckit import Filters, Plan, filesystem, plan_sync, sync_dir
from tui import cli


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


SRC = {"a.csv": b"1,2", "b.txt": b"text", "logs/c.log": b"log", "data/d.csv": b"3,4", "big.bin": b"x" * 5000}


def files(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def trees(local_tree):
    return local_tree(SRC, "src"), local_tree({"old.log": b"o", "keep.txt": b"k"}, "dst")


def test_filter_from_selects_like_rclone_and_protects_excluded_files(capsys, trees, tmp_path):
    src, dst = trees
    rules = tmp_path / "rules.txt"
    rules.write_text("# csv only\n+ *.csv\n- **\n")
    code, out, err = run(capsys, "sync", src, dst, "--filter-from", rules)
    assert code == 0, err
    assert files(dst) == {"a.csv", "data/d.csv", "old.log", "keep.txt"}


def test_delete_excluded_removes_what_the_filters_leave_out(capsys, trees, tmp_path):
    src, dst = trees
    code, out, err = run(capsys, "sync", src, dst, "--filter", "+ *.csv", "--filter", "- **", "--delete-excluded")
    assert code == 0, err
    assert files(dst) == {"a.csv", "data/d.csv"}


def test_delete_excluded_is_refused_where_nothing_is_deleted(capsys, trees):
    src, dst = trees
    for verb in ("copy", "move"):
        code, _, err = run(capsys, verb, src, dst, "--max-size", "1", "--delete-excluded")
        assert code == 2 and "--delete-excluded" in err
    assert files(dst) == {"old.log", "keep.txt"}
    assert files(src) == set(SRC)


def test_include_and_exclude_files(capsys, trees, tmp_path):
    src, dst = trees
    inc = tmp_path / "inc"
    inc.write_text("*.csv\n*.txt\n")
    exc = tmp_path / "exc"
    exc.write_text("; comments\ndata/\n")
    code, _, err = run(capsys, "copy", src, dst, "--exclude-from", exc, "--include-from", inc)
    assert code == 0, err
    # rclone's order: the include lines come first, so data/d.csv matches '+ *.csv' before '- data/**'.
    assert files(dst) == {"a.csv", "b.txt", "data/d.csv", "old.log", "keep.txt"}


def test_size_limits_use_binary_units(capsys, trees):
    src, dst = trees
    code, _, err = run(capsys, "copy", src, dst, "--min-size", "4B", "--max-size", "4K")
    assert code == 0, err
    assert files(dst) - {"old.log", "keep.txt"} == {"b.txt"}  # 4 bytes; big.bin is 5000 > 4096
    code, _, err = run(capsys, "copy", src, dst, "--min-size", "4K")
    assert files(dst) - {"old.log", "keep.txt"} == {"b.txt", "big.bin"}


def test_age_limits(capsys, trees):
    src, dst = trees
    old = time.time() - 10 * 86400
    os.utime(src / "a.csv", (old, old))
    code, _, err = run(capsys, "copy", src, dst, "--max-age", "7d")
    assert code == 0, err
    assert "a.csv" not in files(dst) and "b.txt" in files(dst)
    code, _, err = run(capsys, "copy", src, dst, "--min-age", "1w")
    assert "a.csv" in files(dst)


def test_an_old_destination_file_is_not_deleted_by_an_age_filter(capsys, local_tree):
    src = local_tree({"new.txt": b"n"}, "src")
    dst = local_tree({"ancient.txt": b"a"}, "dst")
    old = time.time() - 100 * 86400
    os.utime(dst / "ancient.txt", (old, old))
    code, _, err = run(capsys, "sync", src, dst, "--max-age", "30d")
    assert code == 0, err
    assert files(dst) == {"new.txt", "ancient.txt"}  # excluded, so protected


@pytest.mark.parametrize("text,line", [("+ *.csv\nno sign here\n", 2), ("- [a\n", 1), ("\n# c\n+ a***\n", 3)])
def test_a_bad_filter_file_exits_2_naming_the_line_and_writes_nothing(capsys, trees, tmp_path, text, line):
    src, dst = trees
    rules = tmp_path / "rules.txt"
    rules.write_text(text)
    for verb in ("sync", "copy", "move", "plan"):
        code, out, err = run(capsys, verb, src, dst, "--filter-from", rules)
        assert code == 2, (verb, err)
        assert f"{rules}, line {line}:" in err
    assert files(dst) == {"old.log", "keep.txt"}
    assert files(src) == set(SRC)


def test_a_missing_filter_file_exits_2(capsys, trees, tmp_path):
    src, dst = trees
    for flag in ("--filter-from", "--include-from", "--exclude-from"):
        code, _, err = run(capsys, "sync", src, dst, flag, tmp_path / "nope.txt")
        assert code == 2 and "nope.txt" in err
    assert files(dst) == {"old.log", "keep.txt"}


@pytest.mark.parametrize("flag,value", [("--min-size", "ten"), ("--max-age", "yesterday"), ("--filter", "*.csv")])
def test_bad_values_exit_2(capsys, trees, flag, value):
    src, dst = trees
    code, _, err = run(capsys, "sync", src, dst, flag, value)
    assert code == 2 and value in err


def test_the_aws_idiom_is_refused_with_the_rclone_way(capsys, trees):
    src, dst = trees
    code, _, err = run(capsys, "sync", src, dst, "--exclude", "*", "--include", "*.csv")
    assert code == 2
    assert "--filter '+ *.csv' --filter '- **'" in err
    assert files(dst) == {"old.log", "keep.txt"}
    # What it points to does what aws means.
    code, _, err = run(capsys, "copy", src, dst, "--filter", "+ *.csv", "--filter", "- **")
    assert code == 0, err
    assert files(dst) == {"a.csv", "data/d.csv", "old.log", "keep.txt"}
    # Include before exclude keeps its meaning (a file matches an include and no exclude).
    code, _, err = run(capsys, "copy", src, dst, "--include", "*.txt", "--exclude", "keep.txt")
    assert code == 0, err


def test_a_saved_plan_keeps_its_filters(capsys, trees, tmp_path):
    src, dst = trees
    plan_file = tmp_path / "plan.json"
    code, _, err = run(capsys, "plan", src, dst, "-o", plan_file, "--filter", "- *.log", "--max-age", "2d",
                       "--delete-excluded")
    assert code == 0, err
    saved = json.loads(plan_file.read_text())["options"]["filters"]
    assert saved["rules"] == ["- *.log"] and saved["delete_excluded"] and saved["modified_from"] > 0
    plan = Plan.load(plan_file)
    assert plan.options.filters.rules == ("- *.log",)
    assert plan.get("old.log").kind == "delete" and "delete-excluded" in plan.get("old.log").reason
    assert plan.get("logs/c.log").kind == "skip"


def test_library_filters(trees):
    src, dst = trees
    local = filesystem("/")
    filters = Filters.build(rules=["+ *.csv", "- **"], max_size="1K")
    plan = plan_sync(local, local, str(src), str(dst), filters=filters)
    assert sorted(a.path for a in plan.transfers) == ["a.csv", "data/d.csv"]
    result = sync_dir(local, local, str(src), str(dst), filters=Filters(rules=("- big.bin",), delete_excluded=True))
    assert files(dst) == set(SRC) - {"big.bin"}
    assert result.ok


def test_s3_sync_with_a_filter_file(capsys, s3, local_tree, tmp_path):
    src = local_tree(SRC, "src")
    s3.fs.pipe({s3.path("f/logs/old.log"): b"o", s3.path("f/z.bin"): b"z", s3.path("f/gone.txt"): b"g"})
    rules = tmp_path / "rules"
    rules.write_text("- logs/\n- *.bin\n")
    opts = [a for k, v in s3.options.items() if isinstance(v, str) for a in ("--dst-option", f"{k}={v}")]
    dst = f"s3://{s3.path('f')}"

    def listed():
        s3.fs.invalidate_cache()
        return sorted(p.split("/f/", 1)[1] for p in s3.fs.find(s3.path("f")))

    code, _, err = run(capsys, "sync", src, dst, "--filter-from", rules, *opts)
    assert code == 0, err
    assert listed() == ["a.csv", "b.txt", "data/d.csv", "logs/old.log", "z.bin"]  # excluded: kept
    code, _, err = run(capsys, "sync", src, dst, "--filter-from", rules, "--delete-excluded", *opts)
    assert code == 0, err
    assert listed() == ["a.csv", "b.txt", "data/d.csv"]


def test_bisync_takes_filter_rules_but_not_limits(capsys, local_tree, tmp_path):
    a = local_tree({"x.csv": b"x", "y.log": b"y"}, "a")
    b = local_tree({"z.csv": b"z"}, "b")
    rules = tmp_path / "rules"
    rules.write_text("- *.log\n")
    code, out, err = run(capsys, "bisync", a, b, "--filter-from", rules)
    assert code == 0, err
    assert files(b) == {"x.csv", "z.csv"} and files(a) == {"x.csv", "y.log", "z.csv"}
    code, _, err = run(capsys, "bisync", a, b, "--max-size", "1M")
    assert code == 2 and "look deleted" in err
    code, _, err = run(capsys, "bisync", a, b, "--exclude", "*", "--include", "*.csv")
    assert code == 2 and "--filter" in err


def test_a_new_source_file_the_filters_leave_out_does_not_make_the_plan_stale(capsys, trees, tmp_path):
    src, dst = trees
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", src, dst, "-o", plan_file, "--filter", "- *.tmp", "--max-size", "1K")[0] == 0
    (src / "new.tmp").write_bytes(b"t")
    (src / "huge.bin").write_bytes(b"h" * 5000)
    code, _, err = run(capsys, "apply", plan_file)
    assert code == 0, err
    (src / "new.csv").write_bytes(b"n")
    code, _, err = run(capsys, "apply", plan_file)
    assert code == 3 and "new.csv" in err
