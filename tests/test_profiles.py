"""Saved remotes: the TOML file, env: secrets, location strings, connection checks."""

from __future__ import annotations

import os
import tomllib

import pytest

import fsspeckit

from fsspeckit.remotes import profiles
from fsspeckit.remotes.profiles import (
    ProfileError,
    add_remote,
    config_path,
    find_remote_for_url,
    get_remote,
    list_remotes,
    parse_option,
    remove_remote,
    resolve_location,
)
from fsspeckit.remotes.toml_writer import dumps_toml


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    path = tmp_path / "cfg" / "remotes.toml"
    monkeypatch.setenv("FSKIT_CONFIG", str(path))
    return path


def test_config_path_default_and_override(tmp_path, monkeypatch, config):
    assert config_path() == config
    monkeypatch.delenv("FSKIT_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "fsspeckit" / "remotes.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_path() == tmp_path / "home" / ".config" / "fsspeckit" / "remotes.toml"


def test_add_list_remove_roundtrip(config):
    assert list_remotes() == []
    r = add_remote("prod-s3", "s3://my-bucket/data/", {"region": "eu-west-1", "anon": False,
                                                       "key": "env:PROD_KEY", "secret": "env:PROD_SECRET"})
    assert (r.protocol, r.root, r.url) == ("s3", "my-bucket/data", "s3://my-bucket/data")
    add_remote("local_out", "./out")
    assert [x.name for x in list_remotes()] == ["local_out", "prod-s3"]
    stored = tomllib.loads(config.read_text())
    assert stored["remotes"]["prod-s3"] == {"protocol": "s3", "root": "my-bucket/data", "region": "eu-west-1",
                                            "anon": False, "key": "env:PROD_KEY", "secret": "env:PROD_SECRET"}
    assert stored["remotes"]["local_out"]["root"] == os.path.abspath("./out")
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ProfileError, match="already exists"):
        add_remote("prod-s3", "s3://other")
    add_remote("prod-s3", "s3://other", replace=True)
    assert get_remote("prod-s3").root == "other"
    assert remove_remote("prod-s3").name == "prod-s3"
    with pytest.raises(ProfileError, match="no saved remote named 'prod-s3'.*local_out"):
        get_remote("prod-s3")


def test_plain_secrets_and_bad_names_are_refused():
    with pytest.raises(ProfileError, match="secret=env:VARIABLE_NAME"):
        add_remote("x1", "s3://b", {"secret": "hunter2"})
    with pytest.raises(ProfileError, match="cannot name a remote"):
        add_remote("a b", "s3://b")
    with pytest.raises(ProfileError, match="cannot name a remote"):
        add_remote("c", "s3://b")  # one letter would read like a drive
    with pytest.raises(Exception, match="Unknown protocol 'nope'"):
        add_remote("x2", "nope://b")
    assert list_remotes() == []


def test_toml_writer_escapes_and_reads_back(config):
    tricky = 'quote " backslash \\ newline \n tab \t bell \x07 unicode é ✓ end'
    data = {"remotes": {"r-1": {"protocol": "s3", "root": "b", "endpoint_url": tricky, "n": 3, "f": 1.5,
                                "on": True, "dotted.key": "v", "client_kwargs": {"region_name": "x", "verify": False},
                                "list": ["a", 1]}},
            "other": {"x": "y"}}
    text = dumps_toml(data, inline_below=("remotes",))
    assert "[remotes.r-1]" in text and "[other]" in text and "client_kwargs = {" in text
    assert tomllib.loads(text) == data
    # add_remote keeps other tables and remotes of the file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    add_remote("second", "memory://m", {"endpoint_url": tricky})
    back = tomllib.loads(config.read_text())
    assert back["other"] == {"x": "y"}
    assert back["remotes"]["r-1"] == data["remotes"]["r-1"]
    assert back["remotes"]["second"]["endpoint_url"] == tricky


