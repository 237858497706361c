"""The service both front ends use: one rule set for K=V options, one sentence per error, one unit system."""

from __future__ import annotations

import errno

import pytest

import fsspeckit
from fsspeckit.exceptions import StalePlanError, describe_error
from fsspeckit.planning.plan import COMPARE_MODES, STRATEGIES
from fsspeckit.remotes.profiles import ProfileError
from fsspeckit.model.units import human_bytes, human_duration, human_rate
from tui.cli import build_parser as build_cli_parser
from tui.cli.common import parse_options
from tui.launch import build_parser as build_app_parser
from tui.service import DEFAULT_WORKERS, parse_option


@pytest.mark.parametrize("text, value", [
    ('s3_additional_kwargs={"ACL":"private"}', {"ACL": "private"}),
    ('scopes=["a", "b"]', ["a", "b"]),
    ('name="007"', "007"),
    ("anon=true", True), ("anon=yes", True), ("anon=OFF", False),
    ("n=12", 12), ("x=1.5", 1.5),
    ("endpoint_url=http://h:9000/a=b", "http://h:9000/a=b"),
    ("key=env:K", "env:K"),
])
def test_one_rule_set_for_options_in_both_front_ends(text, value):
    assert parse_option(text) == (text.split("=", 1)[0], value)
    assert parse_options([text]) == {text.split("=", 1)[0]: value}  # the headless commands
    args = build_app_parser().parse_args(["memory://a", "memory://b", "--dst-option", text])  # the app
    assert dict(args.dst_option) == {text.split("=", 1)[0]: value}


def test_json_dst_option_reaches_s3(s3, tmp_path, monkeypatch, capsys):
    """`--dst-option 's3_additional_kwargs={"ACL":"public-read"}'` is a dict for s3fs, not text."""
    from tui import cli

    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"abc")
    code = cli.main(["copy", str(tmp_path / "src"), s3.url("out"), "--no-progress",
                     "--dst-option", f"endpoint_url={s3.endpoint}",
                     "--dst-option", 's3_additional_kwargs={"ACL":"public-read"}'])
    assert code == 0, capsys.readouterr().err
    acl = s3.fs.call_s3("get_object_acl", Bucket=s3.bucket, Key="out/a.txt")
    grantees = {g["Grantee"].get("URI", "") for g in acl["Grants"]}
    assert any(u.endswith("/global/AllUsers") for u in grantees), acl["Grants"]


def test_bad_json_is_one_sentence():
    with pytest.raises(ProfileError, match="starts like JSON"):
        parse_option("s3_additional_kwargs={ACL:private}")
    with pytest.raises(SystemExit):
        build_app_parser().parse_args(["a", "b", "--src-option", "x={bad"])


def test_choices_and_workers_come_from_the_library():
    cli = build_cli_parser()
    for verb in ("sync", "plan", "copy", "apply", "check", "bisync", "partitions"):
        argv = {"apply": ["apply", "p.json"], "partitions": ["partitions", "memory://a"]}.get(verb, [verb, "memory://a", "memory://b"])
        assert cli.parse_args(argv).workers == DEFAULT_WORKERS, verb
    sub = next(a for a in cli._actions if a.dest == "command" or getattr(a, "choices", None) and "sync" in a.choices)
    sync = sub.choices["sync"]
    choices = {a.dest: tuple(a.choices) for a in sync._actions if a.choices}
    assert choices["strategy"] == STRATEGIES and choices["compare"] == COMPARE_MODES
    app = {a.dest: a for a in build_app_parser()._actions}
    assert tuple(app["strategy"].choices) == STRATEGIES


def test_one_sentence_per_error():
    assert describe_error(StalePlanError("The plan is stale.")) == "The plan is stale."
    assert describe_error(OSError(errno.ENOSPC, "No space left on device")).startswith("No space left")
    assert describe_error(FileNotFoundError(2, "No such file", "/x/y")) == "Not found: /x/y."
    assert describe_error(PermissionError("nope")).startswith("Permission denied: nope.")
    assert describe_error(RuntimeError("boom")) == "RuntimeError: boom"
    assert describe_error(KeyError("k")) == "KeyError: 'k'"
    assert "could not be reached" in describe_error(OSError("Cannot connect to host"), "s3://b")
    assert describe_error(FileNotFoundError("gone"), "s3://b/x", bucket="b") == "the bucket 'b' or the path s3://b/x does not exist."


def test_one_unit_system():
    assert human_bytes(0) == "0 B" and human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB" and human_bytes(10 * 2**20) == "10.0 MiB"
    assert human_rate(10 * 2**20) == "10.0 MiB/s"
    assert human_duration(4.25) == "4.2 s" and human_duration(75) == "1 min 15 s" and human_duration(7260) == "2 h 1 min"
    plan_summary = fsspeckit.make_plan(fsspeckit.list_tree(fsspeckit.filesystem("memory://unused-root")),
                                       fsspeckit.list_tree(fsspeckit.filesystem("memory://unused-root2"))).summary()
    assert "MB" not in plan_summary and "kB" not in plan_summary


@pytest.mark.parametrize("options", [
    {"s3_additional_kwargs": {"ServerSideEncryption": "AES256", "ACL": "private"}},
    {"client_kwargs": {"region_name": "eu-west-1"}, "anon": False},
    {"key": "a value with spaces", "profile": "007", "flag": "true"},
    {"scopes": ["read only", "write"], "n": 3, "x": 1.5},
    {"endpoint_url": "http://h:9000/a=b", "secret": "env:S"},
])
def test_the_location_dialog_gives_back_the_options_it_shows(options):
    """The dialog's one-line options text reads back as the same options: nested, spaced, typed."""
    from tui.screens.location import options_text, parse_options_text

    assert parse_options_text(options_text(options), {}) == options


@pytest.mark.parametrize("text, options", [
    ('s3_additional_kwargs={"ServerSideEncryption": "AES256"} anon=false',
     {"s3_additional_kwargs": {"ServerSideEncryption": "AES256"}, "anon": False}),
    ("key='a b' profile=\"c d\"", {"key": "a b", "profile": "c d"}),
    ("client_kwargs.region_name=eu  client_kwargs.verify=no", {"client_kwargs": {"region_name": "eu", "verify": False}}),
])
def test_the_location_dialog_splits_pairs_as_a_shell_would(text, options):
    from tui.screens.location import parse_options_text

    assert parse_options_text(text, {}) == options


@pytest.mark.parametrize("text", ['a={"x": 1', "a='open", "a.b=1 a=2"])
def test_a_broken_options_line_is_one_sentence(text):
    from tui.screens.location import parse_options_text

    with pytest.raises(ProfileError):
        parse_options_text(text, {})


def test_a_masked_nested_secret_keeps_its_value_through_the_dialog():
    """The dialog shows a nested secret as ***; reading that line back keeps the secret already set."""
    from tui.screens.location import options_text, parse_options_text

    current = {"client_kwargs": {"aws_secret_access_key": "s3cr3t", "region_name": "eu"}, "key": "AKIA"}
    shown = options_text(current)
    assert "s3cr3t" not in shown and "client_kwargs.aws_secret_access_key=***" in shown
    assert parse_options_text(shown, current) == current
    with pytest.raises(ProfileError):
        parse_options_text("client_kwargs.aws_secret_access_key=***", {})
