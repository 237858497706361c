"""Attacks on paths: hostile keys, symlinks on the destination, edited plans, a backup
folder on the source. Nothing outside the destination may change."""

from __future__ import annotations

import json
import os
import time

import pytest

from fsspeckit import Plan, filesystem, sync_dir
from fsspeckit.execution.apply import apply_plan
from fsspeckit.exceptions import PlanError
from fsspeckit.model.paths import UnsafePathError, check_rel, unsafe_reason
from tui import cli

pytestmark = pytest.mark.usefixtures("config")


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "a/./b", "./a", "a//b", "/etc/passwd", "", "a/..", "a\x00b"])
def test_unsafe_relative_paths_are_refused(rel):
    assert unsafe_reason(rel)
    with pytest.raises(UnsafePathError):
        check_rel(rel)


@pytest.mark.parametrize("rel", ["a", "a/b.csv", "year=2024/..data", "...", "a/.hidden", "notes..txt"])
def test_plain_relative_paths_pass(rel):
    assert check_rel(rel) == rel


def test_hostile_s3_keys_never_land_outside_the_destination(s3, tmp_path):
    """Keys with '..' and '.' segments, put raw on a real S3 endpoint."""
    import boto3

    opts = s3.options
    client = boto3.client("s3", endpoint_url=opts["client_kwargs"]["endpoint_url"] if "client_kwargs" in opts
                          else opts["endpoint_url"], aws_access_key_id="testing", aws_secret_access_key="testing",
                          region_name="us-east-1")
    keys = {"base/sub/../../escape1.txt": b"e1", "base/x/../../../escape2.txt": b"e2",
            "base/./data.csv": b"d", "base/ok.txt": b"ok"}
    for k, v in keys.items():
        client.put_object(Bucket=s3.bucket, Key=k, Body=v)
    listed = {o["Key"] for o in client.list_objects_v2(Bucket=s3.bucket)["Contents"]}
    assert "base/sub/../../escape1.txt" in listed  # the store really holds the hostile key
    outer = tmp_path / "outer"
    dst = outer / "inner" / "dst"
    dst.mkdir(parents=True)
    src_fs = filesystem(f"s3://{s3.bucket}/base", **s3.options)
    for _ in range(2):
        result = sync_dir(src_fs, filesystem(str(dst)), "", "")
        assert sorted(p.relative_to(outer).as_posix() for p in outer.rglob("*") if p.is_file()) == ["inner/dst/ok.txt"]
        refused = {o.path for o in result.outcomes if o.outcome == "skipped" and "no safe file path" in (o.error or "")}
        assert refused == {"sub/../../escape1.txt", "x/../../../escape2.txt", "./data.csv"}
        assert not result.failed


def test_symlink_in_destination_is_not_followed_for_deletes(tmp_path):
    precious = tmp_path / "elsewhere" / "precious"
    precious.mkdir(parents=True)
    for n in "abc":
        (precious / f"{n}.txt").write_text(n)
    src = tmp_path / "src"
    src.mkdir()
    (src / "keep.txt").write_text("k")
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "shared").symlink_to(precious)
    result = sync_dir(filesystem(str(src)), filesystem(str(dst)), "", "", raise_on_error=False)
    assert sorted(p.name for p in precious.iterdir()) == ["a.txt", "b.txt", "c.txt"]
    refused = [o for o in result.outcomes if o.action == "delete"]
    assert refused and all(o.outcome == "failed" and "symbolic link" in o.error for o in refused)
    assert (dst / "keep.txt").read_text() == "k"


def test_no_empty_folder_outside_the_destination_is_removed_after_a_refused_delete(tmp_path):
    # A hand-edited plan deletes link/sub/gone.txt, link leading out of the destination:
    # the delete is refused, and the clean-up of emptied folders must not then remove
    # the (empty) folder sub/ it would have emptied outside.
    from fsspeckit.model.entries import Entry
    from fsspeckit.planning.plan import Action, SyncOptions

    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "empty-too").mkdir()
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "a.txt").write_text("a")
    (dst / "a.txt").write_text("a")
    (dst / "link").symlink_to(outside)
    actions = tuple(Action(rel, "delete", "dst_only", "edited", None, Entry(rel, 1, 0.0))
                    for rel in ("link/sub/gone.txt", "link/empty-too/x"))
    plan = Plan(actions, SyncOptions(delete=True), src_root=str(src), dst_root=str(dst), src_files=1)
    result = apply_plan(plan, filesystem("/"), filesystem("/"))
    assert [o.outcome for o in result.outcomes] == ["failed", "failed"]
    assert (outside / "sub").is_dir() and (outside / "empty-too").is_dir()
    assert (dst / "link").is_symlink()