def test_broken_file_is_one_sentence(config):
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[remotes.x\nprotocol=")
    with pytest.raises(ProfileError, match="not valid TOML"):
        list_remotes()
    config.write_text("[remotes.x]\nroot = 'b'\n")
    with pytest.raises(ProfileError, match="has no protocol"):
        list_remotes()


def test_env_secrets_region_and_dotted_options(monkeypatch):
    add_remote("s3r", "s3://bucket/p", {"key": "env:T_KEY", "secret": "env:T_SECRET", "region": "eu-west-1",
                                         "client_kwargs.verify": False, "profile": "prod"})
    with pytest.raises(ProfileError, match="environment variable T_KEY, which is not set"):
        get_remote("s3r").storage_options()
    monkeypatch.setenv("T_KEY", "AKIA1")
    monkeypatch.setenv("T_SECRET", "s3cr3t")
    assert get_remote("s3r").storage_options() == {
        "key": "AKIA1", "secret": "s3cr3t", "profile": "prod",
        "client_kwargs": {"region_name": "eu-west-1", "verify": False},
    }


def test_parse_option():
    assert parse_option("anon=true") == ("anon", True)
    assert parse_option("anon=False") == ("anon", False)
    assert parse_option("n=12") == ("n", 12)
    assert parse_option("x=1.5") == ("x", 1.5)
    assert parse_option("endpoint_url=http://h:9000/a=b") == ("endpoint_url", "http://h:9000/a=b")
    assert parse_option("key=env:K") == ("key", "env:K")
    with pytest.raises(ProfileError, match="key=value"):
        parse_option("novalue")


def test_resolve_location_forms(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f.txt").write_text("x")
    add_remote("here", str(tmp_path))
    add_remote("mem", "memory://bucket")
    fs, path = resolve_location("here:data")
    assert path == "data" and fs.path == str(tmp_path) and fs.exists("data/f.txt")
    fs, path = resolve_location(str(tmp_path / "data"))
    assert path == "" and fs.exists("f.txt")
    fs, path = resolve_location("memory://bucket/x")
    assert (fs.root_url, path) == ("memory:///bucket/x", "")
    fs, path = resolve_location("mem:sub/dir/")
    assert (fs.root_url, path) == ("memory:///bucket", "sub/dir")
    # A local path with a colon works when no remote of that name exists.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd:name").mkdir()
    fs, path = resolve_location("odd:name")
    assert path == "" and fs.path == str(tmp_path / "odd:name")
    fs, _ = resolve_location("./new:folder")
    assert fs.path == str(tmp_path / "new:folder")
    with pytest.raises(ProfileError, match="'nosuch' is not a saved remote.*here, mem.*write ./nosuch:x"):
        resolve_location("nosuch:x")


def test_extra_options_override_the_remote(s3):
    add_remote("moto", f"s3://{s3.bucket}", {"endpoint_url": "http://127.0.0.1:1"})
    s3.fs.pipe(s3.path("d/a.txt"), b"abc")
    fs, path = resolve_location("moto:d", {"endpoint_url": s3.endpoint, "key": "testing", "secret": "testing"})
    assert fs.cat_file(path + "/a.txt") == b"abc"


def test_find_remote_for_url():
    add_remote("wide", "s3://bucket")
    add_remote("narrow", "s3://bucket/data")
    add_remote("gcs", "gs://bucket/data")
    assert find_remote_for_url("s3://bucket/data/2024").name == "narrow"
    assert find_remote_for_url("s3://bucket/other").name == "wide"
    assert find_remote_for_url("s3://bucket/database").name == "wide"
    assert find_remote_for_url("s3://elsewhere/x") is None


def test_test_remote_local(tmp_path):
    add_remote("ok-dir", str(tmp_path))
    add_remote("no-dir", str(tmp_path / "missing"))
    ok, msg = profiles.test_remote("ok-dir")
    assert ok and "connected" in msg
    ok, msg = profiles.test_remote("no-dir")
    assert not ok and "does not exist" in msg
    ok, msg = profiles.test_remote("unknown")
    assert not ok and "no saved remote" in msg


def test_test_remote_s3_failures_are_named(s3, fault_proxy, monkeypatch):
    monkeypatch.setenv("MOTO_SECRET", "testing")
    opts = {"endpoint_url": s3.endpoint, "key": "testing", "secret": "env:MOTO_SECRET"}
    add_remote("good", f"s3://{s3.bucket}", opts)
    add_remote("nobucket", "s3://no-such-bucket-xyz", opts)
    add_remote("noenv", f"s3://{s3.bucket}", {**opts, "secret": "env:UNSET_VAR_XYZ"})
    add_remote("down", f"s3://{s3.bucket}", {**opts, "endpoint_url": "http://127.0.0.1:9"})
    assert profiles.test_remote("good")[0]
    ok, msg = profiles.test_remote("nobucket")
    assert not ok and "bucket 'no-such-bucket-xyz' does not exist" in msg
    ok, msg = profiles.test_remote("noenv")
    assert not ok and "UNSET_VAR_XYZ" in msg
    ok, msg = profiles.test_remote("down")
    assert not ok and "could not be reached" in msg

    proxy = fault_proxy(fail_rate=1.0)
    proxy.errors = ((403, "AccessDenied", "Access Denied"),)
    add_remote("denied", f"s3://{s3.bucket}", {**opts, "endpoint_url": proxy.endpoint})
    ok, msg = profiles.test_remote("denied")
    assert not ok and "access was denied" in msg
    proxy.errors = ((403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),)
    ok, msg = profiles.test_remote("denied")
    assert not ok and "credentials were rejected" in msg


def test_gcs_remote_against_the_emulator(gcs, tmp_path):
    from fsspeckit import sync_dir

    gcs.fs.pipe_file(f"{gcs.bucket}/data/a.txt", b"a")
    opts = {"endpoint_url": gcs.endpoint, "token": "anon", "project": "test"}
    add_remote("gcs-em", f"gs://{gcs.bucket}/data", opts)
    add_remote("g-missing", "gs://no-such-gcs-bucket", opts)
    ok, msg = profiles.test_remote("gcs-em")
    assert ok, msg
    ok, msg = profiles.test_remote("g-missing")
    assert not ok and "no-such-gcs-bucket" in msg
    fs, path = resolve_location("gcs-em:")
    result = sync_dir(fs, fsspeckit.filesystem("/"), path, str(tmp_path / "out"), n_jobs=1)
    assert result.copied == ["a.txt"] and (tmp_path / "out" / "a.txt").read_bytes() == b"a"


SERVICE_KEY = {"type": "service_account", "client_email": "a@b.iam", "private_key_id": "abc123",
               "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEv...\n-----END PRIVATE KEY-----\n"}


@pytest.mark.parametrize("options", [
    {"token": "FwoGZXIvYXdzEJr//////////wEaDGsessiontoken"},  # an S3 session token
    {"session_token": "IQoJb3JpZ2luX2VjE"},
    {"token": SERVICE_KEY},  # a GCS key given inline as a table
    {"token": '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}'},
    {"private_key": "-----BEGIN RSA PRIVATE KEY-----"},
    {"config_kwargs.proxies.https": "http://alice:hunter2@proxy.example:3128"},
    {"config_kwargs": {"proxies": {"http": "http://bob:pa55@proxy:8080"}}},
    {"endpoint_url": "https://user:pw@s3.example.com"},
    {"proxy_password": "hunter2"},
    {"client_kwargs.api_token": "abc"},
])
def test_every_secret_like_value_is_refused_in_plain_text(config, options):
    with pytest.raises(ProfileError, match=r"env:VARIABLE_NAME.*file:"):
        add_remote("leaky", "s3://b", options)
    assert list_remotes() == [] and not config.exists()


def test_secrets_as_references_and_credential_methods_are_kept(config, tmp_path, monkeypatch):
    keyfile = tmp_path / "sa.json"
    keyfile.write_text("{}")
    add_remote("gcs1", "gs://b", {"token": str(keyfile)})  # a key file path
    add_remote("gcs2", "gs://b", {"token": "google_default"})
    add_remote("s3t", "s3://b", {"token": "env:SESSION", "secret": f"file:{tmp_path / 'secret.txt'}",
                                 "config_kwargs.proxies.https": "env:HTTPS_PROXY_URL"})
    (tmp_path / "secret.txt").write_text("s3cr3t\n")
    monkeypatch.setenv("SESSION", "tok")
    monkeypatch.setenv("HTTPS_PROXY_URL", "http://u:p@proxy:1")
    opts = get_remote("s3t").storage_options()
    assert opts["secret"] == "s3cr3t" and opts["token"] == "tok"
    assert opts["config_kwargs"]["proxies"]["https"] == "http://u:p@proxy:1"
    with pytest.raises(ProfileError, match="cannot be read"):
        profiles.build_storage_options("s3", {"secret": "file:/no/such/file"}, remote="x")


def test_remote_list_never_prints_a_secret_even_from_a_hand_written_file(config, capsys):
    from tui.cli import main

    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(dumps_toml({"remotes": {"old": {
        "protocol": "s3", "root": "b", "key": "AKIAEXAMPLE", "secret": "hunter2", "token": "sessiontok",
        "config_kwargs": {"proxies": {"https": "http://alice:pa55w0rd@proxy:3128"}}}}}))
    for argv in (["remote", "list"], ["remote", "list", "--json"]):
        assert main(argv) == 0
        printed = capsys.readouterr()
        text = printed.out + printed.err
        for secret in ("hunter2", "sessiontok", "pa55w0rd"):
            assert secret not in text
        assert "AKIAEXAMPLE" in text and "alice" in text and "***" in text
    from tui.screens.remotes import format_options

    shown = format_options(get_remote("old").options)
    assert "hunter2" not in shown and "sessiontok" not in shown and "pa55w0rd" not in shown
