"""Side by side with the public fsspeckit 0.25: the same calls on the same trees.

The test makes a separate virtual environment, installs ``fsspeckit==0.25.0``
and ``s3fs`` into it from the package registry (its ``[gcp]`` extra conflicts,
so it is not asked for), and runs tests/peer_calls.py with that interpreter and
with this package. It compares each call's return value (or error type) and
the resulting tree. Where the two differ on purpose, the test states the
difference; each is listed with its reason in docs/work-with-filesystems.md.

It is skipped, with pip's last line as the reason, when the registry cannot
be reached. ``FSSPECKIT_PEER_PYTHON`` may name an interpreter that already
has 0.25 installed, to skip the install on reruns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "peer_calls.py"
PEER = "fsspeckit==0.25.0"


@pytest.fixture(scope="module")
def peer_python(tmp_path_factory) -> str:
    given = os.environ.get("FSSPECKIT_PEER_PYTHON")
    if given:
        return given
    venv = tmp_path_factory.mktemp("peer") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    pip = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PEER, "s3fs"],
                         capture_output=True, text=True, timeout=600)
    if pip.returncode != 0:
        lines = [ln for ln in (pip.stderr or pip.stdout).splitlines() if ln.strip()]
        pytest.skip(f"could not install {PEER} from the package registry: {lines[-1] if lines else 'pip failed'}")
    return python


def _run(python: str, work: Path, env_extra: dict, s3, prefix: str) -> dict:
    work.mkdir()
    out = work.parent / f"{work.name}.json"
    env = {**os.environ, **env_extra}
    proc = subprocess.run([python, str(SCRIPT), str(work), str(out), s3.endpoint, s3.bucket, prefix],
                          capture_output=True, text=True, env=env, cwd=str(work), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    for value in data.values():
        value.pop("where", None)
        value.pop("message", None)  # wording differs; the error's type is compared
    return data


@pytest.fixture(scope="module")
def both(peer_python, tmp_path_factory, s3_server):
    import s3fs

    root = tmp_path_factory.mktemp("side-by-side")
    # A bucket of its own on the session's moto server; each run writes under its own prefix.
    target = SimpleNamespace(endpoint=s3_server.endpoint, bucket=f"side-by-side-{uuid.uuid4().hex[:8]}")
    s3fs.S3FileSystem(**s3_server.storage_options(), skip_instance_cache=True).mkdir(target.bucket)
    peer = _run(peer_python, root / "peer", {"PYTHONPATH": ""}, target, "peer")
    ours = _run(sys.executable, root / "ours", {"PYTHONPATH": str(HERE.parent)}, target, "ours")
    return peer, ours


SAME = [
    "sync_dir_fresh", "sync_dir_stale", "sync_files", "sync_dir_to_s3", "sync_dir_from_s3",
    "run_parallel_zip", "run_parallel_kwargs", "run_parallel_scalar", "run_parallel_sequential",
    "run_parallel_empty", "run_parallel_mismatch",
    "partitions_hive", "partitions_named", "filesystem_roots", "filesystem_escape",
]


def _as_caught(value: dict) -> dict:
    """The call's outcome as a caller of 0.25 sees it: an error by the built-in class it is caught as."""
    return {k: v for k, v in value.items() if k != "error"} if "caught_as" in value else value


@pytest.mark.parametrize("name", SAME)
def test_same_return_values_and_trees(both, name):
    peer, ours = both
    assert _as_caught(ours[name]) == _as_caught(peer[name])


def test_the_runs_are_what_they_seem(both):
    peer, ours = both
    src = {"a.txt": "alpha\n", "sub/b.txt": "bravo\n", "sub/deep/c.txt": "charlie\n"}
    assert peer["sync_dir_fresh"] == {"return": {"added_files": sorted(src), "deleted_files": []}, "tree": src}
    assert peer["sync_dir_stale"]["tree"] == src and peer["sync_dir_stale"]["return"]["deleted_files"] == ["stale.txt"]
    assert peer["sync_dir_to_s3"]["tree"] == src == peer["sync_dir_from_s3"]["tree"]
    assert peer["run_parallel_zip"] == {"return": [11, 22, 33]}
    assert peer["filesystem_escape"]["error"] == "ValueError"


# --- the deliberate differences (docs/work-with-filesystems.md, "Differences from fsspeckit 0.25") ---

def test_difference_changed_files_are_copied(both):
    peer, ours = both
    # 0.25 compares names only: a changed file is never copied again.
    assert peer["sync_dir_changed"] == {"return": {"added_files": [], "deleted_files": []}, "tree": {"a.txt": "alpha\n"}}
    assert ours["sync_dir_changed"] == {"return": {"added_files": ["a.txt"], "deleted_files": []},
                                        "tree": {"a.txt": "alpha, changed\n"}}


def test_difference_an_empty_source_is_refused(both):
    peer, ours = both
    # 0.25 deletes the whole destination; here nothing changes and the error says why.
    assert peer["sync_dir_empty_source"] == {"return": {"added_files": [], "deleted_files": ["keep.txt"]}, "tree": {}}
    assert ours["sync_dir_empty_source"] == {"error": "EmptySourceError", "caught_as": "FileNotFoundError",
                                             "runtime_error": False,
                                             "tree": {"keep.txt": "keep\n"}}


def test_difference_destination_folders_are_made(both):
    peer, ours = both
    # 0.25's streamed copy does not create a missing folder: RuntimeError after a.txt.
    assert peer["sync_files_new_folder"] == {"error": "RuntimeError", "caught_as": "RuntimeError", "runtime_error": True,
                                             "tree": {"a.txt": "alpha\n"}}
    assert ours["sync_files_new_folder"] == {"return": {"added_files": ["a.txt", "sub/b.txt"], "deleted_files": []},
                                             "tree": {"a.txt": "alpha\n", "sub/b.txt": "bravo\n"}}


def test_difference_partition_values_are_decoded_and_windows_paths_read(both):
    peer, ours = both
    assert peer["partitions_encoded"] == {"return": [["city", "New%20York"]]}
    assert ours["partitions_encoded"] == {"return": [["city", "New York"]]}
    assert peer["partitions_windows"] == {"return": []}
    assert ours["partitions_windows"] == {"return": [["year", "2023"]]}


def test_nothing_else_differs(both):
    peer, ours = both
    named = set(SAME) | {"sync_dir_changed", "sync_dir_empty_source", "sync_files_new_folder",
                         "partitions_encoded", "partitions_windows"}
    assert set(peer) == set(ours) == named