def test_emptied_folders_inside_the_destination_still_go(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "keep.txt").write_text("k")
    (dst / "year=2022/month=01").mkdir(parents=True)
    (dst / "year=2022/month=01/old.txt").write_text("old")
    (dst / "kept-empty").mkdir()
    result = sync_dir(filesystem(str(src)), filesystem(str(dst)), "", "")
    assert result.counts["deleted"] == 1
    assert not (dst / "year=2022").exists(), "folders the deletion emptied go"
    assert (dst / "kept-empty").is_dir(), "a folder that was empty before is left alone"


def test_symlink_in_destination_is_not_followed_for_writes(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "f.txt").write_text("precious")
    src = tmp_path / "src"
    (src / "link").mkdir(parents=True)
    (src / "link" / "f.txt").write_text("attacker, longer")
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "link").symlink_to(victim)
    result = sync_dir(filesystem(str(src)), filesystem(str(dst)), "", "", raise_on_error=False)
    assert (victim / "f.txt").read_text() == "precious"
    assert len(result.failed) == 1 and "symbolic link" in result.failed[0].error


def _saved_plan(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("new")
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "a.txt").write_text("old and longer")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "important.txt").write_text("important")
    path = tmp_path / "plan.json"
    assert cli.main(["plan", str(src), str(dst), "-o", str(path)]) == 0
    return path, victim


def test_edited_plan_keep_as_outside_is_refused(capsys, tmp_path, run):
    path, victim = _saved_plan(tmp_path)
    capsys.readouterr()
    data = json.loads(path.read_text())
    for a in data["actions"]:
        if a["path"] == "a.txt":
            a["keep_as"] = "../victim/important.txt"
    path.write_text(json.dumps(data))
    code, out, err = run("apply", path)
    assert code == 2, err
    assert "'..'" in err
    assert (victim / "important.txt").read_text() == "important"
    assert (tmp_path / "dst" / "a.txt").read_text() == "old and longer"


@pytest.mark.parametrize("target", ["good.txt", "sub/good.txt", "a.txt"])
def test_edited_plan_keep_as_onto_a_file_that_exists_is_refused(capsys, tmp_path, run, target):
    # keep_as naming a good file of the destination (or the path itself): moving the
    # conflicting version there would overwrite that file. Nothing is written.
    path, _ = _saved_plan(tmp_path)
    dst = tmp_path / "dst"
    (dst / "sub").mkdir()
    (dst / "good.txt").write_text("good")
    (dst / "sub/good.txt").write_text("good too")
    capsys.readouterr()
    data = json.loads(path.read_text())
    for a in data["actions"]:
        if a["path"] == "a.txt":
            a["keep_as"] = target
    path.write_text(json.dumps(data))
    code, out, err = run("apply", path)
    assert code != 0, err
    assert (dst / "good.txt").read_text() == "good" and (dst / "sub/good.txt").read_text() == "good too"
    assert (dst / "a.txt").read_text() == "old and longer"


def test_keep_as_that_appeared_since_the_plan_is_never_overwritten(tmp_path):
    # The keep-both name was free when planned; a file of that name arrived before the
    # apply. The copy fails for that path and both files stay as they were.
    from fsspeckit.listing.tree import list_tree
    from fsspeckit.planning.plan import SyncOptions, make_plan

    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "c.txt").write_text("source version")
    (dst / "c.txt").write_text("destination version, newer")
    os.utime(dst / "c.txt", (time.time() + 100, time.time() + 100))
    src_fs, dst_fs = filesystem(str(src)), filesystem(str(dst))
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs, role="destination"), SyncOptions(strategy="keep_both"))
    keep = plan.get("c.txt").keep_as
    assert keep
    (dst / keep).write_text("someone else's file")
    result = apply_plan(plan, src_fs, dst_fs)
    assert [o.outcome for o in result.outcomes if o.path == "c.txt"] == ["failed"]
    assert "exists" in result.outcomes[0].error
    assert (dst / keep).read_text() == "someone else's file"
    assert (dst / "c.txt").read_text() == "destination version, newer"


