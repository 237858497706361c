"""rclone-style filters: glob semantics, rule order, sizes, ages, hostile filter files,
and rclone itself (``rclone lsf --filter-from``) as the oracle where it is installed."""

from __future__ import annotations

import os
import time
import shutil
import subprocess

import pytest

from fsspeckit.exceptions import FilterError
from fsspeckit.planning.filters import Filters, RuleSet, parse_age, parse_size, read_rules, rules_from_text
from fsspeckit.model.entries import Entry

GLOB_CASES = [
    # (rule list, path, kept)
    (["- *.jpg"], "file.jpg", False),
    (["- *.jpg"], "a/b/file.jpg", False),
    (["- file.jpg"], "afile.jpg", True),          # matches at a segment boundary only
    (["- file.jpg"], "sub/file.jpg", False),
    (["- /file.jpg"], "sub/file.jpg", True),      # a leading '/' anchors at the root
    (["- /file.jpg"], "file.jpg", False),
    (["- *"], "a/b/c", False),                    # '*' matches the last segment wherever it is
    (["- /*"], "a/b/c", True),                    # ... but anchored it is one segment deep
    (["- /*"], "c", False),
    (["- /a/*"], "a/b/c", True),                  # '*' never crosses '/'
    (["- /a/**"], "a/b/c", False),                # '**' does
    (["- dir/"], "dir/x/y.txt", False),           # excluding a folder excludes what is under it
    (["- dir/"], "other/dir/x", False),
    (["- dir/"], "dirx/y", True),
    (["+ dir/", "- *"], "dir/f", False),          # '+ dir/' is a folder rule: files still need a rule
    (["- x?y.txt"], "x/y.txt", True),             # '?' is one character, not '/'
    (["- x?y.txt"], "xzy.txt", False),
    (["- *.{csv,txt}"], "a.txt", False),
    (["- *.{csv,txt}"], "a.log", True),
    (["- [ab].csv"], "b.csv", False),
    (["- [ab].csv"], "c.csv", True),
    (["- br\\[a\\]ck.csv"], "br[a]ck.csv", False),  # '\' escapes
    (["- *.CSV"], "i.csv", True),                 # case matters
    (["+ *.csv", "- **"], "d/e.csv", True),       # first match wins
    (["- **", "+ *.csv"], "d/e.csv", False),
    (["- *.csv", "!", "- *.txt"], "a.csv", True),  # '!' clears the rules before it
    (["- *.csv", "!", "- *.txt"], "a.txt", False),
    (["+ /a/*.csv", "- /**"], "b/x.csv", False),
    (["+ /a/*.csv", "- /**"], "a/x.csv", True),
    (["+ *.csv", "- tmp/**"], "tmp/g.csv", True),
    (["- tmp/**", "+ *.csv"], "tmp/g.csv", False),
    ([], "anything", True),
]


@pytest.mark.parametrize("rules,path,kept", GLOB_CASES)
def test_rule_semantics(rules, path, kept):
    assert RuleSet(rules).keeps(path) is kept


