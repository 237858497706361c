"""Real storage endpoints on loopback, for tests and benchmarks.

Three helpers live here, all stdlib + the test extras (``moto[server]``,
``gcp-storage-emulator``); nothing in this module imports ``fsspeckit``:

* :class:`S3Server` -- moto's S3 server in a child process.
* :class:`GCSServer` -- ``gcp-storage-emulator`` in a child process.
* :class:`FaultProxy` -- a threaded HTTP reverse proxy that injects server
  errors and truncated responses in front of either of them.

Every server binds ``127.0.0.1`` on a free port (chosen by binding port 0),
logs to a temporary file rather than a pipe (so a chatty server can never
block on a full pipe), and is stopped by ``stop()`` / the context manager /
an ``atexit`` hook, whichever comes first (terminate, then kill).

Typical use outside pytest (e.g. in a benchmark)::

    from tests.servers import S3Server
    import s3fs

    with S3Server() as server:
        fs = s3fs.S3FileSystem(**server.storage_options())
        fs.mkdir("bucket")
        fs.pipe("bucket/key", b"data")
"""

from __future__ import annotations

import atexit
import http.client
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit

__all__ = [
    "BucketHandle",
    "FaultProxy",
    "GCSServer",
    "ProxyRequest",
    "S3Server",
    "ServerStartError",
    "disable_gcsfs_experimental",
    "free_port",
]

LOOPBACK = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A server process did not come up (its log output is in the message).

    ``exited`` tells whether the process died (e.g. port taken) rather than
    hanging until the startup timeout.
    """

    def __init__(self, message: str, exited: bool = False):
        super().__init__(message)
        self.exited = exited


def free_port(host: str = LOOPBACK) -> int:
    """Return a port that was free a moment ago (bind port 0, then release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _console_script(name: str) -> Path | None:
    """The console script ``name`` installed next to the running interpreter."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def _http_ok(url: str, timeout: float = 1.0) -> bool:
    """True if something at ``url`` answers HTTP at all (any status code)."""
    # a test server's self-signed certificate on loopback: not verified
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            resp.read()
        return True
    except urllib.error.HTTPError:
        return True  # an HTTP error status still means the server is up
    except (OSError, http.client.HTTPException):
        return False


@dataclass
class BucketHandle:
    """A fresh bucket on a test endpoint, as handed out by the pytest fixtures.

    Attributes:
        fs: the filesystem instance (``s3fs.S3FileSystem`` / ``gcsfs.GCSFileSystem``).
        bucket: the bucket name (already created, empty).
        options: the storage options used to build ``fs`` (copy before
            mutating; e.g. ``{**h.options, "endpoint_url": proxy.endpoint}``).
        protocol: ``"s3"`` or ``"gs"``.
        server: the server object (:class:`S3Server` / :class:`GCSServer`).
    """

    fs: Any
    bucket: str
    options: dict
    protocol: str
    server: Any = None

    @property
    def endpoint(self) -> str:
        return self.options["endpoint_url"]

    def path(self, rel: str = "") -> str:
        """Protocol-less fsspec path inside the bucket: ``bucket/rel``."""
        rel = rel.lstrip("/")
        return f"{self.bucket}/{rel}" if rel else self.bucket

    def url(self, rel: str = "") -> str:
        """Full URL inside the bucket: ``s3://bucket/rel`` (or ``gs://...``)."""
        return f"{self.protocol}://{self.path(rel)}"


class _ServerProcess:
    """Shared plumbing: spawn, wait until it answers HTTP, stop."""

    #: human readable name used in error messages
    name = "server"
    #: path probed for readiness (any HTTP answer counts)
    probe_path = "/"
    #: "https" for a server with a self-signed certificate on loopback
    scheme = "http"

    def __init__(self, host: str = LOOPBACK, port: int | None = None,
                 startup_timeout: float = 30.0):
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen | None = None
        self._log = None
        self._atexit_registered = False

    # -- to override -------------------------------------------------------
    def _command(self, port: int) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    # -- lifecycle ---------------------------------------------------------
    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise RuntimeError(f"{self.name} is not started")
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self):
        """Start the process and block until it answers HTTP. Returns ``self``."""
        if self.running:
            return self
        attempts = 1 if self._requested_port else 3
        last_error: Exception | None = None
        for _ in range(attempts):
            port = self._requested_port or free_port(self.host)
            try:
                self._spawn(port)
                return self
            except ServerStartError as exc:
                last_error = exc
                if not exc.exited:  # hung: retrying on another port won't help
                    break
        assert last_error is not None
        raise last_error

    def _spawn(self, port: int) -> None:
        self._log = tempfile.TemporaryFile(prefix=f"{self.name}-", suffix=".log")
        self._proc = subprocess.Popen(
            self._command(port),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self._env(),
        )
        self.port = port
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        deadline = time.monotonic() + self.startup_timeout
        url = self.endpoint + self.probe_path
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if _http_ok(url, timeout=1.0):
                return
            time.sleep(0.05)
        output = self.log_output()
        status = self._proc.poll()
        self.stop()
        why = (f"exited with status {status}" if status is not None
               else f"did not answer within {self.startup_timeout:.0f}s")
        raise ServerStartError(
            f"{self.name} on port {port} {why}.\n"
            f"command: {' '.join(self._command(port))}\n"
            f"output:\n{output or '(none)'}",
            exited=status is not None,
        )

    def log_output(self, limit: int = 20_000) -> str:
        """The tail of the process's combined stdout/stderr."""
        if self._log is None:
            return ""
        try:
            self._log.flush()
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - limit))
            return self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the process (kill it after ``timeout`` s). Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        if self._log is not None:
            try:
                self._log.close()
            except OSError:
                pass
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _request(self, method: str, path: str, timeout: float = 10.0) -> bytes:
        req = urllib.request.Request(self.endpoint + path, method=method, data=b""
                                     if method in ("POST", "PUT") else None)
        context = ssl._create_unverified_context() if self.scheme == "https" else None
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.read()


