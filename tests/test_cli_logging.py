"""The headless commands as people script them, run as ``python -m tui`` in a subprocess:
per-file logs, JSON logs, periodic stats, dry runs, rclone/aws flags, version and completion,
up-front refusals, JSON errors, a closed pipe, and the app without a terminal."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PER_FILE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO  (copied|updated|deleted) (\S+) \((.+)\)$")


def tui(*argv, cwd=None, stdin=subprocess.DEVNULL, timeout=120, env=None):
    """Run ``python -m tui ARGV`` as a user would (no terminal: stdin from /dev/null, pipes out)."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "tui", *map(str, argv)], cwd=cwd, stdin=stdin,
                          capture_output=True, text=True, timeout=timeout, env=environ)


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))


@pytest.fixture
def trees(local_tree):
    src = local_tree({"a/b.csv": b"x" * (1258291), "keep.txt": b"same", "new.txt": b"n"}, "src")
    dst = local_tree({"c.txt": b"old", "keep.txt": b"same"}, "dst")
    st = os.stat(src / "keep.txt")
    os.utime(dst / "keep.txt", (st.st_atime, st.st_mtime))
    return src, dst


def test_verbose_logs_one_line_per_file_acted_on(trees):
    src, dst = trees
    done = tui("sync", src, dst, "-v")
    assert done.returncode == 0, done.stderr
    lines = [PER_FILE.match(line) for line in done.stderr.splitlines()]
    acted = {(m[1], m[2], m[3]) for m in lines if m}
    assert acted == {("copied", "a/b.csv", "1.2 MiB"), ("copied", "new.txt", "1 B"), ("deleted", "c.txt", "3 B")}
    assert "skip" not in done.stderr  # decisions only with -vv
    # The summary: human sizes and both rates.
    summary = done.stdout.splitlines()[-1]
    assert re.search(r"copied 2, updated 0, deleted 1, skipped 1, failed 0; 1\.2 MiB in [\d.]+ s "
                     r"\([\d.]+ [KMG]?i?B/s, [\d.,]+ files/s\)$", summary), summary


def test_very_verbose_logs_every_decision_and_quiet_prints_nothing(trees):
    src, dst = trees
    done = tui("plan", src, dst, "-vv")
    assert done.returncode == 0, done.stderr
    done = tui("sync", src, dst, "-vv", "-n")
    assert "DEBUG skip keep.txt: " in done.stderr and "DEBUG delete c.txt: only in destination" in done.stderr
    quiet = tui("sync", src, dst, "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert (dst / "a" / "b.csv").exists()


def test_json_log_file_has_one_object_per_line_with_stable_keys(trees, tmp_path):
    src, dst = trees
    log = tmp_path / "run.log"
    done = tui("sync", src, dst, "-v", "--log-file", log, "--log-format", "json", "--stats", "1m")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the log went to the file
    records = [json.loads(line) for line in log.read_text().splitlines()]
    for r in records:
        assert {"time", "level", "logger", "event", "path", "bytes", "error", "message"} <= set(r)
    files = {(r["event"], r["path"], r["bytes"]) for r in records if r["event"] in ("copied", "deleted")}
    assert files == {("copied", "a/b.csv", 1258291), ("copied", "new.txt", 1), ("deleted", "c.txt", 3)}
    stats = [r for r in records if r["event"] == "stats"]
    assert stats and stats[-1]["files_done"] == 2 and stats[-1]["bytes_done"] == 1258292
    assert stats[-1]["errors"] == 0 and stats[-1]["files_per_s"] > 0
    # Appended, as rclone does: a second run adds to the file.
    tui("sync", src, dst, "-v", "--log-file", log, "--log-format", "json", "--stats", "1m")
    assert len(log.read_text().splitlines()) > len(records)


def test_stats_are_printed_periodically_without_a_terminal(s3, local_tree):
    src = local_tree({f"f{i:02}.bin": bytes([i]) * 20000 for i in range(60)}, "src")
    opts = ["--dst-option", f"endpoint_url={s3.endpoint}", "--dst-option", "key=testing",
            "--dst-option", "secret=testing"]
    done = tui("copy", src, s3.url("up"), "--transfers", 1, "--stats", "0.1s", *opts)
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if " INFO  " in ln]
    assert len(lines) >= 2, done.stderr  # at least one while running, and the last one
    assert re.search(r"transferred 60/60 files, 1\.1 MiB/1\.1 MiB \(100%\), .+/s, .+ files/s, errors 0$", lines[-1])
    assert "\x1b[" not in done.stderr  # no escape codes where there is no terminal