@pytest.mark.parametrize("text,size", [
    ("1", 1024), ("10M", 10 << 20), ("1G", 1 << 30), ("512B", 512), ("1k", 1024), ("1KiB", 1024),
    ("1.5M", int(1.5 * (1 << 20))), ("0", 0), ("2Mi", 2 << 20), ("3 M", 3 << 20),
])
def test_sizes_are_binary_units_with_kib_by_default(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "ten", "10X", "-1M", "1MBx", "M"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(FilterError, match="bad size"):
        parse_size(text)


@pytest.mark.parametrize("text,seconds", [
    ("7d", 7 * 86400), ("2h", 7200), ("1w", 7 * 86400), ("90", 90), ("1h30m", 5400), ("500ms", 0.5),
    ("1M", 30 * 86400), ("1y", 365 * 86400),
])
def test_ages_are_durations_before_now(text, seconds):
    assert parse_age(text, now=1_000_000_000) == pytest.approx(1_000_000_000 - seconds)


def test_ages_can_be_dates():
    assert parse_age("2024-01-31") == 1706659200
    assert parse_age("2024-01-31 12:00:00") == 1706659200 + 43200
    with pytest.raises(FilterError, match="bad age"):
        parse_age("last tuesday")


def test_size_and_age_limits_of_an_entry():
    f = Filters.build(min_size="1", max_size="10M", max_age="7d", now=1_000_000_000)
    why = f.limits_test()
    assert why(Entry("a", 1023, 1_000_000_000)) == "smaller than --min-size"
    assert why(Entry("a", 1024, 1_000_000_000)) is None
    assert why(Entry("a", (10 << 20) + 1, 1_000_000_000)) == "larger than --max-size"
    assert why(Entry("a", 2048, 1_000_000_000 - 8 * 86400)) == "older than --max-age"
    assert why(Entry("a", 2048, None)) == "no modification time to test its age"
    young = Filters.build(min_age="1d", now=1_000_000_000).limits_test()
    assert young(Entry("a", 1, 1_000_000_000 - 3600)) == "newer than --min-age"
    with pytest.raises(FilterError, match="min-age"):
        Filters.build(min_age="7d", max_age="1d")


def test_rule_order_is_rclones(tmp_path):
    inc = tmp_path / "inc"
    inc.write_text("# comment\n*.csv\n\n; other comment\n")
    exc = tmp_path / "exc"
    exc.write_text("tmp/**\n")
    flt = tmp_path / "flt"
    flt.write_text("- *.log\n")
    f = Filters.build(include_from=[inc], exclude_from=[exc], rules=["+ keep.txt"], filter_from=[flt])
    assert f.rules == ("+ *.csv", "- tmp/**", "+ keep.txt", "- *.log", "- /**")


def test_a_filter_file_round_trips_through_a_plan_dict():
    f = Filters.build(rules=["+ *.csv", "- **"], min_size="1M", max_age="2024-01-01", delete_excluded=True)
    assert Filters.from_dict(f.to_dict()) == f


@pytest.mark.parametrize("text,message", [
    ("+ *.csv\n*.txt\n", "line 2: malformed rule '\\*.txt'"),
    ("+ [abc.csv\n", "line 1: mismatched '\\['"),
    ("- a***\n", "line 1: too many stars"),
    ("\n\n+ {a,b\n", "line 3: mismatched '{'"),
    ("-*.csv\n", "line 1: malformed rule"),
    ("+ a]b\n", "line 1: mismatched ']'"),
])
def test_a_bad_line_is_named(tmp_path, text, message):
    path = tmp_path / "rules.txt"
    path.write_text(text)
    with pytest.raises(FilterError, match=message) as info:
        read_rules(str(path))
    assert str(path) in str(info.value)


def test_a_missing_or_unreadable_file_is_named(tmp_path):
    with pytest.raises(FilterError, match="cannot read the filter file .*nope"):
        read_rules(str(tmp_path / "nope"))
    with pytest.raises(FilterError, match="cannot read the exclude file"):
        read_rules(str(tmp_path), "exclude")  # a folder
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe- *\n")
    with pytest.raises(FilterError, match="cannot read"):
        read_rules(str(binary))


def test_include_and_exclude_files_take_globs_not_rules():
    assert rules_from_text("*.csv\n- x\n", "include") == ["+ *.csv", "+ - x"]
    assert rules_from_text("*.csv\n", "exclude") == ["- *.csv"]


# --- rclone as the oracle --------------------------------------------------------

TRICKY = [
    "a.csv", "b.txt", "sp ace.csv", "dir/c.csv", "dir/d.txt", "dir/sub/e.csv", "dir/sub/f.log", "tmp/g.csv",
    "x/tmp/h.csv", "x/y/z/i.CSV", "br[a]ck.csv", "cur{ly}.txt", ".hidden/j.csv", "logs/2024/k.log",
    "logs/l.log", "ünï/m.csv", "a/b/a.csv", "x?y.txt", "dir2/c.csv", "file.jpg", "afile.jpg", "sub/file.jpg",
    "deep/a/b/c/d/file.jpg", "plus+dollar$.txt", "paren(1).csv", "caret^.txt", "dir/sub/dir/n.csv",
]

FILTER_FILES = [
    "+ *.csv\n- **\n",
    "- dir/\n+ *.csv\n- *\n",
    "- /dir/**\n",
    "+ /dir/**\n- **\n",
    "+ dir/\n- *\n",
    "- *.{csv,txt}\n",
    "# only the top\n+ /*\n- **\n",
    "- tmp/\n+ **.csv\n- **\n",
    "+ x/**\n- x/y/**\n- **\n",
    "- x/y/**\n+ x/**\n- **\n",
    "+ /a/*.csv\n- /**\n",
    "- file.jpg\n",
    "- /file.jpg\n",
    "- x?y.txt\n- br\\[a\\]ck.csv\n",
    "+ [ab].csv\n- *\n",
    "- *.csv\n!\n- *.txt\n",
    "+ **/sub/**\n- **\n",
    "- **/sub/\n",
    "- *\n",
    "+ logs/**\n- **\n",
    "+ *.log\n- /logs/2024/\n- **\n",
    "- ünï/\n- .hidden/**\n",
    "- plus+dollar$.txt\n- paren(1).csv\n- caret^.txt\n",
    "+ dir/sub/**\n- dir/**\n",
    "- cur{ly}.txt\n",
]


def _rclone_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env["RCLONE_CONFIG"] = os.devnull
    return env


@pytest.fixture(scope="module")
def tricky_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tricky")
    for rel in TRICKY:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(rel)
    return root


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
@pytest.mark.parametrize("text", FILTER_FILES)
def test_same_selection_as_rclone(tricky_tree, tmp_path, text):
    path = tmp_path / "filter.txt"
    path.write_text(text)
    run = subprocess.run(["rclone", "lsf", "-R", "--files-only", "--filter-from", str(path), str(tricky_tree)],
                         capture_output=True, text=True, env=_rclone_env(), timeout=60)
    assert run.returncode == 0, run.stderr
    theirs = sorted(run.stdout.splitlines())
    rules = RuleSet(Filters.build(filter_from=[str(path)]).rules)
    ours = sorted(p for p in TRICKY if rules.keeps(p))
    assert ours == theirs


SIZED = {"empty": 0, "one": 1, "k-1": 1023, "k": 1024, "k+1": 1025, "2k": 2048, "big": 5000}
DAY = 86400


@pytest.fixture(scope="module")
def sized_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("sized")
    now = time.time()
    for i, (name, size) in enumerate(SIZED.items()):
        p = root / name
        p.write_bytes(b"x" * size)
        when = now - i * 3 * DAY  # 0, 3, 6, ... days old
        os.utime(p, (when, when))
    return root


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
@pytest.mark.parametrize("flags", [
    ["--min-size", "1K"], ["--max-size", "1K"], ["--min-size", "1"], ["--max-size", "1023B"],
    ["--min-size", "1k", "--max-size", "2k"], ["--max-age", "7d"], ["--min-age", "4d"], ["--max-age", "2w"],
    ["--min-age", "1d", "--max-age", "10d"],
])
def test_size_and_age_limits_select_as_rclone(sized_tree, flags):
    run = subprocess.run(["rclone", "lsf", "--files-only", *flags, str(sized_tree)],
                         capture_output=True, text=True, env=_rclone_env(), timeout=60)
    assert run.returncode == 0, run.stderr
    names = dict(zip(flags[::2], flags[1::2]))
    f = Filters.build(min_size=names.get("--min-size"), max_size=names.get("--max-size"),
                      max_age=names.get("--max-age"), min_age=names.get("--min-age"))
    why = f.limits_test()
    ours = sorted(p.name for p in sized_tree.iterdir() if why(Entry(p.name, p.stat().st_size, p.stat().st_mtime)) is None)
    assert ours == sorted(run.stdout.splitlines())


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
@pytest.mark.parametrize("text", FILTER_FILES[::3])
def test_a_copy_with_a_filter_file_writes_what_rclone_selects(tricky_tree, tmp_path, text, monkeypatch, capsys):
    from tui import cli

    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))
    rules = tmp_path / "filter.txt"
    rules.write_text(text)
    run = subprocess.run(["rclone", "lsf", "-R", "--files-only", "--filter-from", str(rules), str(tricky_tree)],
                         capture_output=True, text=True, env=_rclone_env(), timeout=60)
    assert run.returncode == 0, run.stderr
    dst = tmp_path / "dst"
    code = cli.main(["copy", str(tricky_tree), str(dst), "--filter-from", str(rules)])
    assert code == 0, capsys.readouterr().err
    ours = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file()) if dst.exists() else []
    assert ours == sorted(run.stdout.splitlines())