def test_edited_plan_dst_root_that_disagrees_with_its_url_is_refused(capsys, tmp_path, run):
    path, victim = _saved_plan(tmp_path)
    capsys.readouterr()
    data = json.loads(path.read_text())
    data["dst_root"] = str(victim)
    path.write_text(json.dumps(data))
    code, out, err = run("apply", path)
    assert code == 2, err
    assert "edited or damaged" in err
    assert (victim / "important.txt").read_text() == "important"


@pytest.mark.parametrize("text, word", [("[1, 2]", "list"), ('"x"', "str")])
def test_plan_that_is_not_an_object_is_refused(text, word):
    with pytest.raises(PlanError, match=word):
        Plan.from_json(text)


def test_plan_action_of_unknown_kind_is_refused(tmp_path):
    path, _ = _saved_plan(tmp_path)
    data = json.loads(path.read_text())
    data["actions"][0]["kind"] = "explode"
    with pytest.raises(PlanError, match="explode"):
        Plan.from_json(json.dumps(data))
    data["actions"][0]["kind"] = "copy"
    del data["actions"][0]["path"]
    with pytest.raises(PlanError, match="path"):
        Plan.from_json(json.dumps(data))


def test_built_plan_with_hostile_path_is_refused_before_any_write(tmp_path):
    from dataclasses import replace

    path, victim = _saved_plan(tmp_path)
    plan = Plan.load(path)
    bad = replace(plan, actions=tuple(replace(a, path="../victim/important.txt") for a in plan.actions), loaded=False)
    with pytest.raises(UnsafePathError):
        apply_plan(bad, filesystem(str(tmp_path / "src")), filesystem(str(tmp_path / "dst")))
    assert (victim / "important.txt").read_text() == "important"


@pytest.mark.parametrize("where", ["src", "src/sub", "."])
def test_backup_dir_on_or_around_the_source_is_refused(capsys, tmp_path, where, run):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("new content")
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "a.txt").write_text("old")
    code, out, err = run("sync", src, dst, "--backup-dir", tmp_path / where)
    assert code == 2, err
    assert "overlaps" in err
    assert (src / "a.txt").read_text() == "new content"
    assert (dst / "a.txt").read_text() == "old"


def test_backup_dir_through_a_symlink_to_the_source_is_refused(capsys, tmp_path, run):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("new content")
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "a.txt").write_text("old")
    (tmp_path / "alias").symlink_to(src)
    code, out, err = run("sync", src, dst, "--backup-dir", tmp_path / "alias")
    assert code == 2, err
    assert (src / "a.txt").read_text() == "new content"


@pytest.mark.parametrize("link_to", ["src", "src/sub"])
def test_destination_that_is_a_symlink_into_the_source_is_refused(tmp_path, link_to):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.txt").write_text("b")
    (tmp_path / "dst").symlink_to(tmp_path / link_to)
    with pytest.raises(ValueError, match="overlap"):
        sync_dir(filesystem(str(src)), filesystem(str(tmp_path / "dst")), "", "")
    assert sorted(p.relative_to(src).as_posix() for p in src.rglob("*")) == ["a.txt", "sub", "sub/b.txt"]


def test_user_files_named_like_temporaries_are_synced_and_never_deleted_as_leftovers(capsys, tmp_path, run):
    from fsspeckit.backends.transfer import partial_name

    src = tmp_path / "src"
    src.mkdir()
    (src / "report.fsspeckit-partial-final.csv").write_text("mine")
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "notes.fsspeckit-partial-2024.txt").write_text("user notes")
    leftover = partial_name(str(dst / "half.bin"))
    open(leftover, "w").write("torn")
    code, out, err = run("sync", src, dst, "--no-delete", "--max-delete", "0")
    assert code == 0, err
    assert (dst / "notes.fsspeckit-partial-2024.txt").read_text() == "user notes"
    assert (dst / "report.fsspeckit-partial-final.csv").read_text() == "mine"
    assert not os.path.exists(leftover)  # our own leftover is still cleaned


