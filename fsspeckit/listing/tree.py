"""Listing: one recursive listing per side, as entries keyed by relative POSIX path.

This is the only I/O a plan needs. Each ``Entry`` has the size, the modification
time and the checksum the listing already carried (S3 single-part ETag = MD5, GCS
``md5Hash``/``crc32c``); nothing is hashed here unless asked for. Local folders
are scanned with ``scandir``; object stores list through their backend
(``backends.s3.listing`` on S3). Keys that map to no safe path are skipped and
reported, never joined.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import stat as stat_module
import time
from typing import Callable

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..backends.filesystem import unwrap
from ..backends.retry import is_transient, retry_call
from ..backends.stored_times import stored_mtime
from ..backends.stores import store_of
from ..exceptions import DestinationError, SourceError, SourceNotFoundError, describe_error
from ..model.entries import PARTIAL_MARK, Entry, Listing, is_partial_name, rel_key
from ..model.gcpause import gc_paused
from ..model.paths import unsafe_reason
from ..model.times import entry_mtime

logger = logging.getLogger(__name__)

__all__ = ["PROGRESS_INTERVAL", "entry_from_info", "list_tree"]


def _protocol_name(fs: fsspec.AbstractFileSystem) -> str:
    proto = fs.protocol
    return proto if isinstance(proto, str) else proto[0]


def _md5_from_etag(etag: str | None) -> str | None:
    if not etag:
        return None
    tag = etag.strip('"').lower()
    if "-" in tag or len(tag) != 32:
        return None  # multipart or not an MD5
    try:
        int(tag, 16)
    except ValueError:
        return None
    return tag


def _md5_from_b64(value: str | None) -> str | None:
    if not value:
        return None
    try:
        raw = base64.b64decode(value)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def entry_from_info(rel: str, info: dict) -> Entry:
    """Build an ``Entry`` from a backend's ``info()``/``find(detail=True)`` dict."""
    when = entry_mtime(info)
    mtime = when.timestamp() if when is not None else None
    kept = stored_mtime(info)
    etag = info.get("ETag") or info.get("etag") or info.get("e_tag")
    md5 = None
    crc = info.get("crc32c")
    if "md5Hash" in info:
        md5 = _md5_from_b64(info.get("md5Hash"))
    elif "ETag" in info:
        # S3: an ETag is the MD5 only for single-part uploads without SSE-KMS/C.
        sse = info.get("ServerSideEncryption") or ""
        if "kms" not in str(sse).lower() and not info.get("SSECustomerAlgorithm"):
            md5 = _md5_from_etag(info.get("ETag"))
    elif isinstance(info.get("content_settings"), dict) and info["content_settings"].get("content_md5"):
        md5 = bytes(info["content_settings"]["content_md5"]).hex()  # pragma: no cover - azure
    if kept is not None:
        return Entry(rel, int(info.get("size") or 0), kept, md5, crc, str(etag) if etag else None, stored=True)
    return Entry(rel, int(info.get("size") or 0), mtime, md5, crc, str(etag) if etag else None)


#: Where the platform can stat a name relative to an open folder (POSIX), the scan does.
_AT_CALLS = os.stat in os.supports_dir_fd and os.scandir in os.supports_fd


def _scan_local(root: str, listing: Listing, progress: Callable[[int], None] | None = None) -> None:
    """Walk a local folder: one ``scandir`` per folder and one ``stat`` per file.

    On POSIX each folder is opened once and its files are stat'ed by name
    relative to it (``fstatat``), so the kernel does not resolve the full path
    again for every file (10k files in 336 folders on tmpfs: 24 ms instead of
    31 ms by full paths, median of 15). Symbolic links are followed; a folder reached twice (a link loop)
    is listed once.
    """
    if not _AT_CALLS:  # pragma: no cover - Windows
        _scan_local_paths(root, listing)
        return
    tick = _ticker(progress)
    entries = listing.entries
    is_reg = stat_module.S_ISREG
    mark = PARTIAL_MARK
    make = Entry
    stat = os.stat
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    seen: set[tuple[int, int]] = set()
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        try:
            fd = os.open(folder, flags)
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed (or replaced by a file) since its parent was listed
        except PermissionError as exc:
            raise SourceError(f"Permission denied while listing {folder}: {exc.strerror}.") from exc
        try:
            here = os.fstat(fd)
            if (here.st_dev, here.st_ino) in seen:
                logger.warning("not listing %s again: a symbolic link leads back to a folder already listed", folder)
                continue
            seen.add((here.st_dev, here.st_ino))
            base = folder if folder.endswith("/") else folder + "/"
            with os.scandir(fd) as it:
                for d in it:
                    name = d.name
                    try:
                        if d.is_dir():
                            stack.append((prefix + name + "/", base + name))
                            continue
                        st = stat(name, dir_fd=fd)
                    except FileNotFoundError:
                        continue  # vanished or broken symlink
                    if not is_reg(st.st_mode):
                        continue
                    if mark in name and is_partial_name(name):
                        listing.partials.append(base + name)
                        continue
                    rel = prefix + name
                    entries[rel] = make(rel, st.st_size, st.st_mtime, None, None, None, st.st_ctime)
        finally:
            os.close(fd)
        if tick is not None:
            tick(len(entries))


