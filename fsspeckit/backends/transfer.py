"""Transfer: copy one file between two backends, streaming, atomically, cancellably.

A local destination is written under a temporary name in the same folder and
renamed into place only when complete, then dated like its source; an object
store gets one upload that exists only once complete (a failed multipart
upload is aborted, a streamed upload is discarded); a big local file goes to
S3 read from disk as it is sent (``s3_upload``). Same-store copies use the
store's own copy (S3 CopyObject, GCS rewrite), so no bytes pass the client.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import sys
import threading
import time

import fsspec
from fsspec.callbacks import Callback
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from ..exceptions import SourceChangedError, SyncCancelled, VerificationError
from ..model.defaults import DEFAULT_CHUNK_SIZE
from ..model.entries import PARTIAL_MARK
from .gcs import check_crc32c
from .stored_times import gcs_metadata, stored_mtime_ns
from .stores import store_of

logger = logging.getLogger(__name__)

__all__ = ["copy_file", "store_copy", "SourceChangedError", "VerificationError", "same_store", "partial_name", "file_md5", "is_local"]



def is_local(fs) -> bool:
    return isinstance(fs, LocalFileSystem)


def same_store(a: fsspec.AbstractFileSystem, b: fsspec.AbstractFileSystem) -> bool:
    """True when both backends are the same store, so the store can copy by itself."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (LocalFileSystem, MemoryFileSystem)):
        return True
    try:
        return a == b  # fsspec compares instances by constructor arguments
    except Exception:  # noqa: BLE001
        return False


def partial_name(path: str) -> str:
    """The temporary name a local copy is written under, beside its final name."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name[:120]}{PARTIAL_MARK}{os.urandom(5).hex()}")


class _Guard(Callback):
    """A per-file callback: forwards bytes, stops on cancel, waits while paused."""

    def __init__(self, on_bytes, cancel: threading.Event | None, pause: threading.Event | None):
        super().__init__()
        self._on_bytes = on_bytes
        self.cancel = cancel
        self._pause = pause
        self.moved = 0

    def check(self) -> None:
        if self._pause is not None:
            while self._pause.is_set():
                if self.cancel is not None and self.cancel.is_set():
                    break
                if self._on_bytes is not None:
                    self._on_bytes(0)  # a heartbeat, so progress shows the pause
                time.sleep(0.05)
        if self.cancel is not None and self.cancel.is_set():
            raise SyncCancelled("The sync was cancelled.")

    def set_size(self, size):  # backends call this once per file
        self.size = size

    def relative_update(self, inc=1):
        self.moved += inc
        if self._on_bytes is not None and inc:
            self._on_bytes(inc)
        if self.size is not None and self.moved >= self.size:
            return  # every byte has moved: let the copy finish (and be reported) rather than abandon it
        self.check()

    def absolute_update(self, value):
        self.relative_update(value - self.moved)

    def call(self, *args, **kwargs):
        pass


def copy_file(
    src_fs: fsspec.AbstractFileSystem,
    src_path: str,
    dst_fs: fsspec.AbstractFileSystem,
    dst_path: str,
    *,
    size: int | None = None,
    mtime: float | None = None,
    on_bytes=None,
    cancel: threading.Event | None = None,
    pause: threading.Event | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    check_source: bool = True,
    etag: str | None = None,
    md5: str | None = None,
    crc32c: str | None = None,
) -> int:
    """Copy one file; return the bytes written.

    ``size``/``mtime`` are what the listing said about the source: a local
    source that differs when the copy starts or ends raises
    ``SourceChangedError`` and leaves the destination as it was. The byte count
    written is checked against the source size. ``etag`` pins an S3 source to
    the listed version; ``md5`` (hex, the source's content hash when the store
    gave one) is compared with the bytes before the copy replaces anything:
    a mismatch raises ``VerificationError`` and the old version stays.
    ``crc32c`` (base64, as GCS lists it) checks a download the same way where
    no MD5 is known (a composite GCS object has none).
    """
    guard = _Guard(on_bytes, cancel, pause)
    guard.check()
    guard.size = size
    if is_local(dst_fs):
        written = _copy_to_local(src_fs, src_path, dst_path, guard, size, mtime, chunk_size, check_source, etag, md5,
                                 crc32c)
    elif same_store(src_fs, dst_fs):
        store_copy(dst_fs, src_path, dst_path, size)
        written = size if size is not None else dst_fs.size(dst_path)
        guard.relative_update(written)
    elif is_local(src_fs):
        listed = None
        if check_source and size is not None:
            def listed(st, when):  # the open file must still be the listed one
                _check_stat(st, src_path, size, mtime, when)
        store = store_of(dst_fs)
        if store.uploads:
            written = _store_upload(store, src_path, dst_fs, dst_path, guard, size, listed)
        else:
            written = _upload(src_path, dst_fs, dst_path, guard, chunk_size, listed)
    else:
        written = _stream(src_fs, src_path, dst_fs, dst_path, guard, chunk_size, md5, size)
    if size is not None and written != size:
        if not is_local(dst_fs):
            _quiet_rm(dst_fs, dst_path)
        raise SourceChangedError(
            f"{src_path}: {written} bytes were copied but the listing said {size}; the source changed during the sync."
        )
    return written


def store_copy(fs, src_path: str, dst_path: str, size: int | None) -> None:
    """The store's own copy (S3 CopyObject, GCS rewrite, a local copy); no bytes through this process."""
    store_of(fs).server_copy(fs, src_path, dst_path, size)
    fs.invalidate_cache(dst_path)