@pytest.mark.parametrize("text", [
    '{"path": "a.txt", "size": "big", "mtime": 1}\n',
    '{"path": "a.txt"}\n',
    '[1, 2]\n{"size": 3}\n',
    '{"path": "a.txt", "size": 5, "mtime": [1]}\n',
    '{"a.txt": {"size": null}}',
    '{"a.txt": 7}',
])
def test_damaged_state_journal_is_survived(tmp_path, text):
    from fsspeckit.execution.state import SyncState

    journal = tmp_path / "state.jsonl"
    journal.write_text(text)
    state = SyncState(journal)
    assert "a.txt" not in state.entries
    assert not state.matches("a.txt", 5, 1.0)


def test_dry_run_leaves_the_state_journal_untouched(tmp_path):
    from fsspeckit.execution.state import SyncState

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    dst = tmp_path / "dst"
    dst.mkdir()
    journal = tmp_path / "state.jsonl"
    state = SyncState(journal)
    apply_plan(_plan(src, dst), filesystem(str(src)), filesystem(str(dst)), state=state, dry_run=True)
    state.close()
    assert not journal.exists()
    journal.write_text('{"path": "old.txt", "size": 1, "mtime": 2.0}\n\n')
    before = journal.read_bytes()
    state = SyncState(journal)
    apply_plan(_plan(src, dst), filesystem(str(src)), filesystem(str(dst)), state=state, dry_run=True)
    state.close()
    assert journal.read_bytes() == before


def _plan(src, dst):
    from fsspeckit import plan_sync

    return plan_sync(filesystem(str(src)), filesystem(str(dst)))


@pytest.mark.parametrize("compare", ["size", "checksum", "size_mtime"])
def test_strategy_newer_keeps_a_newer_destination_in_every_compare_mode(tmp_path, compare):
    from fsspeckit import plan_sync

    src = tmp_path / "src"
    src.mkdir()
    dst = tmp_path / "dst"
    dst.mkdir()
    (src / "conflict.txt").write_text("old source text")
    (dst / "conflict.txt").write_text("destination, edited later")
    (src / "changed.txt").write_text("new source text, longer")
    (dst / "changed.txt").write_text("old dst")
    month = 30 * 86400
    os.utime(src / "conflict.txt", (1_700_000_000, 1_700_000_000))
    os.utime(dst / "conflict.txt", (1_700_000_000 + month, 1_700_000_000 + month))
    os.utime(dst / "changed.txt", (1_700_000_000, 1_700_000_000))
    os.utime(src / "changed.txt", (1_700_000_000 + month, 1_700_000_000 + month))
    for strategy in ("newer", "skip"):
        plan = plan_sync(filesystem(str(src)), filesystem(str(dst)), strategy=strategy, compare=compare)
        kinds = {a.path: (a.kind, a.category) for a in plan.actions}
        assert kinds["conflict.txt"] == ("skip", "conflict"), (strategy, plan.actions)
        assert kinds["changed.txt"] == ("update", "changed"), (strategy, plan.actions)


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_source_file_named_exactly_like_our_temporaries_is_reported_not_dropped(tmp_path, where, request):
    from fsspeckit.backends.transfer import partial_name

    if where == "local":
        src = tmp_path / "src"
        (src / "sub").mkdir(parents=True)
        (src / "sub" / "a.txt").write_text("a")
        leftover = partial_name(str(src / "sub" / "big.bin"))
        open(leftover, "w").write("torn")
        src_fs = filesystem(str(src))
    else:
        s3 = request.getfixturevalue("s3")
        s3.fs.pipe_file(s3.path("src/sub/a.txt"), b"a")
        leftover = partial_name(s3.path("src/sub/big.bin"))
        s3.fs.pipe_file(leftover, b"torn")
        src_fs = filesystem(f"s3://{s3.bucket}/src", storage_options=s3.options)
    rel = "sub/" + os.path.basename(leftover)
    result = sync_dir(src_fs, filesystem(str(tmp_path / "dst")), "", "")
    assert result.copied == ["sub/a.txt"]
    [o] = [o for o in result.outcomes if o.path == rel]
    assert o.outcome == "skipped" and "temporary file of an interrupted fsspeckit copy" in o.error
    assert not (tmp_path / "dst" / rel).exists()
