"""Downloads from S3 that cannot be torn, damaged or stalled without being noticed.

One GET per file, read in chunks into the temporary file the caller renames
into place. Every request carries ``If-Match`` with the ETag the listing saw,
so the bytes all come from that one version of the object: when it is
rewritten mid-download the next range answers 412 and the copy fails as "the
source changed" instead of mixing two versions. A connection that drops is
resumed with a ranged GET of what is missing (same pin). A body that ends
short is a transient error (retried by the caller), never "the source
changed". Where the ETag is the object's MD5 (a single-part upload), or the
object's metadata holds the whole file's MD5 (``md5chksum``, as rclone and our
multipart uploads write it), the bytes are hashed as they arrive and compared before the caller may rename the file:
a damaged byte fails the attempt and the old version stays. No read of the
body waits longer than ``stall_timeout`` seconds for a byte.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import hashlib

from fsspec.asyn import sync

from ...exceptions import FsspeckitError, SourceChangedError, VerificationError
from .. import timeouts
from ..retry import is_transient
from ..timeouts import StallError

__all__ = ["download", "whole_file_md5", "ShortBodyError", "StallError", "RESUMES", "STALL_TIMEOUT"]

#: how many times one attempt resumes a dropped body before it gives up (the caller retries the attempt)
RESUMES = 3
#: seconds without a byte before a request counts as stalled; None: ``timeouts.TIMEOUT``
#: (rclone's --timeout, 5 minutes, unless set otherwise)
STALL_TIMEOUT: float | None = None
_CHUNK = 1 << 20


class ShortBodyError(OSError):
    """The body ended before the announced or listed length: transient, try again."""


def whole_file_md5(metadata: dict) -> str | None:
    """The whole file's MD5 (hex) that rclone's ``md5chksum`` user metadata holds (base64), if any.

    A multipart upload's ETag is no MD5 of the content, so rclone stores one in
    the object's metadata; our multipart uploads do too. A value that is not a
    base64 MD5 is ignored (the bytes are then checked by size only).
    """
    value = next((v for k, v in metadata.items() if k.lower() == "md5chksum"), None)
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def download(fs, path: str, local_path: str, *, size: int | None, etag: str | None, md5: str | None,
             on_bytes, stall_timeout: float | None = None, on_metadata=None) -> int:
    """Download ``path`` of the s3fs instance ``fs`` into ``local_path``; return the bytes written.

    ``size``/``etag``/``md5`` are what the listing said. Raises
    ``SourceChangedError`` when the object is no longer the listed version,
    ``VerificationError`` when the bytes do not hash to ``md5``,
    ``ShortBodyError``/``StallError`` (transient) when the body is cut short or stalls.
    ``on_metadata``, when given, is called with the user metadata of the GET
    answer (a dict), which holds rclone's ``mtime``: no extra request for it.
    """
    bucket, key, version = fs.split_path(path)
    if stall_timeout is None:
        stall_timeout = STALL_TIMEOUT if STALL_TIMEOUT is not None else timeouts.TIMEOUT
    stall = stall_timeout
    return sync(fs.loop, _fetch, fs, bucket, key, version, local_path, size, etag, md5, on_bytes, stall,
                on_metadata)


async def _get(fs, bucket: str, key: str, version: str | None, etag: str | None, offset: int, stall: float):
    kw = {"Bucket": bucket, "Key": key}
    if version:
        kw["VersionId"] = version
    if etag:
        kw["IfMatch"] = etag
    if offset:
        kw["Range"] = f"bytes={offset}-"
    try:
        return await asyncio.wait_for(fs._call_s3("get_object", **kw, **fs.req_kw), stall)
    except asyncio.TimeoutError:
        raise StallError(f"s3://{bucket}/{key}: no answer for {stall:g} s (stalled endpoint)") from None
    except OSError as exc:
        if etag and _is_precondition_failed(exc):
            raise SourceChangedError(
                f"s3://{bucket}/{key}: the object was rewritten since it was listed (its ETag is no longer "
                f"{etag}); it was not copied.") from None
        raise


def _is_precondition_failed(exc: BaseException) -> bool:
    text = f"{exc} {exc.__cause__ or ''}"
    return "PreconditionFailed" in text or "412" in text or "Precondition" in text or (
        isinstance(exc, OSError) and exc.errno == errno.EINVAL and "If-Match" in text)


async def _fetch(fs, bucket, key, version, local_path, size, etag, md5, on_bytes, stall, on_metadata=None) -> int:
    h = hashlib.md5() if md5 else None
    got = 0
    total = size
    resumes = 0
    with open(local_path, "wb") as f:
        while True:
            resp = await _get(fs, bucket, key, version, etag, got, stall)
            body = resp["Body"]
            if not got:
                meta = resp.get("Metadata") or {}
                if on_metadata is not None:
                    on_metadata(meta)
                if md5 is None:
                    # a multipart object's ETag is no MD5; rclone (and we) keep the whole file's in md5chksum
                    md5 = whole_file_md5(meta)
                    h = hashlib.md5() if md5 else None
            try:
                announced = resp.get("ContentLength")
                if announced is not None:
                    whole = got + int(announced)
                    if total is None:
                        total = whole
                    elif whole != total:
                        raise ShortBodyError(
                            f"s3://{bucket}/{key}: the server announced {whole} bytes for an object listed as "
                            f"{total} bytes{' with the same ETag' if etag else ''}; the response is damaged.")
                while True:
                    try:
                        chunk = await asyncio.wait_for(body.read(_CHUNK), stall)
                    except asyncio.TimeoutError:
                        raise StallError(f"s3://{bucket}/{key}: no byte for {stall:g} s after {got} bytes "
                                         "(stalled endpoint)") from None
                    if not chunk:
                        break
                    f.write(chunk)
                    if h is not None:
                        h.update(chunk)
                    got += len(chunk)
                    on_bytes(len(chunk))
            except (StallError, ShortBodyError, FsspeckitError):
                raise
            except Exception as exc:  # noqa: BLE001 - a dropped body: resume below, or give up
                if not _dropped(exc) or resumes >= RESUMES:
                    raise
            finally:
                body.close()
            if total is None or got >= total:
                break
            resumes += 1
            if resumes > RESUMES:
                raise ShortBodyError(f"s3://{bucket}/{key}: the body ended after {got} of {total} bytes "
                                     f"{RESUMES + 1} times in a row.")
    if total is not None and got != total:
        raise ShortBodyError(f"s3://{bucket}/{key}: {got} bytes arrived for an object of {total} bytes.")
    if h is not None and h.hexdigest() != md5:
        raise VerificationError(f"s3://{bucket}/{key}: the downloaded bytes hash to MD5 {h.hexdigest()}, the "
                                f"object's is {md5}; the download was damaged and was not kept.")
    return got


def _dropped(exc: BaseException) -> bool:
    """A connection that broke mid-body (worth resuming from where it stopped)."""
    return is_transient(exc)