def _scan_local_paths(root: str, listing: Listing) -> None:  # pragma: no cover - Windows
    """The same walk by full paths, where folders cannot be opened as descriptors."""
    entries = listing.entries
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        try:
            it = os.scandir(folder)
        except FileNotFoundError:
            continue
        except PermissionError as exc:
            raise SourceError(f"Permission denied while listing {folder}: {exc.strerror}.") from exc
        with it:
            for d in it:
                name = d.name
                rel = prefix + name
                try:
                    if d.is_dir():
                        stack.append((rel + "/", d.path))
                        continue
                    st = d.stat()
                except FileNotFoundError:
                    continue
                if not stat_module.S_ISREG(st.st_mode):
                    continue
                if PARTIAL_MARK in name and is_partial_name(name):
                    listing.partials.append(d.path)
                    continue
                entries[rel] = Entry(rel, st.st_size, st.st_mtime, ctime=st.st_ctime)


def _worth_relisting(exc: BaseException) -> bool:
    # The backend already retried a refused connection; a dead endpoint stays dead.
    return is_transient(exc) and "Could not connect" not in str(exc)


def _missing_bucket_message(fs, root: str) -> str | None:
    """For object stores, tell a missing bucket apart from an empty prefix."""
    bucket = root.split("/", 1)[0]
    if not bucket or bucket == root and not root:
        return None
    try:
        if not fs.exists(bucket):
            return f"The bucket '{bucket}' does not exist (or these credentials cannot see it)."
    except PermissionError as exc:
        return f"Access to the bucket '{bucket}' was denied: {exc}."
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        return f"The bucket '{bucket}' could not be checked: {exc}."
    return None


#: Seconds between two calls of a listing's ``progress`` callback.
PROGRESS_INTERVAL = 0.25


def _ticker(progress: Callable[[int], None] | None) -> Callable[[int], None] | None:
    """``progress`` called with the number of files found so far, at most every ``PROGRESS_INTERVAL`` s."""
    if progress is None:
        return None
    last = [float("-inf")]

    def tick(found: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            try:
                progress(found)
            except Exception:  # noqa: BLE001 - a drawing error must not stop a listing
                logger.debug("listing progress callback failed", exc_info=True)

    return tick


def list_tree(fs: fsspec.AbstractFileSystem, path: str = "", *, role: str = "source", retries: int = 3,
              progress: Callable[[int], None] | None = None) -> Listing:
    """List every file under ``path`` on ``fs``, recursively, in one listing call.

    ``role`` ("source" or "destination") only shapes error messages. A missing
    root gives a ``Listing`` with ``exists=False`` and no entries; the caller
    decides whether that is an error. A missing bucket, denied access or bad
    credentials raise ``SourceError``/``DestinationError`` with one clear sentence.
    ``progress``, when given, is called with the number of files found so far
    (about 4 times a second) where the backend lists in steps: local folders and
    S3 pages; other stores list in one call and report nothing until done.
    """
    backend, root = unwrap(fs, path)
    protocol = _protocol_name(backend)
    local = isinstance(backend, LocalFileSystem)
    listing = Listing(root=root, protocol=protocol, upload_times=not local)
    error_cls = SourceError if role == "source" else DestinationError
    if local:
        if not os.path.exists(root):
            listing.exists = False
            return listing
        if not os.path.isdir(root):
            raise error_cls(f"The {role} {root} is a file, not a folder; give the folder that holds it.")
        with gc_paused():
            _scan_local(root, listing, progress)
        return listing
    try:
        tick = _ticker(progress)
        store = store_of(backend)
        found, _ = retry_call(lambda: store.find(backend, root, tick), retries=retries, backoff=0.5,
                              transient=_worth_relisting)
    except FileNotFoundError:
        msg = _missing_bucket_message(backend, root)
        if msg:
            raise (SourceNotFoundError if role == "source" else DestinationError)(msg) from None
        listing.exists = False
        return listing
    except PermissionError as exc:
        raise error_cls(f"Access denied while listing the {role} {protocol}://{root}: {describe_error(exc)}") from exc
    except Exception as exc:  # noqa: BLE001 - every backend error becomes one sentence
        raise error_cls(f"Could not list the {role} {protocol}://{root}: {describe_error(exc)}") from exc
    if not found:
        # An object store has no empty folders: an empty prefix is as good as missing.
        msg = _missing_bucket_message(backend, root)
        if msg:
            raise (SourceNotFoundError if role == "source" else DestinationError)(msg)
        listing.exists = False
        return listing
    if len(found) == 1 and root in found and not root.endswith("/"):
        raise error_cls(f"The {role} {protocol}://{root} is a file, not a folder; give the folder that holds it.")
    entries = listing.entries
    for name, info in found.items():
        if info.get("type", "file") != "file":
            continue
        rel = rel_key(root, name)
        if name.endswith("/"):
            listing.skipped[rel] = "folder marker (zero-byte key ending in '/')"
            continue
        why = unsafe_reason(rel)
        if why:
            listing.skipped[rel] = f"key maps to no safe file path: {why}"
            continue
        if PARTIAL_MARK in rel and is_partial_name(rel):
            listing.partials.append(name)
            continue
        entries[rel] = entry_from_info(rel, info)
    return listing