def _is_s3(fs) -> bool:
    s3fs = sys.modules.get("s3fs")  # imported already if fs is S3
    return s3fs is not None and isinstance(fs, s3fs.S3FileSystem)


def _store_upload(store, src_path: str, dst_fs, dst_path: str, guard: _Guard, size: int | None, listed) -> int:
    """The store's own upload (S3: one PUT, or a multipart upload of checked parts)."""
    if size is None:
        size = os.path.getsize(src_path)
    guard.set_size(size)
    try:
        store.upload(dst_fs, src_path, dst_path, size, guard.relative_update, guard.cancel, listed)
    except Exception as exc:
        if guard.cancel is not None and guard.cancel.is_set() and not isinstance(exc, SyncCancelled):
            # stopped mid-request: the client reports it as a connection error
            raise SyncCancelled("The sync was cancelled.") from None
        raise
    return size


def _upload(src_path: str, dst_fs, dst_path: str, guard: _Guard, chunk_size: int, listed) -> int:
    """A local file to another store, checked against its listing before the upload is committed.

    An object store's file commits when it closes; a file that changed while
    it was read is discarded instead, so the old version stays. A memory
    store would replace the file when it is opened: it gets the bytes at once.
    """
    fd = os.open(src_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb", buffering=0) as fin:
        if listed is not None:
            listed(os.fstat(fd), "when the copy started")
        if isinstance(dst_fs, MemoryFileSystem):
            data = fin.read()
            if listed is not None:
                listed(os.fstat(fd), "during the copy")
            guard.relative_update(len(data))
            dst_fs.pipe_file(dst_path, data)
            return len(data)
        written = 0
        fdst = dst_fs.open(dst_path, "wb", block_size=max(chunk_size, 5 * 2**20), **_upload_check(dst_fs),
                           **_file_time(dst_fs, os.fstat(fd).st_mtime_ns))
        try:
            while True:
                chunk = fin.read(chunk_size)
                if not chunk:
                    break
                fdst.write(chunk)
                written += len(chunk)
                guard.relative_update(len(chunk))
            if listed is not None:
                listed(os.fstat(fd), "during the copy")
        except BaseException:
            _discard(fdst)
            raise
        _commit(fdst, dst_fs, dst_path, src_path)
    return written


def _upload_check(fs) -> dict:
    """Options that make a store compare the MD5 it reports for an upload with the bytes sent.

    gcsfs does with ``consistency="md5"`` (uploads only: a download of a
    composite object, which has no MD5, would fail with it).
    """
    gcsfs = sys.modules.get("gcsfs")
    return {"consistency": "md5"} if gcsfs is not None and isinstance(fs, gcsfs.GCSFileSystem) else {}


def _file_time(fs, mtime_ns: int) -> dict:
    """Options that store a local file's time with its GCS upload, in rclone's metadata keys."""
    gcsfs = sys.modules.get("gcsfs")
    if gcsfs is None or not isinstance(fs, gcsfs.GCSFileSystem):
        return {}
    return {"metadata": gcs_metadata(mtime_ns)}


def _commit(fdst, dst_fs, dst_path: str, src_path: str) -> None:
    """Close (commit) an upload; one the store reports stored damaged is removed, as ``VerificationError``."""
    try:
        fdst.close()
    except Exception as exc:
        if not _is_checksum_error(exc):
            raise
        _quiet_rm(dst_fs, dst_path)  # stored damaged: it must not pass for a copy on the next run
        raise VerificationError(f"{src_path}: the store reports another MD5 for the uploaded bytes than "
                                "the file's; the upload was damaged on the way and was removed.") from exc


def _is_checksum_error(exc: BaseException) -> bool:
    """gcsfs's error for an upload whose MD5, as the store reports it, is not the bytes' (``consistency="md5"``)."""
    retry = sys.modules.get("gcsfs.retry")
    return retry is not None and isinstance(exc, getattr(retry, "ChecksumError", ()))


def _one_part_at_a_time(fs) -> dict:
    """Keyword arguments that bound the memory of one big file's download.

    s3fs moves a big file in parts, ``max_concurrency`` (10) of them at once,
    all held in memory. One part at a time keeps one file under ~50 MB more
    than the process. Other backends get nothing.
    """
    backend = getattr(fs, "fs", fs)
    if not isinstance(getattr(backend, "max_concurrency", None), int):
        return {}
    return {"max_concurrency": 1}


def _check_local_source(path: str, size: int, mtime: float | None, when: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SourceChangedError(f"{path}: the source file was removed {when}.") from None
    _check_stat(st, path, size, mtime, when)


def _check_stat(st, path: str, size: int, mtime: float | None, when: str) -> None:
    if st.st_size != size or (mtime is not None and abs(st.st_mtime - mtime) > 0.002):
        raise SourceChangedError(
            f"{path}: the source file changed {when} (size {size} -> {st.st_size}); it was not copied."
        )


def _copy_to_local(src_fs, src_path, dst_path, guard, size, mtime, chunk_size, check_source, etag=None, md5=None,
                   crc32c=None) -> int:
    tmp = partial_name(dst_path)
    kept: list[int] = []  # the file time (ns) the object's metadata holds, when its GET answer said

    def got_metadata(meta: dict) -> None:
        when = stored_mtime_ns({"Metadata": meta})
        if when is not None:
            kept.append(when)

    def fetch() -> int:
        return _fetch_to_local(src_fs, src_path, tmp, guard, size, mtime, chunk_size, check_source, etag, md5,
                               crc32c, got_metadata)

    try:
        try:
            written = fetch()
        except FileNotFoundError:
            # Create the folder only when it is missing: one makedirs per file
            # costs more than the copy of a small file.
            # (another worker may have just made it: retry once either way).
            folder = os.path.dirname(dst_path)
            if not folder:
                raise
            os.makedirs(folder, exist_ok=True)
            written = fetch()
        if size is not None and written != size:
            raise SourceChangedError(
                f"{src_path}: {written} bytes arrived but the listing said {size}; the source changed during the sync."
            )
        if check_source and is_local(src_fs) and size is not None:
            _check_local_source(src_path, size, mtime, "during the copy")
        ns = kept[-1] if kept else (int(round(mtime * 1e9)) if mtime is not None else None)
        if ns is not None:
            os.utime(tmp, ns=(ns, ns))
        os.replace(tmp, dst_path)
        return written
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fetch_to_local(src_fs, src_path: str, tmp: str, guard: _Guard, size, mtime, chunk_size: int, check_source: bool,
                    etag, md5, crc32c, on_metadata) -> int:
    """Read ``src_path`` into the local temporary file ``tmp`` and check its bytes; the bytes written."""
    if is_local(src_fs):
        expect = (size, mtime) if check_source and size is not None else None
        n = _local_to_local(src_path, tmp, guard, chunk_size, expect)
        if md5 is not None:
            _check_md5(tmp, md5, src_path)
        return n
    # A remote read opens the request before the local file: into a missing
    # folder it would fail after the GET, and the retry repeats the GET
    # (one wasted request per new folder). A stat is cheaper than that.
    folder = os.path.dirname(tmp)
    if folder and not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)
    store = store_of(src_fs)
    if store.downloads:
        return store.download(src_fs, src_path, tmp, size, etag, md5, guard.relative_update, on_metadata)
    src_fs.get_file(src_path, tmp, callback=guard, **_one_part_at_a_time(src_fs))
    n = os.path.getsize(tmp)
    if not guard.moved:
        guard.relative_update(n)
    if md5 is not None:
        _check_md5(tmp, md5, src_path)  # the store gave a hash: the bytes must match it before the rename
    elif crc32c is not None:
        check_crc32c(tmp, crc32c, src_path)
    return n


_COPY_FILE_RANGE = getattr(os, "copy_file_range", None)


def _local_to_local(src: str, dst: str, guard: _Guard, chunk_size: int, expect=None) -> int:
    """Copy in the kernel on raw descriptors: no Python buffers, few system calls.

    ``expect`` = (size, mtime) from the listing is checked on the open source,
    so a file changed since the listing is refused before a byte is written.
    """
    fin = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if expect is not None:
            _check_stat(os.fstat(fin), src, expect[0], expect[1], "when the copy started")
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            return _kernel_copy(fin, fout, guard, chunk_size)
        finally:
            os.close(fout)
    finally:
        os.close(fin)


_KERNEL_REFUSALS = (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV, errno.EBADF, errno.EPERM)


def _kernel_copy(fin: int, fout: int, guard: _Guard, chunk_size: int) -> int:
    """Let the kernel copy, in chunks (a cancel point between chunks).

    copy_file_range(2) first: on copy-on-write filesystems (btrfs, XFS) it
    shares the blocks instead of copying them, and NFS copies on the server.
    Where it is refused (another filesystem, an old kernel), or copies nothing
    from a non-empty file, sendfile(2); plain reads where neither works.
    """
    steps = [lambda done: os.sendfile(fout, fin, done, chunk_size)]
    if _COPY_FILE_RANGE is not None:
        steps.insert(0, lambda done: _COPY_FILE_RANGE(fin, fout, chunk_size))
    written = 0
    for i, step in enumerate(steps):
        try:
            while True:
                n = step(written)
                if n == 0:
                    break
                written += n
                guard.relative_update(n)
        except OSError as exc:
            if written or exc.errno not in _KERNEL_REFUSALS:
                raise
            continue  # refused before a byte moved: the next way
        if written or i == len(steps) - 1:
            return written  # (sendfile's 0 is an empty file; copy_file_range's may be a refusal)
    while True:
        chunk = os.read(fin, min(chunk_size, 1 << 20))
        if not chunk:
            return written
        view = memoryview(chunk)
        while view:
            k = os.write(fout, view)
            view = view[k:]
        written += len(chunk)
        guard.relative_update(len(chunk))


def _stream(src_fs, src_path, dst_fs, dst_path, guard: _Guard, chunk_size: int, md5: str | None = None,
            size: int | None = None) -> int:
    """Copy between two different non-local stores in bounded memory.

    The upload is committed when the file closes; with ``md5`` the bytes are
    hashed as they pass, and a mismatch, or a byte count other than the
    listed ``size``, discards the upload instead.
    """
    written = 0
    h = hashlib.md5() if md5 else None
    with src_fs.open(src_path, "rb", block_size=chunk_size) as fsrc:
        fdst = dst_fs.open(dst_path, "wb", block_size=max(chunk_size, 5 * 2**20), **_upload_check(dst_fs))
        try:
            while True:
                chunk = fsrc.read(chunk_size)
                if not chunk:
                    break
                if h is not None:
                    h.update(chunk)
                fdst.write(chunk)
                written += len(chunk)
                guard.relative_update(len(chunk))
            if h is not None and h.hexdigest() != md5:
                raise VerificationError(f"{src_path}: the bytes read hash to MD5 {h.hexdigest()}, the source's is "
                                        f"{md5}; the copy was damaged and was not committed.")
            if size is not None and written != size:
                raise SourceChangedError(f"{src_path}: {written} bytes were read but the listing said {size}; "
                                         "the source changed during the sync, and the copy was not committed.")
        except BaseException:
            _discard(fdst)
            raise
        _commit(fdst, dst_fs, dst_path, src_path)
    return written


def _check_md5(path: str, expected: str, src_path: str) -> None:
    """The local file ``path`` must hash to ``expected`` (hex MD5), or ``VerificationError``."""
    got = file_md5(LocalFileSystem(), path)
    if got != expected:
        raise VerificationError(f"{src_path}: the copied bytes hash to MD5 {got}, the source's is {expected}; "
                                "the copy was damaged and was not kept.")


def _discard(f) -> None:
    """Throw away a half-written upload so no partial object appears."""
    try:
        f.discard()
    except Exception:  # noqa: BLE001
        logger.debug("discarding an upload failed", exc_info=True)
    try:
        f.closed = True  # prevent close() from committing what was buffered
    except Exception:  # noqa: BLE001
        pass


def _quiet_rm(fs, path) -> None:
    try:
        fs.rm_file(path)
    except Exception:  # noqa: BLE001
        logger.debug("could not remove %s", path, exc_info=True)


def file_md5(fs, path: str, chunk_size: int = DEFAULT_CHUNK_SIZE, cancel: threading.Event | None = None) -> str:
    """MD5 of a file's content, streamed in chunks (plain ``open`` for local files)."""
    h = hashlib.md5()
    opened = open(path, "rb") if is_local(fs) else fs.open(path, "rb", block_size=chunk_size)
    with opened as f:
        while True:
            if cancel is not None and cancel.is_set():
                raise SyncCancelled("The sync was cancelled.")
            chunk = f.read(chunk_size)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()