#: run moto's server with its lazy ETag computed under the object's lock (see ``S3Server``)
_MOTO_FIXES = """\
import moto.s3.models as _models
from moto.server import main

_lazy_etag = _models.FakeKey.etag.fget


def _locked_etag(self):
    lock = getattr(self, "lock", None)
    if lock is None:
        return _lazy_etag(self)
    with lock:
        return _lazy_etag(self)


_models.FakeKey.etag = property(_locked_etag)
"""


class S3Server(_ServerProcess):
    """moto's S3 server (``moto_server -H 127.0.0.1 -p PORT``) in its own process.

    The console script next to ``sys.executable`` is used, falling back to
    ``python -m moto.server``. moto accepts any credentials and does not check
    SigV4 signatures; :meth:`storage_options` uses ``testing``/``testing``.

    Nothing is written to ``os.environ``. Clients built from
    :meth:`storage_options` work as-is; with botocore >= 1.36 it is advisable
    to also set ``AWS_REQUEST_CHECKSUM_CALCULATION=when_required`` in the
    environment of the client (the pytest fixtures do) so uploads are plain
    ``Content-Length`` bodies rather than ``aws-chunked`` streams with
    trailing checksums.

    moto keeps all state in memory; :meth:`reset` wipes every bucket (all
    backends, in fact) via ``POST /moto-api/reset``. moto does not offer a
    cheap request counter; put a :class:`FaultProxy` in front to count.

    One moto bug is mended in the server process (``_MOTO_FIXES``): moto
    computes an object's ETag lazily, on first use, by seeking and reading the
    object's shared buffer without its lock. Two first uses at once (a PUT's
    answer and a listing, say) read each other's blocks, and an object over
    16 MiB keeps a wrong ETag while its bytes are right: with two threads
    listing while twenty 40 MiB objects were put, 13 of 20 listed a wrong
    ETag. S3 fixes the ETag when the object is written; so does this server.
    """

    name = "moto_server"
    probe_path = "/moto-api/"

    def __init__(self, *args, tls: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if tls:  # HTTPS with a certificate moto makes up at start (not verified by clients)
            self.scheme = "https"

    def _command(self, port: int) -> list[str]:
        args = ["-H", self.host, "-p", str(port), *(["-s"] if self.scheme == "https" else [])]
        return [sys.executable, "-c", _MOTO_FIXES + f"main({args!r})\n"]

    def reset(self) -> None:
        """Forget all buckets and objects."""
        self._request("POST", "/moto-api/reset")

    def storage_options(self) -> dict:
        """Options for ``s3fs.S3FileSystem`` / ``fsspec.filesystem("s3", ...)``."""
        options = {"endpoint_url": self.endpoint, "key": "testing", "secret": "testing"}
        if self.scheme == "https":
            options["client_kwargs"] = {"verify": False}
        return options


def disable_gcsfs_experimental() -> None:
    """Make gcsfs use its plain HTTP filesystem class.

    gcsfs (>= 2025.x) picks ``ExtendedGcsFileSystem`` unless
    ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT`` is false *at import time of gcsfs*.
    That class probes each bucket's layout over gRPC (Storage Control API),
    which the emulator does not speak, so every operation then stalls for
    about 60 s before falling back. This sets the variable to ``false`` in
    ``os.environ`` (the only global it touches) and, if gcsfs was already
    imported with the extended class, rebinds ``gcsfs.GCSFileSystem`` and
    fsspec's ``gs``/``gcs`` registrations to ``gcsfs.core.GCSFileSystem``.
    """
    os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
    gcsfs = sys.modules.get("gcsfs")
    if gcsfs is None:
        return
    import gcsfs.core
    plain = gcsfs.core.GCSFileSystem
    if gcsfs.GCSFileSystem is not plain:
        import fsspec
        gcsfs.GCSFileSystem = plain
        for proto in ("gs", "gcs"):
            fsspec.register_implementation(proto, plain, clobber=True)


class GCSServer(_ServerProcess):
    """``gcp-storage-emulator start --in-memory`` in its own process.

    :meth:`start` calls :func:`disable_gcsfs_experimental`, i.e. it sets
    ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false`` in ``os.environ``: without it
    gcsfs waits ~60 s on a gRPC probe for every call against the emulator.
    Set it yourself before importing gcsfs when you can.

    :meth:`reset` uses the emulator's own ``GET /wipe`` (drops buckets too).

    The emulator is a single-process ``http.server`` with coarse locking and
    falls over under concurrent load (dropped connections, 500s, lost
    objects): callers should keep gcsfs batch sizes / concurrency at 1-2.
    """

    name = "gcp-storage-emulator"
    probe_path = "/"  # the emulator's health check

    def __init__(self, *args, quiet: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.quiet = quiet

    def _command(self, port: int) -> list[str]:
        exe = _console_script("gcp-storage-emulator")
        base = [str(exe)] if exe else [sys.executable, "-m", "gcp_storage_emulator"]
        cmd = [*base, "start", "--host", self.host, "--port", str(port), "--in-memory"]
        if self.quiet:
            cmd.append("--quiet")
        return cmd

    def start(self):
        disable_gcsfs_experimental()
        return super().start()

    def reset(self) -> None:
        """Forget all buckets and objects."""
        self._request("GET", "/wipe")

    def storage_options(self) -> dict:
        """Options for ``gcsfs.GCSFileSystem`` / ``fsspec.filesystem("gs", ...)``."""
        return {"endpoint_url": self.endpoint, "token": "anon", "project": "test"}


# ---------------------------------------------------------------------------
# Fault-injecting reverse proxy
# ---------------------------------------------------------------------------

#: headers that describe one hop and must not be forwarded as-is
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
    "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding",
    "upgrade", "expect",
})

