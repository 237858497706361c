"""Saved remotes: named locations (protocol, root, storage options) in a TOML file.

A remote is used wherever a URL is, as ``NAME:path`` (``prod-s3:data/2024``).
Secrets are not stored: an option written ``"env:VAR"`` is read from the
environment when the remote is used, one written ``"file:PATH"`` from that
file, and otherwise the backends' own credential chains apply
(``AWS_PROFILE``, instance roles, gcloud defaults). A secret-like value in
plain text (a password, a session token, a private key or key JSON, a
password inside a URL) is refused when saved and never printed.

The file is ``$FSKIT_CONFIG`` if set, else
``$XDG_CONFIG_HOME/fsspeckit/remotes.toml`` (``~/.config/fsspeckit/remotes.toml``)::

    [remotes.prod-s3]
    protocol = "s3"
    root = "my-bucket"
    endpoint_url = "https://s3.example.com"
    region = "eu-west-1"
    key = "env:PROD_KEY_ID"
    secret = "env:PROD_SECRET"
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..backends.filesystem import KitFileSystem, _backend_class, filesystem, split_url
from ..exceptions import FsspeckitError, ProfileError, describe_error
from .toml_writer import TomlWriteError, dumps_toml

logger = logging.getLogger(__name__)

__all__ = [
    "CONFIG_ENV",
    "ProfileError",
    "Remote",
    "add_remote",
    "config_path",
    "find_remote_for_url",
    "get_remote",
    "list_remotes",
    "mask_secrets",
    "parse_location",
    "parse_option",
    "remove_remote",
    "resolve_location",
    "test_remote",
]

#: Environment variable naming the remotes file (overrides the default place).
CONFIG_ENV = "FSKIT_CONFIG"

#: A remote's name: letters, digits, '_' and '-' (a TOML bare key), at least two
#: characters so that ``C:\\data`` never reads as a remote.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]+$")

#: Options whose value must not be written in plain text (use ``env:VAR`` or ``file:PATH``).
SECRET_OPTIONS = frozenset({
    "secret", "password", "passwd", "session_token", "secret_access_key", "aws_secret_access_key",
    "client_secret", "account_key", "sas_token", "connection_string", "credential", "credentials",
    "token", "private_key", "private_key_id", "api_key", "apikey", "access_token", "refresh_token",
    "security_token", "aws_session_token",
})
#: Words that make any option name secret-like (``proxy_password``, ``my_api_token``).
_SECRET_WORDS = ("secret", "password", "passwd", "token", "private_key", "credential", "apikey", "api_key")

#: ``token`` values that name a way to find credentials, not a credential (gcsfs).
_TOKEN_METHODS = frozenset({"anon", "google_default", "cache", "cloud", "browser"})

_ENV_PREFIX = "env:"
_FILE_PREFIX = "file:"
_MASK = "***"
#: ``scheme://user:password@host``: a password inside a URL (a proxy, a connection string)
_URL_PASSWORD_RE = re.compile(r"([a-z][a-z0-9+.-]*://[^/@:\s]*:)([^/@\s]+)(@)", re.IGNORECASE)


@dataclass(frozen=True)
class Remote:
    """One saved remote, as stored (``env:`` references not yet read)."""

    name: str
    protocol: str
    root: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The remote's root as a URL, e.g. ``s3://my-bucket``."""
        if self.protocol == "file":
            return self.root or "/"
        return f"{self.protocol}://{self.root}"

    def storage_options(self) -> dict[str, Any]:
        """The options to hand the backend, with ``env:`` values read now."""
        return build_storage_options(self.protocol, self.options, remote=self.name)

    def to_dict(self) -> dict[str, Any]:
        """The remote as plain data, secrets masked (never printed, even from an old file)."""
        return {"name": self.name, "protocol": self.protocol, "root": self.root, "url": self.url,
                "options": mask_secrets(self.options)}


# --- the file ----------------------------------------------------------------

