"""File times kept in object metadata the way rclone keeps them, read back on download and compare.

Against moto's S3 server and the GCS emulator on loopback, and rclone itself
as the independent writer and checker (skipped where rclone is not installed;
Debian's rclone 1.60 fails while ``AWS_CA_BUNDLE`` is set).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from fsspeckit import filesystem, list_tree, sync_dir
from fsspeckit.planning.compare import compare_entries
from fsspeckit.model.entries import Entry
from fsspeckit.backends.stored_times import parse_stored, rfc3339_nano, stored_mtime

needs_rclone = pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
T0 = 1_650_000_000


def _env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env.update({"RCLONE_CONFIG": "/dev/null", **extra})
    return env


def _rclone_s3(s3, *args) -> subprocess.CompletedProcess:
    env = _env({"RCLONE_CONFIG_MOTO_TYPE": "s3", "RCLONE_CONFIG_MOTO_PROVIDER": "Other",
                "RCLONE_CONFIG_MOTO_ENDPOINT": s3.server.endpoint, "RCLONE_CONFIG_MOTO_ACCESS_KEY_ID": "testing",
                "RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY": "testing", "RCLONE_CONFIG_MOTO_REGION": "us-east-1"})
    return subprocess.run(["rclone", *args], capture_output=True, text=True, env=env, timeout=120)


def _rclone_gcs(gcs, *args) -> subprocess.CompletedProcess:
    env = _env({"RCLONE_CONFIG_EMU_TYPE": "google cloud storage", "RCLONE_CONFIG_EMU_ANONYMOUS": "true",
                "RCLONE_CONFIG_EMU_PROJECT_NUMBER": "test",
                "RCLONE_CONFIG_EMU_ENDPOINT": gcs.server.endpoint.rstrip("/") + "/storage/v1/"})
    return subprocess.run(["rclone", *args], capture_output=True, text=True, env=env, timeout=120)


def _tree(root, n=12, base=T0):
    for i in range(n):
        p = root / f"d{i % 3}" / f"f{i}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"file {i}")
        ns = (base + i) * 1_000_000_000 + 123_456_789
        os.utime(p, ns=(ns, ns))
    return root


def _times(root) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


# -- formats ------------------------------------------------------------------

def test_stored_time_formats_read_both_ways_and_refuse_junk():
    assert rfc3339_nano(1_600_000_000_123_456_001) == "2020-09-13T12:26:40.123456001Z"
    assert rfc3339_nano(1_600_000_000_000_000_000) == "2020-09-13T12:26:40Z"
    assert rfc3339_nano(1_600_000_000_500_000_000) == "2020-09-13T12:26:40.5Z"
    assert parse_stored("2020-09-13T12:26:40.123456001Z") == pytest.approx(1_600_000_000.123456, abs=1e-6)
    assert parse_stored("2020-09-13T14:26:40.5+02:00") == pytest.approx(1_600_000_000.5, abs=1e-6)
    assert parse_stored("1600000000.123456001") == pytest.approx(1_600_000_000.123456, abs=1e-6)
    for junk in ("", "yesterday", "2020-13-45T00:00:00Z", "9" * 30, "1e9", None, 3.0, "99999999999.5"):
        assert parse_stored(junk) is None, junk
    assert stored_mtime({"metadata": {"goog-reserved-file-mtime": "1600000000"}}) == 1_600_000_000
    assert stored_mtime({"metadata": {"mtime": "nonsense", "goog-reserved-file-mtime": "1600000000"}}) == 1_600_000_000
    assert stored_mtime({"Metadata": {"mtime": "1600000000.5"}}) == 1_600_000_000.5
    assert stored_mtime({"metadata": None, "updated": "2026-01-01T00:00:00Z"}) is None


def test_compare_uses_a_stored_time_as_the_files_own():
    src = Entry("a", 5, T0 + 0.25, ctime=T0 + 1)
    same = Entry("a", 5, T0 + 0.25, stored=True)
    older = Entry("a", 5, T0 - 100, stored=True)
    newer = Entry("a", 5, T0 + 100, stored=True)
    assert compare_entries(src, same, "size_mtime", True)[0] == "identical"
    assert compare_entries(src, older, "size_mtime", True)[0] == "changed"
    assert compare_entries(src, newer, "size_mtime", True)[0] == "conflict"
    # Without a stored time the upload-time rule stays: an upload after the change is a copy.
    assert compare_entries(src, Entry("a", 5, T0 + 100), "size_mtime", True)[0] == "identical"


def test_a_local_copy_dated_by_the_stored_time_is_not_fetched_again():
    obj = Entry("a", 5, T0 + 3600)  # S3: listed with its upload time only
    fetched = Entry("a", 5, T0, ctime=T0 + 3700)  # dated by the GET's stored time, written after the upload
    assert compare_entries(obj, fetched, "size_mtime", False)[0] == "identical"
    reuploaded = Entry("a", 5, T0 + 9000)  # uploaded again after that download
    assert compare_entries(reuploaded, fetched, "size_mtime", False)[0] == "changed"
    edited = Entry("a", 5, T0 + 9999, ctime=T0 + 9999)  # edited locally after the download
    assert compare_entries(obj, edited, "size_mtime", False)[0] == "conflict"


# -- GCS ----------------------------------------------------------------------

def test_gcs_uploads_store_rclones_keys_and_the_listing_reads_them(gcs, tmp_path):
    src = _tree(tmp_path / "src", n=4)
    dst = filesystem(f"gs://{gcs.bucket}/t", storage_options=gcs.options)
    assert sync_dir(filesystem("/"), dst, str(src), "", max_workers=2).ok
    meta = gcs.fs.info(f"{gcs.bucket}/t/d1/f1.txt")["metadata"]
    assert meta == {"mtime": "2022-04-15T05:20:01.123456789Z", "goog-reserved-file-mtime": str(T0 + 1)}
    listing = list_tree(dst, "")
    entry = listing.get("d1/f1.txt")
    assert entry.stored and entry.mtime == pytest.approx(T0 + 1.123456789, abs=1e-6)
    again = sync_dir(filesystem("/"), dst, str(src), "", max_workers=2)
    assert again.ok and again.copied == [] and len(again.skipped) == 4
    # The stored time is compared: a source re-dated at the same size is copied again.
    os.utime(src / "d1" / "f1.txt", (T0 + 50, T0 + 50))
    third = sync_dir(filesystem("/"), dst, str(src), "", max_workers=2)
    assert third.updated == ["d1/f1.txt"]


def test_gcs_downloads_carry_the_stored_time(gcs, tmp_path):
    src = _tree(tmp_path / "src", n=4)
    remote = filesystem(f"gs://{gcs.bucket}/t", storage_options=gcs.options)
    assert sync_dir(filesystem("/"), remote, str(src), "", max_workers=2).ok
    back = tmp_path / "back"
    assert sync_dir(remote, filesystem("/"), "", str(back), max_workers=2).ok
    got, want = _times(back), _times(src)  # the listing's times are floats: to within a microsecond
    assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1000 for k in want), (got, want)
    again = sync_dir(remote, filesystem("/"), "", str(back), max_workers=2)
    assert again.ok and again.copied == []


# -- S3 -----------------------------------------------------------------------

def test_s3_downloads_take_the_time_from_the_get_answer(s3, tmp_path):
    src = _tree(tmp_path / "src", n=6)
    remote = filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options)
    assert sync_dir(filesystem("/"), remote, str(src), "").ok
    s3.fs.pipe_file(f"{s3.bucket}/t/plain.txt", b"no stored time")  # as another tool uploads
    back = tmp_path / "back"
    assert sync_dir(remote, filesystem("/"), "", str(back)).ok
    got = _times(back)
    assert {k: v for k, v in got.items() if k != "plain.txt"} == _times(src)
    listed = s3.fs.info(f"{s3.bucket}/t/plain.txt")["LastModified"].timestamp()
    assert abs(got["plain.txt"] / 1e9 - listed) < 1  # falls back to the store's own time
    # The next run is a no-op with no request per object: the listing and the local ctime decide.
    again = sync_dir(remote, filesystem("/"), "", str(back))
    assert again.ok and again.copied == [], again.copied


@needs_rclone
def test_a_tree_rclone_uploaded_to_s3_downloads_with_rclones_times(s3, tmp_path):
    src = _tree(tmp_path / "src")
    done = _rclone_s3(s3, "copy", str(src), f"moto:{s3.bucket}/r")
    assert done.returncode == 0, done.stderr[-2000:]
    back = tmp_path / "back"
    result = sync_dir(filesystem(f"s3://{s3.bucket}/r", storage_options=s3.options), filesystem("/"), "", str(back))
    assert result.ok and len(result.copied) == 12
    assert _times(back) == _times(src)
    check = _rclone_s3(s3, "sync", f"moto:{s3.bucket}/r", str(back), "--dry-run", "-v")
    assert check.returncode == 0, check.stderr[-2000:]
    assert "Skipped" not in check.stderr, check.stderr[-2000:]


def _rclone_talks_to_the_emulator(gcs) -> bool:
    probe = _rclone_gcs(gcs, "lsf", f"emu:{gcs.bucket}")
    return probe.returncode == 0


@needs_rclone
def test_gcs_trees_agree_with_rclone_both_ways(gcs, tmp_path):
    if not _rclone_talks_to_the_emulator(gcs):
        pytest.skip("rclone cannot talk to this GCS emulator")
    ours = _tree(tmp_path / "ours", n=6)
    assert sync_dir(filesystem("/"), filesystem(f"gs://{gcs.bucket}/ours", storage_options=gcs.options),
                    str(ours), "", max_workers=2).ok
    check = _rclone_gcs(gcs, "sync", str(ours), f"emu:{gcs.bucket}/ours", "--dry-run", "-v")
    assert check.returncode == 0, check.stderr[-2000:]
    assert "Skipped" not in check.stderr, check.stderr[-2000:]
    theirs = _tree(tmp_path / "theirs", n=6, base=T0 + 777)
    done = _rclone_gcs(gcs, "copy", str(theirs), f"emu:{gcs.bucket}/theirs")
    assert done.returncode == 0, done.stderr[-2000:]
    back = tmp_path / "back"
    assert sync_dir(filesystem(f"gs://{gcs.bucket}/theirs", storage_options=gcs.options), filesystem("/"),
                    "", str(back), max_workers=2).ok
    got, want = _times(back), _times(theirs)
    assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1000 for k in want), (got, want)
