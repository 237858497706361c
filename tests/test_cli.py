"""The headless entry point: help, exit codes, remote and partitions commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tui import cli

pytestmark = pytest.mark.usefixtures("config")

VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize("argv", [
    ["plan", "--help"], ["apply", "--help"], ["check", "--help"], ["partitions", "--help"],
    ["remote", "--help"], ["remote", "add", "--help"], ["remote", "list", "--help"],
    ["remote", "remove", "--help"], ["remote", "test", "--help"],
])
def test_every_command_has_help(capsys, argv, run):
    code, out, _ = run(*argv)
    assert code == 0
    assert out.startswith("usage: fsspeckit-tui " + " ".join(argv[:-1]))


def test_help_documents_exit_codes(capsys, run):
    for command in ("plan", "apply", "check"):
        _, out, _ = run(command, "--help")
        assert "exit codes:" in out and "3  the plan is stale" in out and "4  could not connect" in out


def test_apply_help_documents_the_scheduler_option(capsys, run):
    code, out, _ = run("apply", "--help")
    assert code == 0 and "--scheduler ADDRESS" in out and "Dask" in out
    code, _, err = run("plan", "a", "b", "--scheduler", "tcp://h:8786")
    assert code == 2 and "unrecognized arguments: --scheduler" in err


def test_usage_errors_exit_2(capsys, run):
    code, _, err = run("plan", "only-one-arg")
    assert code == 2 and "the following arguments are required: DST" in err
    code, _, err = run("apply", "p.json", "--workers", "0")
    assert code == 2 and "must be 1 or more" in err
    code, _, err = run("check", "a", "b", "--src-option", "novalue")
    assert code == 2 and "not an option" in err and "Traceback" not in err


def test_console_script_runs_as_a_subprocess():
    exe = VENV_BIN / "fsspeckit-tui"
    if not exe.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    proc = subprocess.run([str(exe), "plan", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "usage: fsspeckit-tui plan" in proc.stdout and "--strategy" in proc.stdout
    assert proc.stderr == ""


def test_cli_does_not_import_textual():
    code = ("import sys, tui.cli, fsspeckit.remotes.profiles, fsspeckit.verbs.check, fsspeckit.planning.plan_check; "
            "tui.cli.build_parser(); "
            "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"textual imported: {proc.stdout} {proc.stderr}"


def test_remote_commands(capsys, config, tmp_path, monkeypatch, run):
    code, out, _ = run("remote", "list")
    assert code == 0 and "No saved remotes" in out
    code, out, _ = run("remote", "add", "backup", str(tmp_path), "--option", "auto_mkdir=true")
    assert code == 0 and "Saved remote backup" in out and config.exists()
    code, _, err = run("remote", "add", "leaky", "s3://b", "--option", "secret=abc")
    assert code == 2 and "env:VARIABLE_NAME" in err
    code, _, err = run("remote", "add", "backup", "s3://b")
    assert code == 2 and "already exists" in err
    code, out, _ = run("remote", "list", "--json")
    data = json.loads(out)
    assert data["config"] == str(config)
    assert data["remotes"] == [{"name": "backup", "protocol": "file", "root": str(tmp_path), "url": str(tmp_path),
                                "options": {"auto_mkdir": True}}]
    code, out, _ = run("remote", "test", "backup", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, _, err = run("remote", "test", "missing")
    assert code == 2 and "no saved remote named 'missing'" in err
    code, out, _ = run("remote", "remove", "backup")
    assert code == 0 and "Removed remote backup" in out
    code, _, err = run("remote", "remove", "backup")
    assert code == 2


def test_remote_test_failure_exits_4(capsys, s3, run):
    code, _, _ = run("remote", "add", "gone", "s3://no-such-bucket-cli",
                     "--option", f"endpoint_url={s3.endpoint}", "--option", "key=testing",
                     "--option", "secret=env:AWS_SECRET_ACCESS_KEY")
    assert code == 0
    code, _, err = run("remote", "test", "gone")
    assert code == 4 and "bucket 'no-such-bucket-cli' does not exist" in err


HIVE = {
    "year=2023/month=12/a.parquet": b"x" * 10,
    "year=2024/month=01/b.parquet": b"y" * 20,
    "year=2024/month=02/c.parquet": b"z" * 30,
    "year=2024/month=02/d.parquet": b"w" * 40,
    "_SUCCESS": b"",
}


def test_partitions_local(capsys, local_tree, run):
    root = local_tree(HIVE, "hive")
    code, out, _ = run("partitions", str(root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{root}: 5 files, 100 B, 2 partition keys"
    assert lines[1] == "year:" and lines[2].split()[:4] == ["2023", "1", "file", "10"]
    assert lines[3].split()[:4] == ["2024", "3", "files", "90"]
    assert "month:" in lines and lines[-1] == "outside any partition: 1 file, 0 B"
    code, out, _ = run("partitions", str(root), "--json")
    data = json.loads(out)
    assert data["keys"]["month"]["02"]["files"] == 2 and data["keys"]["month"]["02"]["bytes"] == 70
    assert data["total"]["files"] == 5
    code, _, err = run("partitions", str(root / "nope"))
    assert code == 4 and "does not exist" in err


def test_partitions_s3_through_a_remote(capsys, s3, run):
    for rel, data in HIVE.items():
        s3.fs.pipe(s3.path(f"tables/t1/{rel}"), data)
    run("remote", "add", "lake", f"s3://{s3.bucket}/tables", "--option", f"endpoint_url={s3.endpoint}")
    code, out, err = run("partitions", "lake:t1", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["keys"]) == {"year", "month"} and data["keys"]["year"]["2024"]["files"] == 3
    code, _, err = run("partitions", "s3://no-such-bucket-p/x", "--option", f"endpoint_url={s3.endpoint}")
    assert code == 4 and "does not exist" in err and "Traceback" not in err