def config_path() -> Path:
    """Where the remotes are kept (see the module docstring)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "fsspeckit" / "remotes.toml"


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"The remotes file {path} is not valid TOML ({exc}); fix or remove it.") from None
    except OSError as exc:
        raise ProfileError(f"The remotes file {path} cannot be read: {exc.strerror or exc}.") from None


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, readable by the owner only (it may name credentials)."""
    try:
        text = dumps_toml(data, inline_below=("remotes",))
    except TomlWriteError as exc:
        raise ProfileError(str(exc)) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".remotes-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _remote_from_table(name: str, table: Any, path: Path) -> Remote:
    if not isinstance(table, dict):
        raise ProfileError(f"In {path}, remotes.{name} must be a table of settings.")
    options = {k: v for k, v in table.items() if k not in ("protocol", "root")}
    protocol = str(table.get("protocol") or "").lower()
    if not protocol:
        raise ProfileError(f"In {path}, the remote '{name}' has no protocol (e.g. protocol = \"s3\").")
    return Remote(name, protocol, str(table.get("root") or "").strip("/") if protocol != "file"
                  else str(table.get("root") or ""), options)


def _load(path: Path | None = None) -> tuple[Path, dict[str, Any], dict[str, Remote]]:
    path = path or config_path()
    data = _read(path)
    tables = data.get("remotes", {})
    if not isinstance(tables, dict):
        raise ProfileError(f"In {path}, 'remotes' must be a table of [remotes.NAME] tables.")
    remotes = {name: _remote_from_table(name, t, path) for name, t in tables.items()}
    return path, data, remotes


def list_remotes() -> list[Remote]:
    """Every saved remote, sorted by name."""
    _, _, remotes = _load()
    return [remotes[k] for k in sorted(remotes)]


def get_remote(name: str) -> Remote:
    """The saved remote called ``name``; ``ProfileError`` naming the known ones if absent."""
    path, _, remotes = _load()
    try:
        return remotes[name]
    except KeyError:
        known = ", ".join(sorted(remotes)) or "none yet"
        raise ProfileError(f"There is no saved remote named '{name}' in {path} (saved: {known}); "
                           "add one with `fsspeckit-tui remote add NAME URL`.") from None


def add_remote(name: str, url: str, options: Mapping[str, Any] | None = None, *, replace: bool = False) -> Remote:
    """Save ``url`` (``s3://bucket/prefix``, ``gs://b``, a local folder) as ``name``.

    ``options`` are storage options (``endpoint_url``, ``profile``, ``region``,
    ``token``, ``anon``...); secret ones must be ``env:VAR`` references.
    Refuses to overwrite an existing remote unless ``replace=True``.
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ProfileError(f"'{name}' cannot name a remote: use two or more letters, digits, '_' or '-', "
                           "starting with a letter or digit.")
    options = dict(options or {})
    for key, value in options.items():
        if key in ("protocol", "root"):
            raise ProfileError(f"'{key}' comes from the URL; give it in the URL, not as an option.")
        _check_value(key, value)
        why = _secret_problem(key, value)
        if why:
            raise ProfileError(f"The option '{key}' {why}, and secrets are not stored in plain text: put it "
                               f"in an environment variable and write {key}=env:VARIABLE_NAME, or in a file "
                               f"and write {key}=file:/path/to/file.")
    if not isinstance(url, str) or not url.strip():
        raise ProfileError("A remote needs a URL or folder, e.g. s3://bucket/prefix or /data/exports.")
    if _split_remote(url) and "://" not in url:
        raise ProfileError(f"'{url}' is itself a remote reference; give a URL such as s3://bucket/prefix.")
    protocol, root = split_url(url.strip())
    filesystem_class_check(protocol)
    root = root if protocol == "file" else root.strip("/")
    path, data, remotes = _load()
    if name in remotes and not replace:
        raise ProfileError(f"A remote named '{name}' already exists ({remotes[name].url}); "
                           "remove it first or pass replace=True (--replace).")
    table: dict[str, Any] = {"protocol": protocol, "root": root}
    table.update(options)
    data.setdefault("remotes", {})[name] = table
    _write(path, data)
    logger.info("saved remote %s -> %s in %s", name, url, path)
    return _remote_from_table(name, table, path)


def remove_remote(name: str) -> Remote:
    """Delete the saved remote ``name`` and return what it was."""
    remote = get_remote(name)
    path, data, _ = _load()
    del data["remotes"][name]
    _write(path, data)
    return remote


def filesystem_class_check(protocol: str) -> None:
    """Fail now, with the install hint, when the protocol is unknown or its package missing."""
    _backend_class(protocol)


def _is_secret(key: str) -> bool:
    last = key.rsplit(".", 1)[-1].lower()
    return last in SECRET_OPTIONS or any(word in last for word in _SECRET_WORDS)


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith(_ENV_PREFIX) or value.startswith(_FILE_PREFIX))


def _looks_like_path(value: str) -> bool:
    """A key file's path: an existing file, or a name ending in ``.json`` (a session token may hold '/')."""
    return bool(value) and not any(c.isspace() for c in value) and (
        value.lower().endswith(".json") or os.path.isfile(os.path.expanduser(value)))