def test_a_per_file_failure_is_printed_once(s3, fault_proxy, local_tree):
    src = local_tree({"a.txt": b"a"}, "src")
    proxy = fault_proxy(fail_rate=1.0, predicate=lambda req: req.method == "PUT")
    opts = ["--dst-option", f"endpoint_url={proxy.endpoint}", "--dst-option", "key=testing",
            "--dst-option", "secret=testing", "--dst-option", "config_kwargs.retries.max_attempts=1"]
    done = tui("copy", src, s3.url("up"), "--retries", 0, *opts)
    assert done.returncode == 1
    both = done.stdout + done.stderr
    assert both.count("a.txt:") == 1, both
    assert "failed 1" in done.stdout


def test_dry_run_lists_each_action_and_one_summary(trees):
    src, dst = trees
    for flag in ("--dry-run", "-n", "--dryrun"):
        done = tui("sync", src, dst, flag)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0] == f"Dry run, nothing written: {src} -> {dst}"
        assert set(lines[1:4]) == {"would copy a/b.csv", "would copy new.txt", "would delete c.txt"}
        assert lines[4:] == ["  would copy 2, update 0, delete 1; skip 1"]
    assert sorted(p.name for p in dst.iterdir()) == ["c.txt", "keep.txt"]


@pytest.mark.parametrize("flags, compare, strategy", [
    (["--checksum"], "checksum", "source_wins"),
    (["-c"], "checksum", "source_wins"),
    (["--size-only"], "size", "source_wins"),
    (["--exact-timestamps"], "size_mtime", "source_wins"),
    (["--update"], "size_mtime", "newer"),
    (["--ignore-existing"], "size_mtime", "skip"),
    (["--checkers", "16", "-P", "--size-only", "--update"], "size", "newer"),
])
def test_rclone_and_aws_flags_mean_what_they_mean_there(trees, flags, compare, strategy):
    src, dst = trees
    done = tui("plan", src, dst, "--json", *flags)
    assert done.returncode == 0, done.stderr
    options = json.loads(done.stdout)["options"]
    assert (options["compare"], options["strategy"]) == (compare, strategy)


def test_transfers_and_progress_flags_on_sync(trees):
    src, dst = trees
    done = tui("sync", src, dst, "--transfers", 4, "--checkers", 2, "-P", "--size-only")
    assert done.returncode == 0, done.stderr
    assert "copied 2" in done.stdout
    assert "transferred 2/2 files" in done.stderr  # -P without a terminal: stats lines
    assert tui("sync", src, dst, "--transfers", 0).returncode == 2


def test_partitions_takes_the_src_option_spelling(local_tree):
    lake = local_tree({"year=2024/a.csv": b"1"}, "lake")
    helptext = tui("partitions", "--help").stdout
    assert "--src-option" in helptext and "--option" not in helptext.replace("-option K=V", "")
    assert tui("partitions", lake, "--src-option", "auto_mkdir=false").returncode == 0
    assert tui("partitions", lake, "--option", "auto_mkdir=false").returncode == 0  # the older spelling


