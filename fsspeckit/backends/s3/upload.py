"""Uploads of local files to S3: verified, never torn, never replacing the object with a changed file.

A file below ``STREAM_FROM`` is read into memory once and sent in one PUT. A
bigger one is never held in memory: one PUT up to ``MULTIPART_FROM`` (rclone's
default upload cutoff; the object keeps an MD5 ETag later syncs can compare),
and above it parts of ``PART_SIZE`` bytes, ``PARTS_IN_FLIGHT`` at a time, each
request body a range of the open file. (s3fs reads a file below 100 MiB whole
into memory, and a bigger one in batches of parts held in memory twice over.)

Every request carries the MD5 of its body (``Content-MD5``: S3 refuses a body
that does not match it, so a damaged upload never replaces the object) and
its ETag is compared with that MD5 (for a server that does not check). The
local file is checked against its listing (size and time, on the open
descriptor) when it is opened, after it was read and before the last byte of
a PUT or the completion of a multipart upload: a file that changed on the
way fails with ``SourceChangedError`` before the object is replaced, so the
old version stays.

A failed or cancelled multipart upload is aborted, so no object and no
unfinished upload is left behind. Cancelling stops the requests in flight.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
import mimetypes
import os
import threading

from fsspec.asyn import sync

from ...exceptions import SourceChangedError, SyncCancelled, UploadStoppedError, VerificationError
from .. import uploads

logger = logging.getLogger(__name__)

__all__ = ["upload", "STREAM_FROM", "MULTIPART_FROM", "PART_SIZE", "PARTS_IN_FLIGHT"]

#: a smaller file is read into memory and sent in one PUT: streaming costs more
#: per file than the memory it saves (200 x 1 MiB to moto: 1.33 s streamed,
#: 1.23 s read whole, median of 5)
STREAM_FROM = 8 * 2**20
MULTIPART_FROM = 200 * 2**20
PART_SIZE = 16 * 2**20
PARTS_IN_FLIGHT = 4
_MAX_PARTS = 10_000
_HASH_STEP = 4 * 2**20
#: a part the server stored damaged is sent again (it replaces the damaged one), up to this many times
_PART_ATTEMPTS = 3


class _FileRange(io.RawIOBase):
    """A byte range of an open file, read as one request body.

    botocore reads a body more than once (to hash it on a plain-http endpoint,
    again when it retries a request); progress counts the furthest byte read
    in the current pass, and a seek back to the start takes back what the
    pass before counted, so no byte is counted twice and the count follows
    the pass that goes on the wire. ``on_bytes`` may raise to stop the request.
    Reads and seeks hold one lock, so a read left running by an abandoned
    attempt cannot move the position under the next attempt. With ``last``,
    the source is checked against its listing before the final bytes are
    handed out: a changed file stops the request before the body is complete.
    """

    def __init__(self, source: "_Source", offset: int, length: int, on_bytes, last: bool = False):
        super().__init__()
        self._source = source
        self._offset = offset
        self._length = length
        self._on_bytes = on_bytes
        self._last = last
        self._pos = 0
        self._furthest = 0
        self._lock = threading.Lock()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        with self._lock:
            base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
            self._pos = min(max(0, base + offset), self._length)
            taken_back = 0
            if self._pos == 0 and self._furthest:
                # back to the start: the pass before was botocore hashing the body (or an
                # attempt that failed); progress follows the pass that goes on the wire
                taken_back, self._furthest = self._furthest, 0
            pos = self._pos
        if taken_back:
            self._on_bytes(-taken_back)
        return pos

    def read(self, size: int = -1) -> bytes:
        with self._lock:
            left = self._length - self._pos
            n = left if size is None or size < 0 else min(size, left)
            if n <= 0:
                return b""
            data = self._source.pread(n, self._offset + self._pos)
            if self._last and n == left:
                self._source.unchanged("during the upload")
            self._pos += len(data)
            step = self._pos - self._furthest
            if step > 0:
                self._furthest = self._pos
        if step > 0:
            self._on_bytes(step)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Source:
    """The local file, shared by the bodies of its parts; reads after close fail.

    ``check(stat_result, when)`` raises when the file is no longer the listed
    one; it runs on the open descriptor when the file is opened and whenever
    ``unchanged`` is called.

    A request cancelled mid-body may still have a read running in aiohttp's
    thread pool; the lock makes sure it never reads a descriptor number that
    was closed and perhaps reused by another file.
    """

    def __init__(self, path: str, check=None):
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._lock = threading.Lock()
        self._check = check
        self.mtime_ns = os.fstat(self._fd).st_mtime_ns
        try:
            self.unchanged("when the copy started")
        except BaseException:
            self.close()
            raise

    def unchanged(self, when: str) -> None:
        if self._check is not None:
            with self._lock:
                if self._fd < 0:
                    raise UploadStoppedError("the upload was stopped")
                st = os.fstat(self._fd)
            self._check(st, when)

    def pread(self, n: int, offset: int) -> bytes:
        with self._lock:
            if self._fd < 0:
                raise UploadStoppedError("the upload was stopped")
            data = os.pread(self._fd, n, offset)
        if len(data) != n:
            raise SourceChangedError(f"the file is {offset + len(data)} bytes, shorter than listed: "
                                     "it changed during the upload")
        return data

    def md5(self, offset: int, length: int) -> "hashlib._Hash":
        """The MD5 of a range, read in steps (run in a thread: it must not block the event loop)."""
        h = hashlib.md5()
        for at in range(offset, offset + length, _HASH_STEP):
            h.update(self.pread(min(_HASH_STEP, offset + length - at), at))
        return h

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def part_size(size: int) -> int:
    """The part size for a multipart upload of ``size`` bytes (at most 10,000 parts)."""
    return max(PART_SIZE, -(-size // _MAX_PARTS))


def rclone_mtime(ns: int) -> str:
    """A modification time (in ns) as rclone stores it in S3 user metadata ``mtime``: seconds with nanoseconds."""
    return f"{ns // 10**9}.{ns % 10**9:09d}"


def upload(fs, src_path: str, path: str, size: int, on_bytes, cancel: threading.Event | None = None,
           check=None) -> None:
    """Upload the local file ``src_path`` (``size`` bytes) to ``path`` on the s3fs instance ``fs``.

    ``on_bytes(n)`` is called, one call at a time, as bytes are read for
    sending. When ``cancel`` is set the requests in flight are stopped, a
    multipart upload is aborted, and ``SyncCancelled`` is raised.
    ``check(stat_result, when)`` raises (``SourceChangedError``) when the
    local file no longer matches its listing; it is called before anything
    could replace the object. A body the server stored with another MD5
    raises ``VerificationError`` (and a damaged object is removed).
    The file's modification time is stored as rclone stores it, so rclone and later runs can tell the file's time from
    the upload's.
    """
    bucket, key, _ = fs.split_path(path)
    extra = {}
    content_type, _ = mimetypes.guess_type(src_path)
    if content_type is not None:
        extra["ContentType"] = content_type
    lock = threading.Lock()

    def report(n: int) -> None:  # parts are read on several threads at once
        with lock:
            on_bytes(n)

    source = _Source(src_path, check)
    # the open file's own time, to the nanosecond (it was just checked to be the listed one)
    extra["Metadata"] = {"mtime": rclone_mtime(source.mtime_ns)}
    try:
        if size < STREAM_FROM:
            # one short request: stopped half-way it might still land while we report it stopped
            if cancel is not None and cancel.is_set():
                raise SyncCancelled("The sync was cancelled.")
            sync(fs.loop, _send, fs, source, bucket, key, size, report, extra)
        else:
            sync(fs.loop, _until_cancelled, _send(fs, source, bucket, key, size, report, extra), cancel)
    finally:
        source.close()
        fs.invalidate_cache(path)


async def _until_cancelled(work, cancel: threading.Event | None):
    """Run ``work``; cancel it (once) when ``cancel`` is set, and raise ``SyncCancelled``.

    (fsspec's ``sync`` would return None for an ``asyncio.CancelledError``,
    as if the upload had succeeded.)
    """
    task = asyncio.ensure_future(work)
    while cancel is not None and not task.done():
        await asyncio.wait([task], timeout=0.05)
        if cancel.is_set() and not task.done():
            task.cancel()
            break
    try:
        return await task
    except asyncio.CancelledError:
        raise SyncCancelled("The sync was cancelled.") from None


def _content_md5(h) -> str:
    return base64.b64encode(h.digest()).decode("ascii")


def _stored_md5(out: dict) -> str | None:
    """The MD5 the server says it stored, from a PUT or UploadPart answer (None when the ETag is no MD5)."""
    if out.get("SSECustomerAlgorithm") or str(out.get("ServerSideEncryption", "")).startswith("aws:kms"):
        return None  # encrypted with a key: the ETag is not the content's MD5
    etag = str(out.get("ETag", "")).strip('"').lower()
    if len(etag) == 32 and all(c in "0123456789abcdef" for c in etag):
        return etag
    return None


def _damaged(what: str, sent: str, stored: str) -> VerificationError:
    return VerificationError(f"{what}: the server stored bytes with MD5 {stored}, the file's is {sent}; "
                             "the upload was damaged on the way.")


async def _hash(source: _Source, offset: int, length: int):
    return await asyncio.get_running_loop().run_in_executor(None, source.md5, offset, length)


async def _send(fs, source: _Source, bucket: str, key: str, size: int, on_bytes, extra: dict) -> None:
    if size >= MULTIPART_FROM:
        await _send_multipart(fs, source, bucket, key, size, on_bytes, extra)
        return
    if size < STREAM_FROM:
        body = source.pread(size, 0) if size else b""
        source.unchanged("while it was read")
        h = hashlib.md5(body)
    else:
        h = await _hash(source, 0, size)
        source.unchanged("while it was read")
        body = _FileRange(source, 0, size, on_bytes, last=True)
    try:
        out = await fs._call_s3("put_object", Bucket=bucket, Key=key, Body=body, ContentMD5=_content_md5(h),
                                **extra)
    except asyncio.CancelledError:
        # stopped after the whole body went out, the object may have landed: then it is copied
        if await asyncio.shield(_landed(fs, bucket, key, h.hexdigest())):
            return
        raise
    stored = _stored_md5(out)
    if stored is not None and stored != h.hexdigest():
        # the server kept a damaged object: it must not pass for a copy on the next run
        try:
            await fs._call_s3("delete_object", Bucket=bucket, Key=key)
        except Exception:  # noqa: BLE001 - the error below says what happened
            pass
        source.unchanged("during the upload")  # a changed file, rather than a damaged body?
        raise _damaged(f"s3://{bucket}/{key}", h.hexdigest(), stored)
    if isinstance(body, bytes):
        on_bytes(size)


async def _landed(fs, bucket: str, key: str, md5: str) -> bool:
    try:
        return _stored_md5(await fs._call_s3("head_object", Bucket=bucket, Key=key)) == md5
    except Exception:  # noqa: BLE001 - not there, or not known: not landed
        return False


async def _send_multipart(fs, source: _Source, bucket: str, key: str, size: int, on_bytes, extra: dict) -> None:
    # A multipart ETag is no MD5 of the file: keep the whole file's, as rclone does (md5chksum,
    # base64), so a later download or `rclone check` can verify the bytes. One more read of the file.
    whole = await _hash(source, 0, size)
    source.unchanged("while it was hashed")
    extra = dict(extra, Metadata={**extra.get("Metadata", {}), "md5chksum": _content_md5(whole)})
    upload_id = (await fs._call_s3("create_multipart_upload", Bucket=bucket, Key=key, **extra))["UploadId"]
    uploads.opened(fs, bucket, key, upload_id)  # so a run killed from here on has it aborted by the next
    try:
        parts = await _send_parts(fs, source, bucket, key, upload_id, size, on_bytes)
        source.unchanged("during the upload")  # the last moment the old object can still be kept
        await fs._call_s3("complete_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id,
                          MultipartUpload={"Parts": parts})
    except BaseException:
        # shielded: a second cancel must not leave the upload open (and billed)
        await asyncio.shield(_abort(fs, bucket, key, upload_id))
        raise
    uploads.closed(upload_id)


async def _abort(fs, bucket: str, key: str, upload_id: str) -> None:
    try:
        await fs._call_s3("abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - left in the journal: the next run aborts it
        logger.warning("could not abort the upload of s3://%s/%s (the next run will): %s", bucket, key, exc)
        return
    uploads.closed(upload_id)


async def _send_parts(fs, source: _Source, bucket: str, key: str, upload_id: str, size: int, on_bytes) -> list[dict]:
    step = part_size(size)
    slots = asyncio.Semaphore(PARTS_IN_FLIGHT)

    async def one(number: int, offset: int) -> dict:
        async with slots:
            length = min(step, size - offset)
            h = await _hash(source, offset, length)
            body = _FileRange(source, offset, length, on_bytes)
            for attempt in range(1, _PART_ATTEMPTS + 1):
                body.seek(0)
                out = await fs._call_s3("upload_part", Bucket=bucket, Key=key, UploadId=upload_id,
                                        PartNumber=number, Body=body, ContentMD5=_content_md5(h))
                stored = _stored_md5(out)
                if stored is None or stored == h.hexdigest():
                    return {"PartNumber": number, "ETag": out["ETag"]}
                source.unchanged("during the upload")  # a changed file, rather than a damaged body?
                if attempt == _PART_ATTEMPTS:
                    raise _damaged(f"s3://{bucket}/{key} part {number}", h.hexdigest(), stored)

    tasks = [asyncio.ensure_future(one(n, offset)) for n, offset in enumerate(range(0, size, step), 1)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
