"""plan, apply and check from the command line, on local trees and S3 on loopback."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess

import pytest

from fsspeckit import Plan, filesystem, plan_sync
from tui import cli

pytestmark = pytest.mark.usefixtures("config")


SRC = {"a.txt": b"alpha", "docs/b.md": b"beta beta", "docs/c.log": b"log", "year=2024/d.csv": b"1,2,3"}


@pytest.fixture
def trees(local_tree):
    src = local_tree(SRC, "src")
    dst = local_tree({"stale.txt": b"old", "a.txt": b"ALPHA!"}, "dst")
    # The destination's a.txt is older than the source's: a plain change, whatever the machine's
    # load made of the milliseconds between writing the two trees (else it is a conflict).
    st = os.stat(src / "a.txt")
    os.utime(dst / "a.txt", (st.st_atime - 60, st.st_mtime - 60))
    return src, dst


def test_plan_apply_check_local(capsys, trees, tmp_path, run):
    src, dst = trees
    plan_file = tmp_path / "plan.json"
    code, out, err = run("plan", src, dst, "-o", plan_file, "--exclude", "*.log")
    assert code == 0, err
    assert "copy          2 files" in out and "update        1 file" in out and "delete        1 file" in out
    assert f"apply it with: fsspeckit-tui apply {plan_file}" in out
    plan = Plan.load(plan_file)
    assert plan.src_url == str(src) and plan.options.exclude == ("*.log",)

    code, out, err = run("check", src, dst)
    assert code == 1

    report = tmp_path / "report.csv"
    code, out, err = run("apply", plan_file, "--workers", 2, "--report", report)
    assert code == 0, err
    assert "copied 2, updated 1, deleted 1" in out
    rows = list(csv.DictReader(report.open()))
    assert {r["path"]: r["outcome"] for r in rows if r["outcome"] != "skipped"} == {
        "docs/b.md": "copied", "year=2024/d.csv": "copied", "a.txt": "updated", "stale.txt": "deleted"}
    assert not (dst / "docs" / "c.log").exists() and not (dst / "stale.txt").exists()

    # Applying the same plan again does only what is left: nothing.
    code, out, err = run("apply", plan_file, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["already_done"] == 4 and data["counts"]["copied"] == 0 and data["counts"]["deleted"] == 0

    code, out, _ = run("check", src, dst, "--one-way")
    assert code == 1 and out.splitlines()[0].split() == ["+", "docs/c.log", "missing", "on", "destination"]
    code, out, _ = run("check", src, dst, "--json", "--one-way")
    assert json.loads(out)["differences"] == [
        {"path": "docs/c.log", "kind": "missing_on_dst", "reason": "missing on destination"}]
    shutil.copy(src / "docs" / "c.log", dst / "docs" / "c.log")
    code, out, _ = run("check", src, dst)
    assert code == 0 and out.startswith("0 differences found; 4 matching files")


def test_plan_json_and_stdout(capsys, trees, run):
    src, dst = trees
    code, out, _ = run("plan", src, dst, "--json", "--no-delete", "--strategy", "skip", "--list")
    data = json.loads(out)
    assert data["totals"]["copy"] == {"files": 3, "bytes": 17}
    assert data["totals"]["delete"]["files"] == 0 and data["options"]["strategy"] == "skip"
    # "skip" skips conflicts only: a plain change (a.txt, not newer on the destination) is updated.
    assert data["totals"]["update"] == {"files": 1, "bytes": 5}
    assert [a["path"] for a in data["actions"]] == ["a.txt", "docs/b.md", "docs/c.log", "year=2024/d.csv"]
    code, out, _ = run("plan", src, dst, "-o", "-")
    assert Plan.from_json(out).src_url == str(src)


def test_stale_plan_exits_3_and_writes_nothing(capsys, trees, tmp_path, run):
    src, dst = trees
    plan_file = tmp_path / "plan.json"
    assert run("plan", src, dst, "-o", plan_file)[0] == 0
    (src / "docs" / "b.md").write_bytes(b"edited after planning")
    before = sorted(p.name for p in dst.rglob("*"))
    code, out, err = run("apply", plan_file)
    assert code == 3
    assert "The plan is stale" in err and "docs/b.md: size changed" in err and "Traceback" not in err
    assert sorted(p.name for p in dst.rglob("*")) == before


def test_a_plan_whose_destination_changed_exits_3_and_writes_nothing(capsys, trees, tmp_path, run):
    # plan -o today, apply tomorrow: a file the plan updates was edited on the destination
    # meanwhile. Overwriting it would lose that edit: stale, nothing written.
    src, dst = trees
    plan_file = tmp_path / "plan.json"
    assert run("plan", src, dst, "-o", plan_file)[0] == 0
    updated = [a["path"] for a in json.loads(plan_file.read_text())["actions"] if a["kind"] == "update"]
    assert updated
    (dst / updated[0]).write_bytes(b"an edit on the destination after the plan")
    before = {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()}
    code, out, err = run("apply", plan_file)
    assert code == 3
    assert "destination changed" in err and updated[0] in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()} == before


def test_failed_paths_exit_1_and_guards(capsys, local_tree, tmp_path, run):
    src = local_tree({"d/x.txt": b"x", "ok.txt": b"ok"}, "src")
    dst = local_tree({"d": b"a file where the source has a folder"}, "dst")
    plan_file = tmp_path / "plan.json"
    assert run("plan", src, dst, "-o", plan_file)[0] == 0
    code, out, err = run("apply", plan_file, "--retries", 0, "--workers", 1)
    assert code == 1
    assert "failed d/x.txt" in out and "deletions skipped" in out
    assert (dst / "d").is_file() and (dst / "ok.txt").exists()

    plan_file2 = tmp_path / "p2.json"
    many = local_tree({f"f{i}.txt": b"x" for i in range(4)}, "many")
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy2(many / "f0.txt", one / "f0.txt")  # same size and time: identical
    run("plan", one, many, "-o", plan_file2)
    code, _, err = run("apply", plan_file2, "--max-delete", "50%")
    assert code == 1 and "more than max_delete allows" in err
    code, _, err = run("apply", plan_file2, "--max-delete", "lots")
    assert code == 2
    code, _, err = run("apply", plan_file2, "--backup-dir", many / "bak")
    assert code == 2 and "inside the destination" in err
    code, out, _ = run("apply", plan_file2, "--dry-run")
    assert code == 0 and out.startswith("Dry run") and len(list(many.iterdir())) == 4
    code, _, _ = run("apply", plan_file2, "--backup-dir", tmp_path / "bak")
    assert code == 0 and sorted(p.name for p in (tmp_path / "bak").iterdir()) == ["f1.txt", "f2.txt", "f3.txt"]


def test_bad_inputs(capsys, tmp_path, trees, run):
    src, dst = trees
    code, _, err = run("apply", tmp_path / "missing.json")
    assert code == 2 and "does not exist" in err
    (tmp_path / "junk.json").write_text("{\"format\": \"other\"}")
    code, _, err = run("apply", tmp_path / "junk.json")
    assert code == 2 and "not an fsspeckit plan" in err
    code, _, err = run("plan", tmp_path / "nope", dst)
    assert code == 4 and "does not exist" in err
    code, _, err = run("check", tmp_path / "nope", dst)
    assert code == 4
    code, _, err = run("plan", "nosuchremote:x", dst)
    assert code == 2 and "not a saved remote" in err
    code, _, err = run("plan", "wat://x", dst)
    assert code == 2 and "Unknown protocol 'wat'" in err


def test_plan_made_in_the_library_applies_from_the_cli(capsys, trees, tmp_path, run):
    """The app saves plans with Plan.save: the same file applies here."""
    src, dst = trees
    plan = plan_sync(filesystem(str(src)), filesystem(str(dst))).override("stale.txt", "keep")
    plan.save(tmp_path / "app-plan.json")
    code, out, err = run("apply", tmp_path / "app-plan.json")
    assert code == 0, err
    assert (dst / "stale.txt").exists() and (dst / "docs" / "b.md").read_bytes() == b"beta beta"


def test_scheduler_address_reaches_apply_plan(capsys, trees, tmp_path, monkeypatch, run):
    """--scheduler ADDRESS is handed to apply_plan as its executor; without it, the default (threads)."""
    import fsspeckit.execution.apply

    real = fsspeckit.execution.apply.apply_plan
    executors = []

    def spy(plan, src_fs, dst_fs, **kwargs):
        executors.append(kwargs.pop("executor"))
        return real(plan, src_fs, dst_fs, **kwargs)

    monkeypatch.setattr(fsspeckit.execution.apply, "apply_plan", spy)
    src, dst = trees
    plan_file = tmp_path / "plan.json"
    assert run("plan", src, dst, "-o", plan_file)[0] == 0
    code, out, err = run("apply", plan_file, "--scheduler", "tcp://10.0.0.5:8786", "--dry-run")
    assert code == 0, err
    code, out, err = run("apply", plan_file)
    assert code == 0, err
    assert "copied 3, updated 1, deleted 1" in out
    assert executors == ["tcp://10.0.0.5:8786", None]


def _s3_opts(s3, side):
    return [f"--{side}-option", f"endpoint_url={s3.endpoint}", f"--{side}-option", "key=testing",
            f"--{side}-option", "secret=testing"]


def test_plan_apply_check_s3_with_options(capsys, s3, local_tree, tmp_path, run):
    src = local_tree(SRC, "src")
    s3.fs.pipe(s3.path("out/old.bin"), b"old")
    dst = s3.url("out")
    plan_file = tmp_path / "plan.json"
    code, out, err = run("plan", src, dst, "-o", plan_file, *_s3_opts(s3, "dst"))
    assert code == 0, err
    text = plan_file.read_text()
    assert "testing" not in text and s3.endpoint not in text  # no secrets, no options in a plan
    # The options are given again to apply it.
    code, out, err = run("apply", plan_file, *_s3_opts(s3, "dst"), "--verify", "checksum")
    assert code == 0, err
    assert "copied 4, updated 0, deleted 1" in out
    code, out, err = run("check", src, dst, *_s3_opts(s3, "dst"), "--json")
    assert code == 0, err
    assert json.loads(out)["methods"] == {"MD5 (native + streamed on source)": 4}
    code, out, err = run("apply", plan_file, *_s3_opts(s3, "dst"), "--json")
    assert code == 0 and json.loads(out)["already_done"] == 5
    code, _, err = run("plan", src, "s3://no-such-bucket-cli/x", *_s3_opts(s3, "dst"))
    assert code == 4 and "no-such-bucket-cli" in err


def test_plan_apply_through_a_saved_remote(capsys, s3, local_tree, tmp_path, monkeypatch, run):
    monkeypatch.setenv("MOTO_KEY", "testing")
    src = local_tree(SRC, "src")
    code, _, err = run("remote", "add", "moto", f"s3://{s3.bucket}", "--option", f"endpoint_url={s3.endpoint}",
                       "--option", "key=env:MOTO_KEY", "--option", "secret=env:MOTO_KEY")
    assert code == 0, err
    plan_file = tmp_path / "plan.json"
    code, out, err = run("plan", src, "moto:backup/2024", "-o", plan_file)
    assert code == 0, err
    assert Plan.load(plan_file).dst_url == "moto:backup/2024"
    code, out, err = run("apply", plan_file)
    assert code == 0, err
    assert sorted(s3.fs.find(s3.path("backup/2024"))) == sorted(s3.path(f"backup/2024/{k}") for k in SRC)
    # S3 to local, with the remote as source, and a stale plan on S3.
    out_dir = tmp_path / "restore"
    code, _, err = run("plan", "moto:backup", out_dir, "-o", plan_file)
    assert code == 0, err
    s3.fs.pipe(s3.path("backup/2024/a.txt"), b"changed on the store")
    code, _, err = run("apply", plan_file)
    assert code == 3 and "2024/a.txt" in err and not out_dir.exists()
    # A plan with a plain s3:// URL picks up the saved remote's options.
    plan = plan_sync(filesystem(s3.url("backup"), s3.options), filesystem(str(out_dir)))
    assert plan.src_url == s3.url("backup")
    plan.save(plan_file)
    code, _, err = run("apply", plan_file)
    assert code == 0, err
    assert (out_dir / "2024" / "a.txt").read_bytes() == b"changed on the store"


def test_upload_failures_exit_1(capsys, s3, fault_proxy, local_tree, tmp_path, run):
    src = local_tree({"a.txt": b"a", "b.txt": b"b"}, "src")
    proxy = fault_proxy(fail_rate=1.0, predicate=lambda req: req.method == "PUT")
    opts = ["--dst-option", f"endpoint_url={proxy.endpoint}", "--dst-option", "key=testing",
            "--dst-option", "secret=testing", "--dst-option", "config_kwargs.retries.max_attempts=1"]
    plan_file = tmp_path / "plan.json"
    assert run("plan", src, s3.url("up"), "-o", plan_file, *opts)[0] == 0
    code, out, err = run("apply", plan_file, "--retries", 0, "--workers", 1, *opts)
    assert code == 1
    assert "failed a.txt" in out and "failed b.txt" in out and "failed 2" in out


# --- rclone check on the same trees ---------------------------------------------

def _rclone_combined(src, dst, *flags):
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env["RCLONE_CONFIG"] = "/dev/null"
    proc = subprocess.run(["rclone", "check", str(src), str(dst), "--combined", "-", *flags],
                          capture_output=True, text=True, env=env, timeout=60)
    marks = {}
    for line in proc.stdout.splitlines():
        if len(line) > 2 and line[1] == " " and line[0] in "=-+*!":
            marks[line[2:]] = line[0]
    return proc.returncode, marks


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
@pytest.mark.parametrize("flags", [(), ("--size-only",), ("--one-way",)])
def test_check_agrees_with_rclone(capsys, local_tree, flags, run):
    src = local_tree({"same.txt": b"same", "deep/er/x.bin": b"\x01" * 2000, "only_src.txt": b"s",
                      "size.txt": b"short", "content.txt": b"AAAA", "späße.txt": b"unicode"}, "src")
    dst = local_tree({"same.txt": b"same", "deep/er/x.bin": b"\x01" * 2000, "only_dst.txt": b"d",
                      "size.txt": b"longer!", "content.txt": b"BBBB", "späße.txt": b"unicode",
                      "deep/dst_only/y": b"y"}, "dst")
    rc, theirs = _rclone_combined(src, dst, *flags)
    code, out, err = run("check", src, dst, "--json", "--match", *flags)
    assert code == 1 and rc == 1
    data = json.loads(out)
    ours = {d["path"]: {"missing_on_dst": "+", "missing_on_src": "-", "differ": "*", "error": "!"}[d["kind"]]
            for d in data["differences"]}
    ours.update({p: "=" for p in data["matching"]})
    assert ours == theirs


def _tree_bytes(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_sync_mirrors_in_one_run_and_reruns_as_a_no_op(capsys, trees, tmp_path, run):
    src, dst = trees
    code, out, err = run("sync", src, dst, "--dry-run")
    assert code == 0, err
    assert out.startswith("Dry run, nothing written") and "would copy 3, update 1, delete 1" in out
    assert _tree_bytes(dst) == {"stale.txt": b"old", "a.txt": b"ALPHA!"}

    report = tmp_path / "report.json"
    code, out, err = run("sync", src, dst, "--exclude", "*.log", "--report", report)
    assert code == 0, err
    assert "copied 2, updated 1, deleted 1" in out
    assert _tree_bytes(dst) == {k: v for k, v in SRC.items() if not k.endswith(".log")}
    assert json.loads(report.read_text())["counts"]["copied"] == 2

    code, out, err = run("sync", src, dst, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["ok"] and summary["counts"]["copied"] == 1 and summary["counts"]["deleted"] == 0  # the .log
    code, out, err = run("sync", src, dst, "--json")
    assert json.loads(out)["counts"]["skipped"] == len(SRC) and json.loads(out)["counts"]["copied"] == 0


def test_sync_refuses_a_missing_or_empty_source_and_keeps_the_destination(capsys, trees, tmp_path, run):
    _, dst = trees
    before = _tree_bytes(dst)
    code, _, err = run("sync", tmp_path / "nope", dst)
    assert code == 4 and "does not exist; nothing was changed" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run("sync", empty, dst)
    assert code == 1 and "holds no files; nothing was changed" in err and "--allow-empty-source" in err
    code, _, err = run("sync", empty, dst, "--no-delete")
    assert code == 1
    code, _, err = run("sync", empty, dst, "--max-delete", "1", "--allow-empty-source")
    assert code == 1 and "max_delete" in err
    assert _tree_bytes(dst) == before
    code, out, err = run("sync", empty, dst, "--allow-empty-source")
    assert code == 0 and "deleted 2" in out and _tree_bytes(dst) == {}


def test_sync_to_s3_with_options_then_back(capsys, s3, local_tree, tmp_path, run):
    src = local_tree(SRC, "src")
    s3.fs.pipe(s3.path("mirror/old.bin"), b"old")
    dst = s3.url("mirror")
    code, out, err = run("sync", src, dst, *_s3_opts(s3, "dst"), "--verify", "checksum", "--workers", 2)
    assert code == 0, err
    assert "copied 4, updated 0, deleted 1" in out
    code, out, err = run("check", src, dst, *_s3_opts(s3, "dst"))
    assert code == 0, err
    back = tmp_path / "back"
    code, out, err = run("sync", dst, back, *_s3_opts(s3, "src"), "--partitions", "year>=2024")
    assert code == 0, err
    assert _tree_bytes(back) == {"year=2024/d.csv": SRC["year=2024/d.csv"]}
    code, _, err = run("sync", src, "s3://no-such-bucket-cli/x", *_s3_opts(s3, "dst"))
    assert code == 4 and "no-such-bucket-cli" in err
