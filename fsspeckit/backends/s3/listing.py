"""S3 listing: a recursive listing split by folder, and fast timestamp parsing.

``find_files`` is the one listing call of every store: plain ``find`` for most,
split by top-level folder on S3 so parsing one page overlaps waiting for the
next. It reaches into s3fs's private ``_lsdir``/``_call_s3``/``_fill_info`` and
botocore's response parser factory; each use falls back to the public call
when the client's layout differs.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Callable

from fsspec.asyn import sync

logger = logging.getLogger(__name__)

__all__ = ["FIRST_PAGE", "SPLIT_LISTINGS", "fast_listing_times", "find_files"]


def _iso_utc(value):
    """botocore's timestamp parser, with a fast path for the ISO-8601 UTC form S3 listings use."""
    if isinstance(value, str) and value.endswith("Z") and len(value) in (20, 24) and value[10] == "T":
        try:
            return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    from botocore.utils import parse_timestamp

    return parse_timestamp(value)


def fast_listing_times(backend) -> None:
    """Let an s3fs client parse listing timestamps with ``fromisoformat``.

    botocore's general parser (dateutil) took 40 % of the client's CPU in a
    10,000-object listing; pages are fetched one after another, so that time
    adds to the wall time. Only this filesystem's client is changed.
    """
    if not type(backend).__module__.startswith("s3fs"):
        return
    try:
        # botocore makes a parser per response from its endpoint's factory (one per session).
        factory = backend.s3._endpoint._response_parser_factory
        if getattr(factory, "_fsspeckit_fast_times", False):
            return
        factory.set_parser_defaults(timestamp_parser=_iso_utc)
        factory._fsspeckit_fast_times = True
    except Exception:  # noqa: BLE001 - a different client layout: keep botocore's parser
        logger.debug("keeping botocore's timestamp parser", exc_info=True)


#: At most this many folder listings in flight at once when a listing is split.
SPLIT_LISTINGS = 16
#: Keys asked for in the first page of an S3 listing (S3 returns at most 1,000).
FIRST_PAGE = 1000


def find_files(backend, root: str, tick: Callable[[int], None] | None = None) -> dict:
    """``find(root, withdirs=False, detail=True)``; on S3 split by top-level folder.

    One S3 listing is a chain of 1,000-key pages, each asked for only after
    the previous one is parsed, so the client's parsing and the server's
    work add up. The first page is asked for while the first level with
    folders is found (delimited requests); a tree that fits in that page is
    done in one request. A bigger one is split: the folders the first page
    did not reach are listed at once, so parsing overlaps the waits (a no-op
    sync of 10,000 files in 4 top folders to moto: 2.00 s -> 1.84 s, the
    server's CPU unchanged). Where the first levels hold a single folder the
    split looks one level deeper (at most 3); a whole bucket, a versioned
    one, and keys that map to no folder ('//') keep one chain of pages.
    """
    if not (type(backend).__module__.startswith("s3fs") and hasattr(backend, "_lsdir")):
        return backend.find(root, withdirs=False, detail=True)

    return sync(backend.loop, _find_split, backend, root, _Found(tick))


class _Found:
    """Keys found by the pages of one (possibly split) S3 listing, told to a progress ticker."""

    def __init__(self, tick: Callable[[int], None] | None):
        self.tick = tick
        self.n = 0

    def add(self, n: int) -> None:
        self.n += n
        if self.tick is not None:
            self.tick(self.n)


