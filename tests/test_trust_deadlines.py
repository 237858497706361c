"""Deadlines: a store that stops answering ends the run with a clear error, not after half an hour.

A real HTTP proxy on loopback in front of moto's S3 server sends half of an
answer and then nothing. Before the timeouts were settable and counted
across botocore's, s3fs's and our own retries, a stalled listing took 196
requests and 264 s to fail with a 1 s read timeout.
"""

from __future__ import annotations

import time

import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.backends.s3 import download as s3_download
from fsspeckit.backends import timeouts
from fsspeckit.exceptions import SourceError


@pytest.fixture
def short_timeouts(monkeypatch):
    monkeypatch.setattr(timeouts, "TIMEOUT", 1.0)
    monkeypatch.setattr(timeouts, "CONTIMEOUT", 1.0)
    monkeypatch.setattr(s3_download, "STALL_TIMEOUT", None)  # follow timeouts.TIMEOUT


def _listings(req) -> bool:
    return req.method == "GET" and "list-type" in req.path


def _object_gets(req) -> bool:
    return req.method == "GET" and bool(req.key) and "list-type" not in req.path


def _through(s3, proxy):
    return filesystem(f"s3://{s3.bucket}/d", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))


def test_a_stalled_listing_ends_after_about_two_timeouts(s3, fault_proxy, tmp_path, short_timeouts):
    for i in range(5):
        s3.fs.pipe_file(s3.path(f"d/f{i}.txt"), b"x" * 100)
    proxy = fault_proxy(stall_rate=1.0, stall_seconds=120, predicate=_listings)
    t0 = time.monotonic()
    with pytest.raises(SourceError, match="within the timeout, 2 times in a row"):
        sync_dir(_through(s3, proxy), filesystem("/"), "", str(tmp_path / "out"))
    took = time.monotonic() - t0
    assert took < 15, took
    assert proxy.requests_seen <= 6, proxy.requests_seen
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_every_get_stalling_ends_the_run_in_bounded_time(s3, fault_proxy, tmp_path, short_timeouts, fast_retries):
    files = {f"d/f{i:02d}.bin": bytes([i]) * 50_000 for i in range(40)}
    for rel, data in files.items():
        s3.fs.pipe_file(s3.path(rel), data)
    proxy = fault_proxy(stall_rate=1.0, stall_seconds=120, predicate=_object_gets)
    out = tmp_path / "out"
    t0 = time.monotonic()
    result = sync_dir(_through(s3, proxy), filesystem("/"), "", str(out), max_workers=4, retries=3, backoff=0.01, raise_on_error=False)
    took = time.monotonic() - t0
    assert took < 30, took
    assert [o.outcome for o in result.outcomes] == ["failed"] * len(files)
    reasons = [o.error for o in result.outcomes]
    assert all("no byte for 1 s" in r or "endpoint is not answering" in r for r in reasons), reasons
    assert sum("endpoint is not answering" in r for r in reasons) >= 20  # the rest were not waited for
    # a stall is retried once (it may be a bad connection), never three times
    assert max(o.attempts for o in result.outcomes) <= timeouts.TIMEOUT_ATTEMPTS
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


def test_the_timeouts_reach_the_s3_client(s3):
    fs = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    backend = fs.fs
    assert backend.config_kwargs["read_timeout"] == timeouts.TIMEOUT == 300.0
    assert backend.config_kwargs["connect_timeout"] == timeouts.CONTIMEOUT == 60.0
    own = filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, config_kwargs={"read_timeout": 7}))
    assert own.fs.config_kwargs["read_timeout"] == 7  # the caller's own option wins


@pytest.mark.parametrize("text, seconds", [("90", 90), ("30s", 30), ("5m", 300), ("1h30m", 5400),
                                           ("250ms", 0.25), ("1.5m", 90)])
def test_durations_are_read_as_rclone_writes_them(text, seconds):
    assert timeouts.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m5", "5 m", "-3s", "5m30"])
def test_bad_durations_are_refused_with_a_sentence(text):
    with pytest.raises(ValueError, match="not a duration"):
        timeouts.parse_duration(text)


def test_cli_timeout_flag_ends_a_stalled_listing_quickly(s3, fault_proxy, tmp_path, capsys):
    from tui.cli import main

    s3.fs.pipe_file(s3.path("d/a.txt"), b"a")
    proxy = fault_proxy(stall_rate=1.0, stall_seconds=120, predicate=_listings)
    opts = [f"--src-option=endpoint_url={proxy.endpoint}", f"--src-option=key={s3.options['key']}",
            f"--src-option=secret={s3.options['secret']}"]
    t0 = time.monotonic()
    code = main(["sync", f"s3://{s3.bucket}/d", str(tmp_path / "out"), "--timeout", "1s", "--contimeout", "1s",
                 *opts])
    took = time.monotonic() - t0
    assert code == 4 and took < 15, (code, took)
    assert "within the timeout" in capsys.readouterr().err
    assert timeouts.TIMEOUT == 300.0  # the flag held for that command only


def test_cli_refuses_a_bad_timeout(capsys):
    from tui.cli import main

    assert main(["sync", "a", "b", "--timeout", "soon"]) == 2
    assert "not a duration" in capsys.readouterr().err
