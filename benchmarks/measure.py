"""Measuring one contender run: wall time, client CPU and peak RSS, server CPU and requests.

The client is always a child process, waited for with ``os.wait4`` so its
CPU time and peak RSS (its own and those of any children it waited for) come
from the kernel, the same way for a Go binary, rclone or a Python driver. The
S3 server is moto in its own process; its CPU time is read from ``/proc`` and
its requests are counted from its access log (one line per request), so no
proxy sits in the data path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.servers import S3Server  # noqa: E402  (moto in its own process, on a free port)

_REQUEST_LINE = re.compile(rb'"(?:\x1b\[[0-9;]*m)*(GET|PUT|POST|HEAD|DELETE) (\S+) ')
_TICK = os.sysconf("SC_CLK_TCK")
TIME = "/usr/bin/time"


@dataclass
class RunStats:
    wall: float
    cpu: float  # client user + system seconds
    rss_mb: float  # client peak resident set, MB
    returncode: int
    server_cpu: float | None = None
    requests: int | None = None
    methods: dict | None = None  # HTTP method -> requests during the run
    object_requests: int | None = None  # requests on object keys inside the source/destination trees
    object_methods: dict | None = None  # HTTP method -> those requests
    stdout: str = ""
    stderr: str = ""


class BenchServer(S3Server):
    """moto's server with a request counter read from its own access log."""

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1"}

    @property
    def pid(self) -> int:
        return self._proc.pid

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        # fields[0] is the state (field 3); utime, stime are fields 14, 15
        return (int(fields[11]) + int(fields[12])) / _TICK


def object_key(target: bytes) -> bytes | None:
    """The ``bucket/key`` of a path-style request on an object, or None for bucket-level
    requests (``/bucket?list-type=2...``, ``HEAD /bucket``, ``POST /bucket?delete``)."""
    path = target.split(b"?", 1)[0].lstrip(b"/")
    bucket, _, key = path.partition(b"/")
    if not bucket or not key or bucket.startswith(b"moto-api"):
        return None
    return path


class RequestCounter:
    """Counts access-log lines incrementally (the log only grows); ``last`` holds the
    (method, target) pairs read by the latest ``count()``."""

    def __init__(self, server: BenchServer):
        self.server = server
        self._offset = 0
        self._count = 0
        self.by_method: dict[str, int] = {}
        self.last: list[tuple[bytes, bytes]] = []

    def count(self) -> int:
        log = self.server._log
        log.flush()
        log.seek(self._offset)
        data = log.read()
        cut = data.rfind(b"\n") + 1  # leave a half-written line for next time
        found = _REQUEST_LINE.findall(data[:cut])
        self._count += len(found)
        for method, _target in found:
            key = method.decode()
            self.by_method[key] = self.by_method.get(key, 0) + 1
        self.last = found
        self._offset += cut
        return self._count


def in_trees(found: list[tuple[bytes, bytes]], roots: list[str]) -> dict[str, int]:
    """HTTP method -> requests on object keys strictly inside one of ``roots`` (``bucket/prefix``).

    This is the per-file traffic: a sync's constant requests (listings, the bucket
    check, a HEAD on the destination root itself) are left out.
    """
    prefixes = [r.strip("/").encode() + b"/" for r in roots]
    out: dict[str, int] = {}
    for method, target in found:
        key = object_key(target)
        if key is not None and any(key.startswith(p) for p in prefixes):
            m = method.decode()
            out[m] = out.get(m, 0) + 1
    return out


def run_measured(argv: list[str], env: dict | None = None, server: BenchServer | None = None,
                 counter: RequestCounter | None = None, timeout: float = 1800.0,
                 cwd: str | None = None, roots: list[str] | None = None) -> RunStats:
    """Run ``argv`` to completion and measure it (plus the server while it ran).

    ``roots``: the S3 trees (``bucket/prefix``) the run works on; requests on object
    keys inside them are counted apart as ``object_requests``.
    """
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    # GNU time reports the peak RSS of the command itself: a child forked from this
    # (large) process would otherwise inherit our high-water mark in ru_maxrss.
    timing = tempfile.NamedTemporaryFile(prefix="bench-time-", delete=False)
    timing.close()
    if os.path.exists(TIME):
        argv = [TIME, "-f", "%U %S %M", "-o", timing.name, *argv]
    req0 = counter.count() if counter else None
    methods0 = dict(counter.by_method) if counter else None
    cpu0 = server.cpu_seconds() if server else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    server_cpu = requests = methods = object_requests = object_methods = None
    if server:
        server_cpu = server.cpu_seconds() - cpu0
    if counter:
        time.sleep(0.05)  # let the server write its last access-log lines
        requests = counter.count() - req0
        methods = {k: v - methods0.get(k, 0) for k, v in counter.by_method.items() if v - methods0.get(k, 0)}
        object_methods = in_trees(counter.last, roots or [])
        object_requests = sum(object_methods.values())
    out.seek(0)
    err.seek(0)
    cpu, rss_mb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0
    try:
        with open(timing.name) as f:
            last = f.read().strip().splitlines()[-1].split()
        cpu, rss_mb = float(last[0]) + float(last[1]), int(last[2]) / 1024.0
    except (OSError, IndexError, ValueError):
        pass
    finally:
        os.unlink(timing.name)
    return RunStats(
        wall=wall,
        cpu=cpu,
        rss_mb=rss_mb,
        returncode=proc.returncode,
        server_cpu=server_cpu,
        requests=requests,
        methods=methods,
        object_requests=object_requests,
        object_methods=object_methods,
        stdout=out.read().decode("utf-8", "replace")[-4000:],
        stderr=err.read().decode("utf-8", "replace")[-4000:],
    )