def _moto_env(s3) -> dict:
    env = _rclone_env()
    env.update({"RCLONE_CONFIG_MOTO_TYPE": "s3", "RCLONE_CONFIG_MOTO_PROVIDER": "Other",
                "RCLONE_CONFIG_MOTO_ENDPOINT": s3.endpoint, "RCLONE_CONFIG_MOTO_ACCESS_KEY_ID": "testing",
                "RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY": "testing", "RCLONE_CONFIG_MOTO_REGION": "us-east-1"})
    return env


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
def test_on_s3_the_selection_is_rclones(s3, tricky_tree, tmp_path, monkeypatch, capsys):
    from tui import cli

    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))
    s3.fs.put(str(tricky_tree) + "/", s3.path("t"), recursive=True)
    opts = [a for k, v in s3.options.items() if isinstance(v, str) for a in ("--src-option", f"{k}={v}")]
    for i, text in enumerate(FILTER_FILES[1::4]):
        rules = tmp_path / f"filter{i}.txt"
        rules.write_text(text)
        run = subprocess.run(["rclone", "lsf", "-R", "--files-only", "--filter-from", str(rules),
                              f"moto:{s3.bucket}/t"], capture_output=True, text=True, env=_moto_env(s3), timeout=60)
        assert run.returncode == 0, run.stderr
        dst = tmp_path / f"dst{i}"
        code = cli.main(["copy", f"s3://{s3.bucket}/t", str(dst), "--filter-from", str(rules), *opts])
        assert code == 0, capsys.readouterr().err
        ours = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file()) if dst.exists() else []
        assert ours == sorted(run.stdout.splitlines()), text