def _secret_problem(key: str, value: Any) -> str | None:
    """Why ``value`` may not be stored under ``key`` in plain text, or None when it may."""
    if _is_reference(value) or value is None or isinstance(value, bool):
        return None
    if isinstance(value, Mapping):
        if "private_key" in value or "client_secret" in value or "refresh_token" in value:
            return "holds key material (a service-account key or token)"
        for k, v in value.items():
            why = _secret_problem(f"{key}.{k}", v)
            if why:
                return why
        return None
    if isinstance(value, (list, tuple)):
        for v in value:
            why = _secret_problem(key, v)
            if why:
                return why
        return None
    text = str(value)
    if "-----BEGIN" in text or '"private_key"' in text or "'private_key'" in text:
        return "holds key material (a private key or key JSON)"
    if _URL_PASSWORD_RE.search(text):
        return "holds a password inside a URL"
    last = key.rsplit(".", 1)[-1].lower()
    if last == "token" and isinstance(value, str) and (value in _TOKEN_METHODS or _looks_like_path(value)):
        return None  # gcsfs: a way to find credentials, or the path of a key file
    if _is_secret(key):
        return "is a secret"
    return None


def mask_secrets(options: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``options`` with every plain-text secret replaced by ``***`` (for printing).

    ``env:``/``file:`` references are shown as they are; a password inside a
    URL is masked in place.
    """
    out: dict[str, Any] = {}
    for key, value in options.items():
        dotted = f"{prefix}{key}"
        why = _secret_problem(dotted, value)
        if isinstance(value, Mapping) and not (why and "key material" in why):
            out[key] = mask_secrets(value, dotted + ".")
        elif not why:
            out[key] = value
        elif isinstance(value, str) and why == "holds a password inside a URL":
            out[key] = _URL_PASSWORD_RE.sub(lambda m: m.group(1) + _MASK + m.group(3), value)
        else:
            out[key] = _MASK
    return out


def _check_value(key: str, value: Any) -> None:
    if isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_value(key, v)
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_value(f"{key}.{k}", v)
        return
    raise ProfileError(f"The option '{key}' has a value of type {type(value).__name__}; "
                       "use text, a number, true/false, or a list of them.")


# --- options -----------------------------------------------------------------

def parse_option(text: str) -> tuple[str, Any]:
    """Parse one ``key=value`` storage option: the one rule set of the app and every command.

    The value is read, in this order: JSON when it starts with ``{``, ``[`` or ``"``
    (``s3_additional_kwargs={"ACL": "private"}``, ``scopes=["a", "b"]``); ``true``/
    ``yes``/``on`` and ``false``/``no``/``off`` (any case) as booleans; whole numbers as
    integers and decimals as floats; anything else as text (``env:VAR``, ``file:PATH``
    and URLs included; ``null`` too). ``ProfileError`` names a pair that is not
    ``key=value`` or a value that starts like JSON and is not.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ProfileError(f"'{text}' is not an option: write key=value, e.g. endpoint_url=http://127.0.0.1:9000.")
    value = value.strip()
    if value[:1] in ("{", "[", '"'):
        try:
            return key, json.loads(value)
        except ValueError as exc:
            raise ProfileError(f"The value of '{key}' starts like JSON but is not valid JSON ({exc}); "
                               f"quote it for the shell, e.g. {key}='{{\"ACL\": \"private\"}}'.") from None
    low = value.lower()
    if low in ("true", "yes", "on"):
        return key, True
    if low in ("false", "no", "off"):
        return key, False
    if re.fullmatch(r"[+-]?\d+", value):
        return key, int(value)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", value):
        return key, float(value)
    return key, value


def _env_value(value: Any, key: str, remote: str | None) -> Any:
    if isinstance(value, str) and value.startswith(_FILE_PREFIX):
        path = os.path.expanduser(value[len(_FILE_PREFIX):].strip())
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except OSError as exc:
            where = f"The remote '{remote}'" if remote else "The option"
            raise ProfileError(f"{where} reads '{key}' from the file {path}, which cannot be read "
                               f"({exc.strerror or exc}).") from None
    if isinstance(value, str) and value.startswith(_ENV_PREFIX):
        var = value[len(_ENV_PREFIX):].strip()
        got = os.environ.get(var)
        if got is None:
            where = f"The remote '{remote}'" if remote else "The option"
            raise ProfileError(f"{where} reads '{key}' from the environment variable {var}, which is not set.")
        return got
    if isinstance(value, dict):
        return {k: _env_value(v, f"{key}.{k}", remote) for k, v in value.items()}
    if isinstance(value, list):
        return [_env_value(v, key, remote) for v in value]
    return value


def _set_nested(out: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = out
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ProfileError(f"The option '{dotted}' conflicts with '{part}', which is not a table.")
    if isinstance(value, dict) and isinstance(node.get(parts[-1]), dict):
        node[parts[-1]].update(value)
    else:
        node[parts[-1]] = value


def build_storage_options(protocol: str, options: Mapping[str, Any], remote: str | None = None) -> dict[str, Any]:
    """Turn stored or typed options into backend keyword arguments.

    ``env:VAR`` values are read from the environment; dotted keys
    (``client_kwargs.region_name``) become nested tables; for S3, ``region``
    becomes ``client_kwargs.region_name``.
    """
    out: dict[str, Any] = {}
    for key, value in options.items():
        value = _env_value(value, key, remote)
        if protocol in ("s3", "s3a") and key == "region":
            _set_nested(out, "client_kwargs.region_name", value)
        else:
            _set_nested(out, key, value)
    return out


# --- locations ---------------------------------------------------------------

def _split_remote(text: str) -> tuple[str, str] | None:
    """``"name:path"`` -> ``("name", "path")`` when it has the shape of a remote reference."""
    if "://" in text:
        return None
    name, sep, rest = text.partition(":")
    if not sep or not _NAME_RE.match(name):
        return None
    return name, rest


@dataclass(frozen=True)
class Location:
    """What a location string names: a backend URL and options, maybe via a saved remote."""

    text: str
    url: str  # the root the filesystem is built on
    path: str  # the path under that root
    remote: Remote | None = None


def parse_location(text: str) -> Location:
    """Read a location: ``s3://bucket/data``, ``./out``, ``/abs/dir`` or ``remote:path``.

    A ``name:path`` whose name is not a saved remote is a local path when that
    path exists; otherwise it is an error naming the saved remotes (write
    ``./name:path`` to mean a new local folder).
    """
    if not isinstance(text, str) or not text.strip():
        raise ProfileError("A location is empty: give a URL (s3://bucket/data), a folder (./out) or remote:path.")
    text = text.strip()
    ref = _split_remote(text)
    if ref is not None:
        name, rest = ref
        _, _, remotes = _load()
        remote = remotes.get(name)
        if remote is not None:
            rest = rest.strip("/") if remote.protocol != "file" else rest.lstrip("/")
            return Location(text, remote.url, rest, remote)
        if not os.path.exists(os.path.expanduser(text)):
            known = ", ".join(sorted(remotes)) or "none saved"
            raise ProfileError(f"'{name}' is not a saved remote (remotes: {known}) and '{text}' is not an "
                               f"existing local path; to mean a local folder, write ./{text}.")
    return Location(text, text, "", None)


def resolve_location(text: str, extra_options: Mapping[str, Any] | None = None) -> tuple[KitFileSystem, str]:
    """A filesystem and a path for a location string.

    For a URL or a local folder, the filesystem is rooted there and the path is
    ``""``. For ``remote:sub/path``, it is rooted at the remote's root (with the
    remote's options, ``env:`` values read now) and the path is ``sub/path``.
    ``extra_options`` (e.g. from ``--src-option``) override the remote's.
    """
    loc = parse_location(text)
    protocol, _ = split_url(loc.url)
    stored = dict(loc.remote.options) if loc.remote else {}
    options = build_storage_options(protocol, stored, remote=loc.remote.name if loc.remote else None)
    if extra_options:
        for key, value in build_storage_options(protocol, extra_options).items():
            _set_nested(options, key, value)
    fs = filesystem(loc.url, options)
    return fs, loc.path


def find_remote_for_url(url: str) -> Remote | None:
    """The saved remote whose root holds ``url`` (longest root wins), if any.

    Lets a plan saved with a plain URL (``s3://bucket/data``) be applied with
    the options of the remote it was made through.
    """
    if not url or _split_remote(url) and "://" not in url:
        return None
    protocol, path = split_url(url)
    best = None
    for remote in list_remotes():
        if remote.protocol != protocol:
            continue
        root = remote.root.rstrip("/")
        if not root or path == root or path.startswith(root + "/"):
            if best is None or len(root) > len(best.root):
                best = remote
    return best


# --- connection check ----------------------------------------------------------

def test_remote(name: str, timeout: float = 10.0) -> tuple[bool, str]:
    """Check a saved remote by listing its root; ``(ok, one sentence)``.

    The sentence names what failed: a missing bucket or folder, denied access,
    rejected or missing credentials, an unreachable endpoint, an unset
    environment variable.
    """
    try:
        remote = get_remote(name)
        options = remote.storage_options()
    except ProfileError as exc:
        return False, str(exc)
    if remote.protocol in ("s3", "s3a") and "config_kwargs" not in options:
        # Fail fast on an unreachable endpoint instead of botocore's long retry loop.
        options["config_kwargs"] = {"connect_timeout": timeout, "read_timeout": timeout,
                                    "retries": {"max_attempts": 2}}
    return check_connection(remote.url, options, label=f"remote '{name}'")


def check_connection(url: str, options: Mapping[str, Any] | None = None, label: str | None = None) -> tuple[bool, str]:
    """List the root of ``url`` once; ``(ok, message)`` with the failure named."""
    label = label or url
    t0 = time.monotonic()
    try:
        fs = filesystem(url, dict(options or {}))
    except FsspeckitError as exc:
        return False, f"{label}: {exc}"
    except Exception as exc:  # noqa: BLE001 - reported as one sentence
        return False, f"{label}: the filesystem could not be created: {describe_error(exc)}"
    protocol, root = split_url(url)
    bucket = root.strip("/").split("/", 1)[0] if protocol != "file" else ""
    try:
        if protocol == "file":
            if not os.path.isdir(fs.path or "/"):
                what = "is a file, not a folder" if os.path.exists(fs.path) else "does not exist"
                return False, f"{label}: the folder {fs.path} {what}."
        entries = fs.ls("", detail=False)
    except Exception as exc:  # noqa: BLE001 - classified below
        endpoint = (options or {}).get("endpoint_url") or (options or {}).get("endpoint") or ""
        return False, f"{label}: {describe_error(exc, url, bucket=bucket, endpoint=endpoint)}"
    took = time.monotonic() - t0
    n = len(entries)
    return True, f"{label}: connected, listed {url} ({n} entr{'y' if n == 1 else 'ies'} at the top) in {took:.2f} s."


test_remote.__test__ = False  # a library function, not a pytest test