_S3_ERRORS: Sequence[tuple[int, str, str]] = (
    (500, "InternalError", "We encountered an internal error. Please try again."),
    (503, "SlowDown", "Please reduce your request rate."),
    (503, "ServiceUnavailable", "Service is unable to handle request."),
)


@dataclass(frozen=True)
class ProxyRequest:
    """What a :class:`FaultProxy` predicate sees about one request.

    ``index`` is the 0-based arrival number of the request at the proxy.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    index: int

    @property
    def key(self) -> str:
        """Object key for path-style URLs (``/bucket/key?...`` -> ``key``)."""
        parts = urlsplit(self.path).path.lstrip("/").split("/", 1)
        return parts[1] if len(parts) == 2 else ""


@dataclass
class _Stats:
    requests: int = 0
    failed: int = 0
    dropped: int = 0
    # (index, method, path, outcome) of the most recent requests
    log: deque = field(default_factory=lambda: deque(maxlen=10_000))


class FaultProxy:
    """HTTP reverse proxy on loopback that injects faults, for resilience tests.

    Every request is forwarded to ``upstream`` (method, path, headers and body
    unchanged -- including the client's ``Host`` header, so SigV4 signatures
    computed for the proxy's address stay valid) unless it is picked for a
    fault. For each *eligible* request one random draw decides:

    * with probability ``fail_rate``: answer ``500 InternalError`` or
      ``503 SlowDown`` / ``503 ServiceUnavailable`` with an S3-style XML error
      body, *without* forwarding;
    * with probability ``drop_rate``: forward, then send the response headers
      with the full ``Content-Length`` but only part of the body, and close
      the connection. Responses without a body (HEAD, empty PUT replies) are
      dropped by closing the connection without any answer -- note the
      upstream has then applied the request.

    A request is eligible when its arrival index is ``>= skip_first`` and
    ``predicate(ProxyRequest)`` is true (default: everything). Helpers:
    :meth:`methods` and :meth:`object_requests` build common predicates.
    ``fail_rate``, ``drop_rate`` and ``predicate`` are plain attributes and
    may be changed while running (e.g. set rates to 0 to verify results).

    Draws come from ``random.Random(seed)`` under a lock, so a sequential
    client sees a reproducible fault pattern (concurrent clients may get
    the draws in a different order).

    Counters: :attr:`requests_seen`, :attr:`faults_injected`
    (= :attr:`failed` + :attr:`dropped`), and :attr:`log`, a list of
    ``(index, method, path, outcome)`` for the last 10,000 requests, with outcome ``"ok"``, ``"fail:<code>"``,
    ``"drop"`` or ``"upstream-error"``.

    Chunked request bodies (``Transfer-Encoding: chunked``) are de-chunked
    and forwarded with a ``Content-Length``; ``Expect: 100-continue`` is
    answered by the proxy itself and not forwarded.
    """

    def __init__(
        self,
        upstream: str,
        fail_rate: float = 0.0,
        drop_rate: float = 0.0,
        seed: int | None = 0,
        predicate: Callable[[ProxyRequest], bool] | None = None,
        skip_first: int = 0,
        errors: Sequence[tuple[int, str, str]] | None = None,
        host: str = LOOPBACK,
        port: int = 0,
        upstream_timeout: float = 60.0,
        flip_rate: float = 0.0,
        short_rate: float = 0.0,
        stall_rate: float = 0.0,
        stall_seconds: float = 30.0,
        put_flip_rate: float = 0.0,
    ):
        if fail_rate < 0 or drop_rate < 0 or fail_rate + drop_rate > 1:
            raise ValueError("need 0 <= fail_rate, drop_rate and fail_rate + drop_rate <= 1")
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self._up_host = parts.hostname
        self._up_port = parts.port or 80
        self.upstream_timeout = upstream_timeout
        self.fail_rate = fail_rate
        self.drop_rate = drop_rate
        #: body faults, drawn separately for each eligible GET answered 200/206 with a body:
        #: flip one byte (same length), answer a consistent but short body (half, with a
        #: matching Content-Length), or send half the body and then stall ``stall_seconds``.
        self.flip_rate = flip_rate
        self.short_rate = short_rate
        self.stall_rate = stall_rate
        self.stall_seconds = stall_seconds
        #: flip one byte of an eligible PUT's or POST's request body before forwarding it (a body
        #: damaged on the way up; S3 would refuse it by its Content-MD5, moto stores it as sent)
        self.put_flip_rate = put_flip_rate
        #: called as ``on_forward(ProxyRequest)`` just before a request goes upstream
        #: (e.g. to rewrite an object between the ranges of one download)
        self.on_forward: Callable[[ProxyRequest], None] | None = None
        self._stopping = threading.Event()
        self.predicate = predicate
        self.skip_first = skip_first
        #: (status, S3 error code, message) answers to pick from for a failed request;
        #: e.g. ``[(403, "AccessDenied", "Access Denied")]`` for a permission test.
        self.errors = tuple(errors) if errors else tuple(_S3_ERRORS)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stats = _Stats()
        self._bind = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- predicates ----------------------------------------------------------
    @staticmethod
    def methods(*names: str) -> Callable[[ProxyRequest], bool]:
        """Predicate: only requests with one of these HTTP methods."""
        wanted = {n.upper() for n in names}
        return lambda req: req.method in wanted

    @staticmethod
    def object_requests(req: ProxyRequest) -> bool:
        """Predicate: only requests on an object key (skips bucket create/list)."""
        return bool(req.key)

    # -- counters ------------------------------------------------------------
    @property
    def requests_seen(self) -> int:
        return self._stats.requests

    @property
    def failed(self) -> int:
        return self._stats.failed

    @property
    def dropped(self) -> int:
        return self._stats.dropped

    @property
    def faults_injected(self) -> int:
        return self._stats.failed + self._stats.dropped

    @property
    def log(self) -> list:
        with self._lock:
            return list(self._stats.log)

    def reset_counters(self) -> None:
        with self._lock:
            self._stats = _Stats()

    # -- lifecycle -----------------------------------------------------------
    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("FaultProxy is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FaultProxy":
        if self._server is not None:
            return self
        server = _ProxyHTTPServer(self._bind, _ProxyHandler)
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"FaultProxy:{server.server_address[1]}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------
    def _decide(self, method: str, path: str, headers: Mapping[str, str]) -> tuple[int, str]:
        """Return (index, "ok" | "fail" | "drop") for one incoming request."""
        with self._lock:
            index = self._stats.requests
            self._stats.requests += 1
            req = ProxyRequest(method, path, headers, index)
            eligible = index >= self.skip_first and (
                self.predicate is None or self.predicate(req))
            action = "ok"
            if eligible and (self.fail_rate or self.drop_rate):
                draw = self._rng.random()
                if draw < self.fail_rate:
                    action = "fail"
                elif draw < self.fail_rate + self.drop_rate:
                    action = "drop"
            return index, action

    def _body_fault(self, method: str, path: str, headers: Mapping[str, str], index: int) -> str:
        """"flip", "short", "stall" or "" for one GET with a body."""
        with self._lock:
            req = ProxyRequest(method, path, headers, index)
            if method != "GET" or index < self.skip_first or (self.predicate is not None and not self.predicate(req)):
                return ""
            draw = self._rng.random()
            for name, rate in (("flip", self.flip_rate), ("short", self.short_rate), ("stall", self.stall_rate)):
                if draw < rate:
                    self._stats.failed += 1
                    return name
                draw -= rate
            return ""

    def _request_fault(self, method: str, path: str, headers: Mapping[str, str], index: int, body: bytes) -> bool:
        """True when this PUT's or POST's body is to be damaged on its way upstream."""
        with self._lock:
            req = ProxyRequest(method, path, headers, index)
            if (method not in ("PUT", "POST") or not body or not self.put_flip_rate or index < self.skip_first
                    or (self.predicate is not None and not self.predicate(req))):
                return False
            if self._rng.random() < self.put_flip_rate:
                self._stats.failed += 1
                return True
            return False

    def _pick_error(self) -> tuple[int, str, str]:
        with self._lock:
            return self._rng.choice(self.errors)

    def _record(self, index: int, method: str, path: str, outcome: str) -> None:
        with self._lock:
            if outcome.startswith("fail"):
                self._stats.failed += 1
            elif outcome == "drop":
                self._stats.dropped += 1
            self._stats.log.append((index, method, path, outcome))

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]],
                 body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self._up_host, self._up_port,
                                          timeout=self.upstream_timeout)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            if body or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()


class _ProxyHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive clients must not block stop()
    allow_reuse_address = True
    proxy: FaultProxy

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client gave up on a request (a cancelled part, a retry): not news
        super().handle_error(request, client_address)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real endpoint
    timeout = 30  # drop idle client connections eventually
    server: _ProxyHTTPServer

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # skip trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        proxy = self.server.proxy
        method = self.command
        body = self._read_body()
        index, action = proxy._decide(method, self.path, self.headers)

        if action == "fail":
            status, code, message = proxy._pick_error()
            proxy._record(index, method, self.path, f"fail:{status}")
            payload = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>fault-{index}</RequestId></Error>"
            ).encode()
            self.send_response_only(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            if code == "SlowDown":
                self.send_header("Retry-After", "0")
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(payload)
            return

        headers = [(k, v) for k, v in self.headers.items()
                   if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"]
        if proxy.on_forward is not None:
            proxy.on_forward(ProxyRequest(method, self.path, self.headers, index))
        if action == "ok" and proxy._request_fault(method, self.path, self.headers, index, body):
            i = len(body) // 3
            body = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1:]
            proxy._record(index, method, self.path, "put-flip")
        try:
            status, reason, resp_headers, data = proxy._forward(
                method, self.path, headers, body)
        except (OSError, http.client.HTTPException) as exc:
            proxy._record(index, method, self.path, "upstream-error")
            payload = f"upstream error: {exc!r}".encode()
            self.send_response_only(502)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return

        has_body = method != "HEAD" and status not in (204, 304) and status >= 200
        fault = proxy._body_fault(method, self.path, self.headers, index) if (
            action == "ok" and status in (200, 206) and has_body and len(data) >= 2) else ""
        if fault == "flip":
            i = len(data) // 3
            data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        elif fault == "short":
            data = data[: len(data) // 2]
        elif fault == "stall":
            self.close_connection = True
            self.send_response_only(status, reason)
            for name, value in resp_headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            proxy._stopping.wait(proxy.stall_seconds)
            proxy._record(index, method, self.path, "stall")
            return
        if fault:
            proxy._record(index, method, self.path, fault)
        if action == "drop":
            proxy._record(index, method, self.path, "drop")
            self.close_connection = True
            if not has_body or len(data) < 2:
                return  # close without answering at all
        elif not fault:
            proxy._record(index, method, self.path, "ok")

        self.send_response_only(status, reason)
        for name, value in resp_headers:
            lname = name.lower()
            if lname in _HOP_BY_HOP:
                continue
            if lname == "content-length" and has_body:
                continue  # recomputed below (upstream may have sent chunked)
            self.send_header(name, value)
        if has_body:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not has_body:
            return
        if action == "drop":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _handle
