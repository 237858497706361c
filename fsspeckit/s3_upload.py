"""Uploads of big local files to S3, read from disk as they are sent.

s3fs reads a file below its multipart size (2 x 50 MiB) whole into memory, and
a bigger one in batches of parts held in memory twice over, waiting for the
slowest part of each batch. Here a file is never held in memory: one PUT up to
``MULTIPART_FROM`` (rclone's default upload cutoff; the object keeps an MD5
ETag later syncs can compare), and above it parts of ``PART_SIZE`` bytes,
``PARTS_IN_FLIGHT`` at a time, each request body a range of the open file.

A failed or cancelled multipart upload is aborted, so no object and no
unfinished upload is left behind. Cancelling stops the requests in flight.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
import threading

from fsspec.asyn import sync

from .exceptions import SyncCancelled

__all__ = ["upload", "MULTIPART_FROM", "PART_SIZE", "PARTS_IN_FLIGHT"]

MULTIPART_FROM = 200 * 2**20
PART_SIZE = 16 * 2**20
PARTS_IN_FLIGHT = 4
_MAX_PARTS = 10_000


class _FileRange(io.RawIOBase):
    """A byte range of an open file, read as one request body.

    botocore reads a body more than once (to hash it on a plain-http endpoint,
    again when it retries a request); progress counts the furthest byte read,
    so none is counted twice. ``on_bytes`` may raise to stop the request.
    """

    def __init__(self, source: "_Source", offset: int, length: int, on_bytes):
        super().__init__()
        self._source = source
        self._offset = offset
        self._length = length
        self._on_bytes = on_bytes
        self._pos = 0
        self._furthest = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = min(max(0, base + offset), self._length)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        left = self._length - self._pos
        n = left if size is None or size < 0 else min(size, left)
        if n <= 0:
            return b""
        data = self._source.pread(n, self._offset + self._pos)
        self._pos += len(data)
        if self._pos > self._furthest:
            step, self._furthest = self._pos - self._furthest, self._pos
            self._on_bytes(step)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Source:
    """The local file, shared by the bodies of its parts; reads after close fail.

    A request cancelled mid-body may still have a read running in aiohttp's
    thread pool; the lock makes sure it never reads a descriptor number that
    was closed and perhaps reused by another file.
    """

    def __init__(self, path: str):
        self._fd = os.open(path, os.O_RDONLY)
        self._lock = threading.Lock()

    def pread(self, n: int, offset: int) -> bytes:
        with self._lock:
            if self._fd < 0:
                raise ValueError("the upload was stopped")
            data = os.pread(self._fd, n, offset)
        if len(data) != n:
            raise OSError(f"the file is {offset + len(data)} bytes, shorter than listed: it changed during the upload")
        return data

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def part_size(size: int) -> int:
    """The part size for a multipart upload of ``size`` bytes (at most 10,000 parts)."""
    return max(PART_SIZE, -(-size // _MAX_PARTS))


def upload(fs, src_path: str, path: str, size: int, on_bytes, cancel: threading.Event | None = None) -> None:
    """Upload the local file ``src_path`` (``size`` bytes) to ``path`` on the s3fs instance ``fs``.

    ``on_bytes(n)`` is called, one call at a time, as bytes are read for
    sending. When ``cancel`` is set the requests in flight are stopped, a
    multipart upload is aborted, and ``SyncCancelled`` is raised.
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

    source = _Source(src_path)
    try:
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


async def _send(fs, source: _Source, bucket: str, key: str, size: int, on_bytes, extra: dict) -> None:
    if size < MULTIPART_FROM:
        body = _FileRange(source, 0, size, on_bytes)
        await fs._call_s3("put_object", Bucket=bucket, Key=key, Body=body, **extra)
        return
    upload_id = (await fs._call_s3("create_multipart_upload", Bucket=bucket, Key=key, **extra))["UploadId"]
    try:
        parts = await _send_parts(fs, source, bucket, key, upload_id, size, on_bytes)
        await fs._call_s3("complete_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id,
                          MultipartUpload={"Parts": parts})
    except BaseException:
        # shielded: a second cancel must not leave the upload open (and billed)
        await asyncio.shield(fs._abort_mpu(bucket, key, upload_id))
        raise


async def _send_parts(fs, source: _Source, bucket: str, key: str, upload_id: str, size: int, on_bytes) -> list[dict]:
    step = part_size(size)
    slots = asyncio.Semaphore(PARTS_IN_FLIGHT)

    async def one(number: int, offset: int) -> dict:
        async with slots:
            body = _FileRange(source, offset, min(step, size - offset), on_bytes)
            out = await fs._call_s3("upload_part", Bucket=bucket, Key=key, UploadId=upload_id,
                                    PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": out["ETag"]}

    tasks = [asyncio.ensure_future(one(n, offset)) for n, offset in enumerate(range(0, size, step), 1)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
