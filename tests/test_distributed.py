"""Applying a plan on a Dask cluster: shards, progress, a lost worker, the delete guard.

The cluster tests share one two-worker ``LocalCluster`` (processes) for the
module and sync a local tree to S3 on loopback (moto); the workers reach the
same endpoint through the storage options that travel in the filesystems.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

distributed = pytest.importorskip("distributed")

import fsspeckit  # noqa: E402
from fsspec.callbacks import Callback  # noqa: E402
from fsspeckit.execution.distributed import _connect, _Relay, is_dask_executor, plan_shards  # noqa: E402
from fsspeckit.model.entries import Entry  # noqa: E402
from fsspeckit.planning.plan import Action  # noqa: E402

N_FILES = 300


# -- fixtures -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster_client():
    """One two-worker process cluster for the module, closed however the tests end."""
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=2,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    try:
        client = distributed.Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@pytest.fixture
def client(cluster_client):
    """The module's client, with both workers up (a test may have killed one)."""
    cluster_client.wait_for_workers(2, timeout=60)
    return cluster_client


def make_tree(local_tree, n: int = N_FILES, seed: int = 8) -> tuple[os.PathLike, dict[str, bytes]]:
    rng = random.Random(seed)
    files = {f"year=202{i % 3}/part{i % 7}/f{i:04d}.bin": rng.randbytes(rng.randint(0, 3000)) for i in range(n)}
    return local_tree(files, name="src"), files


def s3_objects(s3, prefix: str) -> dict[str, tuple[int, str]]:
    """An independent listing of an S3 prefix: relative key -> (size, ETag as MD5)."""
    s3.fs.invalidate_cache()
    root = s3.path(prefix)
    found = s3.fs.find(root, detail=True)
    return {k[len(root) + 1:]: (v["size"], v["ETag"].strip('"')) for k, v in found.items()}