def test_version_and_completion():
    done = tui("--version")
    assert done.returncode == 0 and re.match(r"fsspeckit-tui \d+\.\d+\.\d+ \(fsspeckit ", done.stdout)
    for shell in ("bash", "zsh", "fish"):
        script = tui("completion", shell)
        assert script.returncode == 0 and "sync" in script.stdout
        assert ("-l dry-run" if shell == "fish" else "--dry-run") in script.stdout
    assert tui("completion", "tcsh").returncode == 2


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_and_options(tmp_path):
    script = tmp_path / "c.bash"
    script.write_text(tui("completion", "bash").stdout)
    probe = (f"source {script}; COMP_WORDS=(fsspeckit-tui sy); COMP_CWORD=1; _fsspeckit_tui; "
             "echo \"${COMPREPLY[@]}\"; COMP_WORDS=(fsspeckit-tui sync --dry); COMP_CWORD=2; _fsspeckit_tui; "
             "echo \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=30)
    first, second = done.stdout.splitlines()
    assert first.split() == ["sync"] and second.split() == ["--dry-run", "--dryrun"]


def test_unknown_command_is_refused_but_real_paths_open_the_app(tmp_path):
    done = tui("synk", "a", "b", cwd=tmp_path)
    assert done.returncode == 2 and "unknown command 'synk'" in done.stderr and "did you mean 'sync'?" in done.stderr
    done = tui("completoin", "bash", cwd=tmp_path)
    assert done.returncode == 2 and "did you mean 'completion'?" in done.stderr
    # An existing folder of that name is a location: the app is meant, and refuses only for want of a terminal.
    (tmp_path / "synk").mkdir()
    (tmp_path / "out").mkdir()
    done = tui("synk", "out", cwd=tmp_path)
    assert done.returncode == 2 and "unknown command" not in done.stderr and "needs a terminal" in done.stderr


def test_the_app_refuses_to_start_without_a_terminal(local_tree, tmp_path):
    src, dst = local_tree({"a": b"a"}, "a"), tmp_path / "b"
    done = tui(src, dst, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "needs a terminal" in done.stderr and "\x1b" not in done.stderr


def test_refusals_come_before_any_write(trees, tmp_path):
    src, dst = trees
    before = sorted(p.name for p in dst.iterdir())
    for argv, says in [
        (["--report", tmp_path / "nope" / "r.csv"], "the folder"),
        (["--report", tmp_path / "r.txt"], ".json or .csv"),
        (["--max-delete", "150%"], "from 0% to 100%"),
        (["--partitions", "yeer>=2024"], "names yeer"),
        (["--partitions", "year>"], "cannot be read"),
    ]:
        done = tui("sync", src, dst, *argv)
        assert done.returncode == 2, (argv, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr
        assert sorted(p.name for p in dst.iterdir()) == before
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root writes anywhere
            done = tui("sync", src, dst, "--report", locked / "r.csv")
            assert done.returncode == 2 and "permission denied" in done.stderr
    finally:
        locked.chmod(0o700)


def test_a_predicate_on_missing_keys_names_the_keys_there(local_tree, tmp_path):
    lake = local_tree({"year=2024/month=01/a.csv": b"a", "year=2023/month=02/b.csv": b"b"}, "lake")
    out = tmp_path / "out"
    done = tui("sync", lake, out, "--partitions", "nokey=1", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["ok"] is False and error["error"]["kind"] == "usage"
    assert "nokey" in error["error"]["message"] and "month, year" in error["error"]["message"]
    assert not out.exists()
    for predicate in ("year>=2030", "year>>2"):
        done = tui("sync", lake, out, "--partitions", predicate)
        assert done.returncode == 0 and f"WARNING the partition predicate '{predicate}' selects no file" in done.stderr
    done = tui("sync", lake, out, "--partitions", "year>=2030", "--strict")
    assert done.returncode == 1 and "--strict" in done.stderr
    done = tui("plan", lake, out, "--partitions", "year>=2030", "--strict", "--json")
    assert done.returncode == 1 and json.loads(done.stdout)["partition_matches"] == 0


def test_errors_under_json_are_json_on_stdout(trees, tmp_path):
    src, dst = trees
    plan_file = tmp_path / "plan.json"
    assert tui("plan", src, dst, "-o", plan_file).returncode == 0
    (src / "new.txt").write_bytes(b"changed since planning")
    done = tui("apply", plan_file, "--json")
    assert done.returncode == 3
    assert json.loads(done.stdout) == {"ok": False, "error": {"code": 3, "kind": "stale_plan",
                                                              "message": done.stderr.split("error: ", 1)[1].strip()}}
    done = tui("sync", src, dst, "--json", "--transfers", "zero")
    assert done.returncode == 2 and json.loads(done.stdout)["error"]["kind"] == "usage"
    done = tui("check", tmp_path / "missing", dst, "--json")
    assert done.returncode == 4 and json.loads(done.stdout)["error"]["kind"] == "connect"


def test_a_closed_pipe_ends_quietly(trees):
    src, dst = trees
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tui", "check", src, dst, "--match"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    proc.stdout.close()  # like `| head -0`: the reader is gone before anything is printed
    code = proc.wait(timeout=60)
    assert code in (0, 141) and proc.stderr.read() == b""


def test_a_terminal_gets_the_progress_display(local_tree, tmp_path):
    """stderr on a pseudo-terminal: rich draws the listings and the copies, and the summary follows."""
    import pty

    src = local_tree({f"d/f{i}.bin": b"z" * 5000 for i in range(30)}, "src")
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "TERM": "xterm"}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "tui", "sync", str(src), str(tmp_path / "dst"), "--checksum"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, env=env)
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            drawn += chunk
        out, _ = proc.communicate(timeout=120)
    finally:
        os.close(leader)
    assert proc.returncode == 0
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", drawn).decode("utf-8", "replace")
    assert "listing source" in text and "30/30 files" in text and "transferring" in text
    assert "copied 30" in out.decode()


def test_logging_flags_take_the_values_rclone_documents(trees, tmp_path):
    src, dst = trees
    done = tui("sync", src, dst, "--log-level", "INFO", "--stats", "1m30s", "--log-format", "date,time", "-n")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO  listing ", done.stderr, re.M)
    done = tui("sync", src, dst, "--stats", "0", "-n")  # 0: no stats lines
    assert done.returncode == 0 and "transferred" not in done.stderr
    log = tmp_path / "j.log"
    done = tui("sync", src, dst, "--stats", "500ms", "--log-format", "json,date", "--log-file", log)
    assert done.returncode == 0, done.stderr
    assert json.loads(log.read_text().splitlines()[-1])["event"] == "stats"
    assert tui("sync", src, dst, "--log-format", "xml").returncode == 2
    assert tui("sync", src, dst, "--log-level", "LOUD").returncode == 2
