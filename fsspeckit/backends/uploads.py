"""A journal of the multipart uploads we open, so none is left open (and billed) by a killed run.

S3 keeps the parts of an upload that was neither completed nor aborted, and
bills them, until someone aborts it. A run killed with SIGKILL cannot abort
its own; the next run can, if it knows which ones are ours: listing the open
uploads of a prefix also shows other tools' uploads in progress, and those
must not be touched. So each upload we create is written down (endpoint,
bucket, key, upload id, process, host) in a journal kept in the user's data
folder, and struck out when it completes or is aborted. Before a run writes
under a destination, it aborts the journal's uploads under that destination
whose process is gone, and says how many.

The journal is ``$FSKIT_DATA_DIR/multipart-uploads.jsonl`` (default
``$XDG_DATA_HOME/fsspeckit``, i.e. ``~/.local/share/fsspeckit``): one JSON
line per event, appended (small appends to one file are atomic), so runs in
parallel share it safely; damaged lines are skipped.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

from fsspec.asyn import sync

logger = logging.getLogger(__name__)

__all__ = ["journal_path", "opened", "closed", "abort_stale", "endpoint_of"]

DATA_ENV = "FSKIT_DATA_DIR"
_lock = threading.Lock()


def journal_path() -> Path:
    explicit = os.environ.get(DATA_ENV)
    if explicit:
        return Path(explicit).expanduser() / "multipart-uploads.jsonl"
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "fsspeckit" / "multipart-uploads.jsonl"


def endpoint_of(fs) -> str:
    """The S3 endpoint an s3fs instance talks to ("aws" for AWS itself)."""
    url = getattr(fs, "endpoint_url", None) or (getattr(fs, "client_kwargs", None) or {}).get("endpoint_url")
    return str(url or "aws").rstrip("/")


def _append(record: dict) -> None:
    path = journal_path()
    line = json.dumps(record, separators=(",", ":")) + "\n"
    try:
        with _lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
    except OSError as exc:  # the upload itself must not fail for want of a journal
        logger.warning("could not write the upload journal %s: %s", path, exc)


def opened(fs, bucket: str, key: str, upload_id: str) -> None:
    _append({"op": "open", "endpoint": endpoint_of(fs), "bucket": bucket, "key": key, "id": upload_id,
             "pid": os.getpid(), "host": socket.gethostname(), "t": round(time.time(), 3)})


def closed(upload_id: str) -> None:
    _append({"op": "done", "id": upload_id})


def _open_entries() -> list[dict]:
    path = journal_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        logger.warning("could not read the upload journal %s: %s", path, exc)
        return []
    entries: dict[str, dict] = {}
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line torn by a kill: skip it
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            continue
        if rec.get("op") == "open" and all(isinstance(rec.get(k), str) for k in ("endpoint", "bucket", "key")):
            entries[rec["id"]] = rec
        elif rec.get("op") == "done":
            entries.pop(rec["id"], None)
    return list(entries.values())


def _alive(rec: dict) -> bool:
    """True when the process that opened the upload may still be running it."""
    if rec.get("host") != socket.gethostname():
        return True  # another machine's: not ours to judge
    pid = rec.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abort_stale(fs, root: str) -> int:
    """Abort the unfinished uploads of dead runs under ``root`` (``bucket/prefix``); return how many.

    The journal's entries are matched by bucket and key, then confirmed by the
    store's own list of open uploads (upload ids are unique), so the same
    store reached under another URL is cleaned too and nothing else is
    touched. No request is made when the journal has nothing for ``root``.
    """
    bucket, _, prefix = root.strip("/").partition("/")
    under = prefix.rstrip("/") + "/" if prefix else ""
    stale = {r["id"]: r for r in _open_entries()
             if r["bucket"] == bucket and (not under or r["key"] == prefix or r["key"].startswith(under))
             and not _alive(r)}
    if not stale:
        return 0
    try:
        listed = sync(fs.loop, _open_upload_ids, fs, bucket, under)
    except Exception as exc:  # noqa: BLE001 - try again next run
        logger.warning("could not list the unfinished uploads under %s: %s", root, exc)
        return 0
    aborted = 0
    for upload_id, rec in stale.items():
        if upload_id not in listed:
            if rec["endpoint"] == endpoint_of(fs):
                closed(upload_id)  # gone from this store already (completed, aborted, expired)
            continue
        try:
            sync(fs.loop, fs._call_s3, "abort_multipart_upload", Bucket=bucket, Key=rec["key"], UploadId=upload_id)
        except FileNotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001 - try again next run
            logger.warning("could not abort the unfinished upload of %s/%s: %s", bucket, rec["key"], exc)
            continue
        else:
            aborted += 1
        closed(upload_id)
    if aborted:
        logger.warning("aborted %d unfinished multipart upload%s left by an interrupted run",
                       aborted, "" if aborted == 1 else "s")
    _compact()
    return aborted


async def _open_upload_ids(fs, bucket: str, prefix: str) -> set[str]:
    ids: set[str] = set()
    kwargs = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = await fs._call_s3("list_multipart_uploads", **kwargs)
        ids.update(u["UploadId"] for u in page.get("Uploads", []))
        if not page.get("IsTruncated"):
            return ids
        kwargs.update(KeyMarker=page.get("NextKeyMarker", ""), UploadIdMarker=page.get("NextUploadIdMarker", ""))


def _compact() -> None:
    """Empty the journal when nothing in it is open any more (it would otherwise only grow)."""
    if _open_entries():
        return
    path = journal_path()
    with _lock:
        try:
            st = path.stat()
            # only when big, and untouched for a while: no other run is writing to it just now
            if st.st_size > 1 << 20 and time.time() - st.st_mtime > 600:
                path.write_text("", encoding="utf-8")
        except OSError:
            pass