def expected(files: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    return {k: (len(v), hashlib.md5(v).hexdigest()) for k, v in files.items()}


def dst_fs(s3, prefix: str, endpoint: str | None = None, **extra):
    options = dict(s3.options, **extra)
    if endpoint:
        options["endpoint_url"] = endpoint
    return fsspeckit.filesystem(s3.url(prefix), storage_options=options)


class Recorder(Callback):
    """An fsspec callback that remembers the largest value it showed."""

    def __init__(self):
        super().__init__()
        self.peak = 0

    def call(self, *args, **kwargs):
        self.peak = max(self.peak, self.value)


def assert_each_once(result, paths) -> None:
    seen = [o.path for o in result.outcomes]
    assert len(seen) == len(set(seen)), "a path is reported twice"
    assert set(seen) == set(paths)


# -- shards (no cluster) ---------------------------------------------------------------

def _action(path: str, size: int, kind: str = "copy") -> Action:
    entry = Entry(path, size, 1.7e9)
    if kind == "delete":
        return Action(path, "delete", "dst_only", "only on the destination", None, entry)
    if kind == "skip":
        return Action(path, "skip", "identical", "same size and time", entry, entry)
    return Action(path, kind, "new" if kind == "copy" else "changed", "test", entry, None if kind == "copy" else entry)


def _weight(shard, overhead=fsspeckit.execution.distributed.FILE_OVERHEAD) -> int:
    return sum(a.size + overhead for a in shard)


def test_shards_are_deterministic_and_cover_every_transfer_once():
    rng = random.Random(3)
    actions = [_action(f"d{i % 9}/f{i:05d}", rng.choice([0, 10, 5000, 2**20, 50 * 2**20]),
                       rng.choice(["copy", "copy", "update", "skip", "delete"])) for i in range(2000)]
    actions.sort(key=lambda a: a.path)
    shards = plan_shards(actions, 16)
    shuffled = actions[:]
    random.Random(4).shuffle(shuffled)
    assert plan_shards(shuffled, 16) == shards  # the same plan gives the same shards
    assert plan_shards(tuple(actions), 16) == shards
    transfers = [a for a in actions if a.kind in ("copy", "update")]
    flat = [a for s in shards for a in s]
    assert sorted(a.path for a in flat) == [a.path for a in transfers]  # each transfer exactly once
    assert all(list(s) == sorted(s, key=lambda a: a.path) for s in shards)
    assert [s[0].path for s in shards] == sorted(s[0].path for s in shards)
    assert len(shards) == 16


def test_shards_are_balanced_by_bytes_and_count():
    rng = random.Random(5)
    actions = [_action(f"f{i:05d}", rng.randint(0, 20 * 2**20)) for i in range(1000)]
    shards = plan_shards(actions, 12)
    weights = [_weight(s) for s in shards]
    heaviest_file = max(a.size for a in actions) + fsspeckit.execution.distributed.FILE_OVERHEAD
    assert max(weights) - min(weights) <= heaviest_file  # greedy heaviest-first bound
    assert max(weights) <= 1.1 * sum(weights) / len(weights)
    # Equal files: counts differ by at most one.
    same = plan_shards([_action(f"g{i:04d}", 4096) for i in range(1003)], 10)
    counts = sorted(len(s) for s in same)
    assert counts[-1] - counts[0] <= 1 and sum(counts) == 1003


def test_shard_count_limits():
    small = [_action(f"f{i}", 100) for i in range(5)]
    assert len(plan_shards(small, 64)) == 5  # never more shards than files
    assert plan_shards([_action("x", 1, "skip"), _action("y", 1, "delete")], 4) == []
    # A hard cap on files per shard, even when one huge file takes a shard to itself.
    skewed = [_action("big", 10 * 2**30)] + [_action(f"t{i:04d}", 1) for i in range(999)]
    shards = plan_shards(skewed, 2, max_files=500)
    assert max(len(s) for s in shards) <= 500
    assert sum(len(s) for s in shards) == 1000
    # Shards are added so none holds much more than max_bytes.
    many = [_action(f"m{i:03d}", 2**20) for i in range(100)]
    assert len(plan_shards(many, 1, max_bytes=10 * 2**20)) == 10


def test_relay_counts_a_restarted_shard_once():
    shard = tuple(_action(f"f{i}", 100) for i in range(4))
    seen = []
    cb = Recorder()
    relay = _Relay([shard], 0, cb, seen.append, None, interval=0)
    msg = {"shard": 0, "files_done": 3, "bytes_done": 300, "bytes_total": 400, "failed": 0, "in_flight": []}
    relay.on_event((0, {"shards": [dict(msg, token="a")]}))
    relay.drain(0.1)
    assert (relay.p.files_done, cb.value) == (3, 300)
    # The worker died; the shard starts again elsewhere, from zero.
    relay.on_event((0, {"shards": [dict(msg, token="b", files_done=1, bytes_done=100)]}))
    relay.on_event((0, {"shards": [dict(msg, token="a", files_done=4, bytes_done=400)]}))  # late, stale
    relay.drain(0.1)
    assert (relay.p.files_done, cb.value) == (1, 100)
    outcomes = [fsspeckit.Outcome(a.path, "copy", "copied", 100) for a in shard]
    relay.shard_done(0, shard, outcomes)
    relay.on_event((0, {"shards": [dict(msg, token="b", files_done=2, bytes_done=200)]}))  # after the end
    relay.drain(0.1)
    relay.finish()
    assert (relay.p.files_done, relay.p.bytes_done, relay.p.bytes_total, cb.value) == (4, 400, 400, 400)
    assert seen[-1].finished


def test_executor_detection():
    assert is_dask_executor("tcp://127.0.0.1:8786")
    assert not is_dask_executor(None)
    assert not is_dask_executor(object())
    assert not is_dask_executor(concurrent.futures.ThreadPoolExecutor(1))


@pytest.mark.parametrize("address", ["http://127.0.0.1:8786", "", "tcp://"])
def test_a_bad_scheduler_address_is_one_clear_error(address):
    with pytest.raises(ValueError, match="is not a Dask scheduler address"):
        _connect(address)


def test_memory_filesystems_are_refused_before_connecting():
    src = fsspeckit.filesystem("memory://dist-src")
    src.pipe("a.txt", b"a")
    dst = fsspeckit.filesystem("memory://dist-dst")
    plan = fsspeckit.plan_sync(src, dst)
    with pytest.raises(ValueError, match="memory:// filesystem"):
        fsspeckit.apply_plan(plan, src, dst, executor="tcp://127.0.0.1:9")


def test_importing_the_library_does_not_import_distributed():
    code = "import sys, fsspeckit, fsspeckit.execution.distributed; print('distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- on the cluster ------------------------------------------------------------------

@pytest.mark.slow
def test_same_result_as_threaded_run(client, s3, local_tree):
    src_dir, files = make_tree(local_tree)
    src = fsspeckit.filesystem(str(src_dir))
    threaded = fsspeckit.sync_dir(src, dst_fs(s3, "threaded"), max_workers=4)
    cb = Recorder()
    hooks = []
    result = fsspeckit.sync_dir(src, dst_fs(s3, "dask"), executor=client, max_workers=2,
                                callback=cb, progress_hook=hooks.append)
    assert result.ok and threaded.ok
    assert result.counts == threaded.counts
    assert result.counts["copied"] == N_FILES
    assert [o.path for o in result.outcomes] == [o.path for o in threaded.outcomes]
    assert result.bytes_transferred == threaded.bytes_transferred == sum(map(len, files.values()))
    # An independent check of the destination: sizes and MD5s of every object.
    assert s3_objects(s3, "dask") == s3_objects(s3, "threaded") == expected(files)
    # Progress reached the caller's callback and hook.
    total = sum(map(len, files.values()))
    assert cb.size == total and cb.value == total
    last = hooks[-1]
    assert last.finished and last.files_done == N_FILES and last.bytes_done == total and last.failed == 0
    # A second run has nothing to do.
    again = fsspeckit.sync_dir(src, dst_fs(s3, "dask"), executor=client)
    assert again.counts["skipped"] == N_FILES and again.ok


@pytest.mark.slow
def test_scheduler_address_and_no_secrets_in_logs(client, s3, local_tree, caplog):
    src_dir, files = make_tree(local_tree, n=40)
    secret = "distributed-test-secret-9f3e1c"
    dst = dst_fs(s3, "addr", key="AKIDDISTRIBUTEDTEST", secret=secret)
    caplog.set_level(logging.DEBUG)
    before = client.get_worker_logs()
    result = fsspeckit.sync_dir(fsspeckit.filesystem(str(src_dir)), dst, executor=client.scheduler.address)
    assert result.ok and result.counts["copied"] == 40
    assert s3_objects(s3, "addr") == expected(files)
    assert secret not in caplog.text
    after = client.get_worker_logs()
    for logs in (before, after):
        assert all(secret not in line for lines in logs.values() for _, line in lines)


@pytest.mark.slow
def test_a_killed_worker_is_survived_and_every_file_reported_once(client, s3, local_tree, fault_proxy):
    src_dir, files = make_tree(local_tree)

    def slow_puts(req):  # the proxy runs these one at a time: about 100 uploads a second
        if req.method == "PUT":
            time.sleep(0.01)
        return False  # never inject a fault: the proxy only slows uploads down

    proxy = fault_proxy(predicate=slow_puts)
    pids = client.run(os.getpid)  # worker address -> pid
    killed = []

    def hook(p):
        if not killed and p.files_done >= 40:
            held = {addr: [k for k in keys if "fsspeckit-shard" in str(k)]
                    for addr, keys in client.processing().items()}
            addr = max(sorted(held), key=lambda a: len(held[a]))
            killed.append((p.files_done, pids[addr], held[addr]))
            os.kill(pids[addr], signal.SIGKILL)

    cb = Recorder()
    src = fsspeckit.filesystem(str(src_dir))
    plan = fsspeckit.plan_sync(src, dst_fs(s3, "killed", proxy.endpoint))
    result = fsspeckit.apply_plan(plan, src, dst_fs(s3, "killed", proxy.endpoint),
                                  executor=client, max_workers=2, progress_hook=hook, callback=cb)
    assert killed, "the worker was not killed during the run"
    done_at_kill, victim, shards_lost = killed[0]
    assert done_at_kill < N_FILES and shards_lost  # it died holding shards: they ran again elsewhere
    assert_each_once(result, files)
    assert result.ok, result.errors
    assert result.counts["copied"] == N_FILES
    assert cb.value == sum(map(len, files.values()))
    assert s3_objects(s3, "killed") == expected(files)
    client.wait_for_workers(2, timeout=60)
    assert victim not in client.run(os.getpid).values()


@pytest.mark.slow
def test_deletes_only_after_every_shard_succeeded(client, s3, local_tree):
    src_dir, files = make_tree(local_tree, n=60)
    src = fsspeckit.filesystem(str(src_dir))
    dst = dst_fs(s3, "del")
    for i in range(5):
        s3.fs.pipe(s3.path(f"del/extra/old{i}.txt"), b"old")
    plan = fsspeckit.plan_sync(src, dst)
    assert len(plan.deletes) == 5
    # One source file disappears after planning: its copy fails on a worker.
    gone = sorted(files)[17]
    os.remove(os.path.join(src_dir, gone))
    result = fsspeckit.apply_plan(plan, src, dst, executor=client)
    assert_each_once(result, [a.path for a in plan.actions])
    assert [o.path for o in result.failed] == [gone]
    assert result.counts["deleted"] == 0 and result.counts["not_deleted"] == 5
    assert result.deletes_skipped == "1 copy failed"
    assert len([k for k in s3_objects(s3, "del") if k.startswith("extra/")]) == 5
    # With every copy done, the deletions run (on the coordinator).
    again = fsspeckit.sync_dir(src, dst, executor=client)
    assert again.ok and again.counts["deleted"] == 5
    remaining = s3_objects(s3, "del")
    assert not [k for k in remaining if k.startswith("extra/")]
    assert remaining == expected({k: v for k, v in files.items() if k != gone})


@pytest.mark.slow
def test_cancel_stops_the_remaining_shards(client, s3, local_tree, fault_proxy):
    src_dir, files = make_tree(local_tree, n=200)

    def slow_puts(req):
        if req.method == "PUT":
            time.sleep(0.02)
        return False

    proxy = fault_proxy(predicate=slow_puts)
    cancel = threading.Event()

    def hook(p):
        if p.files_done >= 20:
            cancel.set()

    src = fsspeckit.filesystem(str(src_dir))
    dst = dst_fs(s3, "cancel", proxy.endpoint)
    s3.fs.pipe(s3.path("cancel/extra.txt"), b"x")
    t0 = time.monotonic()
    result = fsspeckit.sync_dir(src, dst, executor=client, max_workers=2, progress_hook=hook, cancel=cancel)
    assert result.cancelled and not result.ok
    assert_each_once(result, list(files) + ["extra.txt"])
    c = result.counts
    assert c["copied"] + c["cancelled"] + c["failed"] == 200 and c["cancelled"] > 0
    assert c["not_deleted"] == 1 and "cancelled" in result.deletes_skipped
    assert time.monotonic() - t0 < 30
    # Nothing keeps writing once the run has returned, and nothing reported copied is missing.
    # (Some files reported cancelled may exist: an upload that finished as the cancel
    # arrived; that is the single-machine copy's behaviour too.)
    present = set(s3_objects(s3, "cancel"))
    time.sleep(1.5)
    assert set(s3_objects(s3, "cancel")) == present
    assert set(result.copied) <= present
    assert "extra.txt" in present


@pytest.mark.slow
def test_dry_run_on_a_cluster_writes_nothing(client, s3, local_tree):
    src_dir, _ = make_tree(local_tree, n=10)
    result = fsspeckit.sync_dir(fsspeckit.filesystem(str(src_dir)), dst_fs(s3, "dry"), executor=client,
                                dry_run=True)
    assert result.dry_run and result.counts["skipped"] == 10
    assert s3_objects(s3, "dry") == {}


@pytest.mark.slow
def test_a_saved_plan_applied_twice_does_the_rest_only(client, s3, local_tree, tmp_path):
    src_dir, files = make_tree(local_tree, n=30)
    src = fsspeckit.filesystem(str(src_dir))
    fsspeckit.plan_sync(src, dst_fs(s3, "saved")).save(str(tmp_path / "plan.json"))
    first = fsspeckit.apply_plan(fsspeckit.Plan.load(str(tmp_path / "plan.json")), src, dst_fs(s3, "saved"),
                                 executor=client)
    assert first.counts["copied"] == 30
    # The loaded plan is checked against the stores once, on the coordinator: nothing is left to do.
    again = fsspeckit.apply_plan(fsspeckit.Plan.load(str(tmp_path / "plan.json")), src, dst_fs(s3, "saved"),
                                 executor=client)
    assert again.ok and again.counts["copied"] == 0 and again.counts["skipped"] == 30
    assert s3_objects(s3, "saved") == expected(files)
