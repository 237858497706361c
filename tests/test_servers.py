"""Tests of the test infrastructure itself: moto, the GCS emulator, FaultProxy."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.servers import FaultProxy, S3Server

# botocore's default ("legacy", 5 attempts) is enough for real-world fault
# rates; 30 % injected errors need more headroom to be non-flaky.
RETRYING = {"retries": {"max_attempts": 10, "mode": "standard"}}


def _s3fs_via(proxy: FaultProxy, options: dict, **extra):
    import s3fs

    return s3fs.S3FileSystem(**{**options, "endpoint_url": proxy.endpoint},
                             skip_instance_cache=True, **extra)


# -- S3 (moto) ---------------------------------------------------------------

def test_s3_put_get_list(s3):
    fs = s3.fs
    assert s3.url("a/b.txt") == f"s3://{s3.bucket}/a/b.txt"
    assert s3.options == s3.server.storage_options()
    assert fs.ls(s3.bucket) == []

    fs.pipe(s3.path("a/b.txt"), b"hello")
    fs.pipe(s3.path("a/c/d.bin"), os.urandom(1000))
    fs.pipe(s3.path("top.txt"), b"")

    assert fs.cat(s3.path("a/b.txt")) == b"hello"
    assert sorted(fs.find(s3.bucket)) == [
        s3.path("a/b.txt"), s3.path("a/c/d.bin"), s3.path("top.txt")]
    assert sorted(fs.ls(s3.bucket)) == [s3.path("a"), s3.path("top.txt")]
    assert fs.info(s3.path("a/c/d.bin"))["size"] == 1000
    assert fs.info(s3.path("top.txt"))["size"] == 0

    fs.rm(s3.path("a"), recursive=True)
    assert fs.find(s3.bucket) == [s3.path("top.txt")]


def test_s3_reset_forgets_everything(s3):
    s3.fs.pipe(s3.path("x"), b"1")
    s3.server.reset()
    s3.fs.invalidate_cache()
    assert s3.bucket not in {p.rstrip("/") for p in s3.fs.ls("")}


def test_s3_server_context_manager_and_stop():
    server = S3Server()
    with server:
        assert server.running
        assert server.endpoint.startswith("http://127.0.0.1:")
    assert not server.running
    server.stop()  # idempotent


# -- GCS (emulator) ------------------------------------------------------------

def test_gcs_put_find_info_copy(gcs):
    import google_crc32c

    fs = gcs.fs
    data = b"some bytes for the emulator"
    fs.pipe(gcs.path("dir/obj.bin"), data)
    fs.pipe(gcs.path("other.txt"), b"x")

    assert sorted(fs.find(gcs.bucket)) == [gcs.path("dir/obj.bin"), gcs.path("other.txt")]
    info = fs.info(gcs.path("dir/obj.bin"))
    assert info["size"] == len(data)
    assert info["md5Hash"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    crc = google_crc32c.value(data).to_bytes(4, "big")
    assert info["crc32c"] == base64.b64encode(crc).decode()

    fs.copy(gcs.path("dir/obj.bin"), gcs.path("copy/obj.bin"))
    assert fs.cat(gcs.path("copy/obj.bin")) == data
    assert fs.info(gcs.path("copy/obj.bin"))["md5Hash"] == info["md5Hash"]
    assert gcs.url("copy/obj.bin") == f"gs://{gcs.bucket}/copy/obj.bin"


def test_gcs_reset_forgets_everything(gcs):
    gcs.fs.pipe(gcs.path("x"), b"1")
    gcs.server.reset()
    gcs.fs.invalidate_cache()
    assert gcs.fs.ls("") == []


# -- FaultProxy ----------------------------------------------------------------

class _Echo(BaseHTTPRequestHandler):
    """Upstream that answers every request with what it received."""

    protocol_version = "HTTP/1.1"
    seen: list = []

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        _Echo.seen.append((self.command, self.path, dict(self.headers), body))
        payload = b"" if self.command == "HEAD" else b"echo:" + body
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload) or 1234))
        self.send_header("X-Upstream", "yes")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle


@pytest.fixture
def echo_upstream():
    _Echo.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_proxy_forwards_methods_headers_bodies(echo_upstream):
    with FaultProxy(echo_upstream) as proxy:
        port = int(proxy.endpoint.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for method in ("GET", "PUT", "POST", "DELETE"):
            body = f"{method} body".encode() if method in ("PUT", "POST") else None
            conn.request(method, "/bkt/key?x=1", body=body,
                         headers={"Host": "signed.example:9000", "X-Amz-Foo": "bar"})
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.getheader("X-Upstream") == "yes"
            assert resp.read() == b"echo:" + (body or b"")
        conn.request("HEAD", "/bkt/key")
        resp = conn.getresponse()
        assert resp.getheader("Content-Length") == "1234"  # HEAD size passes through
        assert resp.read() == b""
        # chunked request body arrives de-chunked with a Content-Length
        conn.request("PUT", "/bkt/chunked", body=iter([b"abc", b"defg"]),
                     headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
        assert conn.getresponse().read() == b"echo:abcdefg"
        conn.close()

    methods = [m for m, *_ in _Echo.seen]
    assert methods == ["GET", "PUT", "POST", "DELETE", "HEAD", "PUT"]
    for method, path, headers, _ in _Echo.seen[:4]:
        assert headers["Host"] == "signed.example:9000"  # unchanged for SigV4
        assert headers["X-Amz-Foo"] == "bar"
        assert path == "/bkt/key?x=1"
    assert _Echo.seen[1][3] == b"PUT body"
    assert _Echo.seen[-1][3] == b"abcdefg"
    assert "Transfer-Encoding" not in _Echo.seen[-1][2]
    assert proxy.requests_seen == 6 and proxy.faults_injected == 0


def test_proxy_fail_and_drop_at_http_level(echo_upstream):
    with FaultProxy(echo_upstream, fail_rate=1.0, skip_first=1,
                    predicate=FaultProxy.methods("GET")) as proxy:
        port = int(proxy.endpoint.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/a")  # skipped: first request
        assert conn.getresponse().read() == b"echo:"
        conn.request("PUT", "/a", body=b"x")  # not eligible: method
        assert conn.getresponse().read() == b"echo:x"
        conn.request("GET", "/a")
        resp = conn.getresponse()
        assert resp.status in (500, 503)
        assert b"<Error><Code>" in resp.read()
        assert proxy.failed == 1 and proxy.requests_seen == 3

        proxy.fail_rate, proxy.drop_rate = 0.0, 1.0
        conn.request("GET", "/a", body=b"0123456789" * 10)
        resp = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
        conn.close()
        assert proxy.dropped == 1 and proxy.faults_injected == 2
        assert [o for *_, o in proxy.log][-1] == "drop"


def test_proxy_fail_rate_s3fs_still_correct(s3, fault_proxy, fast_retries):
    proxy = fault_proxy(fail_rate=0.3, seed=1234, predicate=FaultProxy.object_requests)
    fs = _s3fs_via(proxy, s3.options, config_kwargs=RETRYING)
    files = {s3.path(f"obj/{i:02d}"): os.urandom(200 + i) for i in range(30)}

    fs.pipe(files)
    got = fs.cat(list(files))

    assert got == files
    assert proxy.failed > 0
    assert proxy.requests_seen >= 60 + proxy.failed
    # the data really is on the server, checked without the proxy
    s3.fs.invalidate_cache()
    assert sorted(s3.fs.find(s3.path("obj"))) == sorted(files)


def test_proxy_dropped_get_is_never_silently_short(s3, fault_proxy):
    blobs = {s3.path(f"d/{i}"): os.urandom(64 * 1024) for i in range(8)}
    s3.fs.pipe(blobs)  # directly, no faults

    proxy = fault_proxy(drop_rate=0.3, seed=7, predicate=FaultProxy.methods("GET"))
    fs = _s3fs_via(proxy, s3.options)
    fs.retries = 3  # s3fs's own retry loop (ClientPayloadError is retryable)
    for path, data in blobs.items():
        try:
            got = fs.cat_file(path)
        except Exception:  # an error is acceptable; short data is not
            continue
        assert got == data
    assert proxy.dropped > 0

    # every GET cut: the client must raise rather than return partial bytes
    proxy.drop_rate = 1.0
    path = next(iter(blobs))
    with pytest.raises(Exception):
        fs.cat_file(path)


def test_the_s3_server_never_lists_a_wrong_etag_for_a_big_object(s3):
    """moto's lazy, unlocked ETag raced with a concurrent listing (see ``S3Server``)."""
    import hashlib
    import threading

    data = os.urandom(17 * 2**20)  # over moto's 16 MiB read step
    want = hashlib.md5(data).hexdigest()
    stop = threading.Event()

    def lister():
        while not stop.is_set():
            s3.fs.call_s3("list_objects_v2", Bucket=s3.bucket)

    threads = [threading.Thread(target=lister) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        answered = [s3.fs.call_s3("put_object", Bucket=s3.bucket, Key=f"k{i}", Body=data)["ETag"].strip('"')
                    for i in range(8)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    listed = [o["ETag"].strip('"') for o in s3.fs.call_s3("list_objects_v2", Bucket=s3.bucket)["Contents"]]
    assert answered == [want] * 8 and listed == [want] * 8
