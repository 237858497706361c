"""Create filesystems from a protocol name or a URL, rooted where the URL points.

``filesystem()`` is the one door into fsspec backends: it infers the protocol,
turns a missing backend package into one sentence naming what to install, and
wraps the backend so ``ls``/``info``/``find`` entries carry a normalised
``modified`` key (an aware UTC datetime) next to the backend's own keys.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from typing import Any

import fsspec
from fsspec.implementations.dirfs import DirFileSystem
from fsspec.implementations.local import LocalFileSystem

from .exceptions import BackendNotInstalledError, UnknownProtocolError
from .times import entry_mtime

logger = logging.getLogger(__name__)

_SLASHES = re.compile("/{2,}")

__all__ = ["filesystem", "KitFileSystem", "unwrap", "split_url"]

# Packages that provide the common protocols, for the install hint.
_INSTALL_HINT = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "abfs": "adlfs",
    "az": "adlfs",
    "abfss": "adlfs",
    "adl": "adlfs",
    "sftp": "paramiko",
    "ssh": "paramiko",
    "hf": "huggingface_hub",
    "webdav": "webdav4",
    "oci": "ocifs",
    "oss": "ossfs",
    "http": "aiohttp",
    "https": "aiohttp",
}


def split_url(url: str) -> tuple[str, str]:
    """Split ``"s3://bucket/key"`` into ``("s3", "bucket/key")``.

    A string without ``://`` is a local path (``("file", abspath)``) unless it is
    a bare protocol name such as ``"s3"`` or ``"memory"`` (``(name, "")``).
    """
    if "://" in url:
        protocol, _, rest = url.partition("://")
        protocol = protocol.lower()
        if protocol in ("file", "local"):
            return "file", os.path.abspath(rest or "/")
        return protocol, rest
    if url.startswith("file:"):
        return "file", os.path.abspath(url[5:])
    if _looks_like_protocol(url):
        return url.lower(), ""
    return "file", os.path.abspath(os.path.expanduser(url))


def _looks_like_protocol(name: str) -> bool:
    if not name or "/" in name or os.sep in name or "." in name:
        return False
    return name.lower() in fsspec.available_protocols() or name.lower() in ("local",)


def _backend_class(protocol: str):
    if protocol == "local":
        protocol = "file"
    try:
        return fsspec.get_filesystem_class(protocol)
    except ImportError as exc:
        package = _INSTALL_HINT.get(protocol, "the package that provides it")
        raise BackendNotInstalledError(
            f"The '{protocol}' filesystem needs {package}: install it with "
            f"`pip install {package}`."
        ) from exc
    except ValueError as exc:
        import difflib

        close = difflib.get_close_matches(protocol, fsspec.available_protocols(), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else " Common ones: file, memory, s3, gs, az, http, sftp."
        raise UnknownProtocolError(
            f"Unknown protocol '{protocol}': fsspec has no filesystem by that name.{hint}"
        ) from exc


def filesystem(
    protocol_or_url: str = "file",
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> "KitFileSystem":
    """Return a filesystem for a protocol name or a URL.

    ``filesystem("s3")`` gives an S3 filesystem whose paths are full
    ``bucket/key`` names; ``filesystem("s3://bucket/data")`` gives one rooted at
    ``bucket/data``, so that the path ``"/target/"`` means ``bucket/data/target``.
    ``storage_options`` (and any extra keyword arguments) go to the backend, e.g.
    ``{"endpoint_url": "http://127.0.0.1:9000"}`` for an S3-compatible store or
    ``{"token": "anon", "endpoint_url": ...}`` for GCS.
    """
    if isinstance(protocol_or_url, fsspec.AbstractFileSystem):
        return protocol_or_url if isinstance(protocol_or_url, KitFileSystem) else KitFileSystem("", protocol_or_url)
    if not isinstance(protocol_or_url, str) or not protocol_or_url.strip():
        raise UnknownProtocolError("filesystem() needs a protocol name or a URL, e.g. 's3://bucket/path' or './data'.")
    options = dict(storage_options or {})
    options.update(kwargs)
    protocol, root = split_url(protocol_or_url.strip())
    cls = _backend_class(protocol)
    if protocol in ("file", "local"):
        options.setdefault("auto_mkdir", True)  # writing a file creates its folders
    if protocol in ("s3", "s3a"):
        from . import timeouts

        timeouts.watch_s3()
        options = timeouts.s3_options(options)
    backend = cls(**options)
    if root and protocol != "file":
        root = backend._strip_protocol(f"{protocol}://{root}")
    elif root:
        root = LocalFileSystem._strip_protocol(root)
    protocol_name = protocol if protocol != "local" else "file"
    return KitFileSystem(root.rstrip("/") if root not in ("/", "") else root, backend, url_protocol=protocol_name)


def unwrap(fs: fsspec.AbstractFileSystem, path: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """Return the backend filesystem and the backend path for ``path`` on ``fs``.

    Accepts fsspeckit's rooted filesystems, fsspec's ``DirFileSystem`` and plain
    backends; strips a protocol prefix with the backend's own ``_strip_protocol``.
    """
    while isinstance(fs, DirFileSystem):
        path = fs._join(path)
        fs = fs.fs
    return fs, _strip(fs, path)


def _strip(fs: fsspec.AbstractFileSystem, path: str) -> str:
    stripped = fs._strip_protocol(path)
    if isinstance(stripped, list):  # pragma: no cover - defensive
        stripped = stripped[0]
    if isinstance(fs, LocalFileSystem):
        return stripped
    return stripped if stripped != "/" else ""


def _add_modified(entry: dict) -> dict:
    if isinstance(entry, dict) and "modified" not in entry:
        when = entry_mtime(entry)
        if when is not None:
            entry["modified"] = when
    return entry


class KitFileSystem(DirFileSystem):
    """A backend filesystem, optionally rooted at a folder or bucket.

    Paths given to it are relative to the root (a leading ``/`` is allowed); a
    path carrying the backend's protocol (``"s3://bucket/key"``) is taken as
    absolute. Listing entries gain a ``modified`` key (aware UTC datetime).
    """

    protocol = "fsspeckit"

    def __init__(self, path: str = "", fs: fsspec.AbstractFileSystem | None = None, url_protocol: str | None = None, **kwargs):
        if fs is None:
            fs = fsspec.filesystem("file")
        # Bypass DirFileSystem's own root handling: "" means unrooted.
        fsspec.AbstractFileSystem.__init__(self, **kwargs)
        self.fs = fs
        self.path = path or ""
        self.url_protocol = url_protocol or (fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0])

    # --- path mapping -------------------------------------------------
    def _join(self, path):
        if isinstance(path, (list, tuple)):
            return [self._join(p) for p in path]
        if isinstance(path, dict):
            return {self._join(p): v for p, v in path.items()}
        if not self.path:
            return path
        if not path:
            return self.path
        if "://" in path:
            return self.fs._strip_protocol(path)
        rel = _SLASHES.sub("/", path).strip("/")
        return posixpath.join(self.path, rel) if rel else self.path

    def _relpath(self, path):
        """Names under a root read like a chroot: ``/folder/file``."""
        if isinstance(path, list):
            return [self._relpath(p) for p in path]
        if not self.path:
            return path
        root = self.path.rstrip("/")
        if path in (root, root.lstrip("/")):
            return "/"
        for prefix in (root + "/", root.lstrip("/") + "/"):
            if path.startswith(prefix):
                return "/" + path[len(prefix):]
        return path

    def __reduce__(self):
        return (KitFileSystem, (self.path, self.fs, self.url_protocol))

    def __eq__(self, other):
        return isinstance(other, KitFileSystem) and other.path == self.path and other.fs == self.fs

    def __hash__(self):
        return hash((self.path, id(self.fs)))

    def __repr__(self):
        return f"KitFileSystem({self.url_protocol}://{self.path})"

    @property
    def root_url(self) -> str:
        """The URL of this filesystem's root, e.g. ``s3://bucket/data``."""
        return f"{self.url_protocol}://{self.path}"

    # --- normalised 'modified' ----------------------------------------
    def ls(self, path="", detail=True, **kwargs):
        out = super().ls(path, detail=detail, **kwargs)
        if detail:
            for e in out:
                _add_modified(e)
        return out

    async def _ls(self, path="", detail=True, **kwargs):
        out = await super()._ls(path, detail=detail, **kwargs)
        if detail:
            for e in out:
                _add_modified(e)
        return out

    def info(self, path, **kwargs):
        return _add_modified(super().info(path, **kwargs))

    async def _info(self, path, **kwargs):
        return _add_modified(await super()._info(path, **kwargs))

    def find(self, path="", *args, detail=False, **kwargs):
        # The documentation's partition recipe asks find() for folders only.
        directories = kwargs.pop("directories", None)
        files = kwargs.pop("files", True)
        if directories or files is False:
            kwargs["withdirs"] = True
            out = super().find(path, *args, detail=True, **kwargs)
            me = self._relpath(self._join(path))
            keep = {k: _add_modified(v) for k, v in out.items()
                    if k.rstrip("/") != me.rstrip("/") and ((v.get("type") == "directory" and directories) or (v.get("type") != "directory" and files is not False))}
            return keep if detail else sorted(keep)
        out = super().find(path, *args, detail=detail, **kwargs)
        if detail:
            for e in out.values():
                _add_modified(e)
        return out

    async def _find(self, path="", *args, detail=False, **kwargs):
        out = await super()._find(path, *args, detail=detail, **kwargs)
        if detail:
            for e in out.values():
                _add_modified(e)
        return out