async def _find_split(backend, root: str, found_so_far: "_Found | None" = None) -> dict:
    base = root.rstrip("/")
    counter = found_so_far or _Found(None)
    if base and "/" not in base and not getattr(backend, "version_aware", False):
        # A whole bucket: one chain of pages, counted as they come.
        return await _list_keys(backend, base, "", counter=counter)
    if not base or "/" not in base or getattr(backend, "version_aware", False):
        return await backend._find(root, withdirs=False, detail=True)  # versioned bucket: plain listing
    bucket, key, _ = backend.split_path(base)
    prefix = key + "/"
    split = asyncio.ensure_future(_split_folders(backend, base))
    try:
        page = await backend._call_s3(
            "list_objects_v2", Bucket=bucket, Prefix=prefix, MaxKeys=FIRST_PAGE, **backend.req_kw)
        truncated = bool(page.get("IsTruncated"))
        folders = await split if truncated else None
    finally:
        split.cancel()  # not needed (or failed with the page): nothing to do once it is done
        await asyncio.gather(split, return_exceptions=True)
    contents = page.get("Contents") or []
    counter.add(len(contents))
    if not truncated:
        return _page_infos(backend, bucket, contents) if contents else await _file_or_nothing(
            backend, bucket, key, base)
    last = contents[-1]["Key"]  # the first page holds every key up to this one
    found = _page_infos(backend, bucket, contents)
    if folders is None:
        found.update(await _list_keys(backend, bucket, prefix, after=last, counter=counter))
        return found
    files, dirs = folders
    found.update(files)
    gate = asyncio.Semaphore(SPLIT_LISTINGS)

    async def one(folder: str) -> dict:
        folder_prefix = backend.split_path(folder)[1] + "/"
        if last.startswith(folder_prefix):  # the first page stopped inside this folder
            after = last
        elif folder_prefix < last:  # wholly inside the first page
            return {}
        else:
            after = None
        async with gate:
            return await _list_keys(backend, bucket, folder_prefix, after=after, counter=counter)

    for part in await asyncio.gather(*(one(d) for d in dirs)):
        found.update(part)
    return found


async def _file_or_nothing(backend, bucket: str, key: str, base: str) -> dict:
    """No key under ``base/``: the root is a file (one HEAD tells) or holds nothing."""
    try:
        head = await backend._call_s3("head_object", Bucket=bucket, Key=key, **backend.req_kw)
    except FileNotFoundError:
        return {}
    return {base: {"name": base, "type": "file", "size": head.get("ContentLength", 0),
                   "ETag": head.get("ETag"), "LastModified": head.get("LastModified")}}


async def _split_folders(backend, base: str) -> tuple[dict, list[str]] | None:
    """The files above the first level with several folders, and those folders.

    None where a split would not see what one listing sees (keys with an empty
    path segment) or there is nothing to split.
    """
    found: dict = {}
    here = base
    for _ in range(3):
        level = await backend._lsdir(here, refresh=True, delimiter="/")
        files = [i for i in level if i.get("type") != "directory"]
        dirs = [i["name"].rstrip("/") for i in level if i.get("type") == "directory"]
        if any("//" in d + "/" or d in (here, "") or not d.startswith(here + "/") for d in dirs) or (
                not dirs and not files):
            return None
        for info in files:
            found[info["name"]] = info
        if len(dirs) == 1 and not files:
            here = dirs[0]  # one folder only: look a level deeper
            continue
        return found, dirs
    return found, [here]


async def _list_keys(backend, bucket: str, prefix: str, after: str | None = None,
                     counter: "_Found | None" = None) -> dict:
    """Every key under ``prefix`` (after the key ``after``), as s3fs info dicts by name."""
    kwargs = dict(Bucket=bucket, Prefix=prefix, **backend.req_kw)
    if after is not None:
        kwargs["StartAfter"] = after
    found: dict = {}
    while True:
        page = await backend._call_s3("list_objects_v2", **kwargs)
        contents = page.get("Contents") or []
        found.update(_page_infos(backend, bucket, contents))
        if counter is not None:
            counter.add(len(contents))
        if not page.get("IsTruncated"):
            return found
        kwargs.pop("StartAfter", None)
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def _page_infos(backend, bucket: str, contents: list[dict]) -> dict:
    """s3fs's info dicts (``name``, ``size``, ``type``, ...) for the keys of one listing page."""
    found = {}
    for info in contents:
        info["type"] = "file"
        backend._fill_info(info, bucket)
        found[info["name"]] = info
    return found
