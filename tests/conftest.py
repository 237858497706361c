"""Shared pytest fixtures: real S3 (moto) and GCS (emulator) endpoints on loopback.

Fixtures
--------
``s3_server`` (session)
    A started :class:`tests.servers.S3Server`.
``s3`` (function)
    Resets moto and yields a :class:`tests.servers.BucketHandle` with a fresh,
    empty bucket: ``.fs`` (``s3fs.S3FileSystem``, ``skip_instance_cache=True``),
    ``.bucket``, ``.options`` (storage options), ``.protocol`` (``"s3"``),
    ``.server``, ``.endpoint``, ``.path(rel)`` -> ``"bucket/rel"`` and
    ``.url(rel)`` -> ``"s3://bucket/rel"``.
``gcs_server`` / ``gcs``
    The same for the GCS emulator (``.protocol == "gs"``, ``.fs`` is a
    ``gcsfs.GCSFileSystem``). Keep concurrency at 1-2 against the emulator.
``fault_proxy`` (function)
    Factory: ``fault_proxy(fail_rate=..., drop_rate=..., seed=..., predicate=...,
    skip_first=...)`` returns a started :class:`tests.servers.FaultProxy` in
    front of the session S3 server; all are stopped at teardown.
``fast_retries`` (function, opt-in)
    Shrinks botocore's retry backoff (standard and legacy modes) to a few
    milliseconds for clients created during the test, so fault-injection
    tests stay fast. Retry decisions and attempt counts are unchanged.
``local_tree`` (function)
    Factory: ``local_tree({"a/b.txt": b"..."}, name="tree")`` writes the files
    under ``tmp_path / name`` and returns that directory (a ``Path``).

Tests using the S3 or GCS fixtures are marked ``s3`` / ``gcs`` automatically,
so ``-m "not gcs"`` deselects them. Servers start lazily, once per session.

Environment
-----------
``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false`` is set when this module is
imported, i.e. before test modules (or the library) import gcsfs: gcsfs reads
it at import time, and with the experimental class every call against the
emulator waits ~60 s on a gRPC probe. For the session, ``AWS_ACCESS_KEY_ID``
and ``AWS_SECRET_ACCESS_KEY`` are set to ``testing``,
``AWS_REQUEST_CHECKSUM_CALCULATION`` / ``AWS_RESPONSE_CHECKSUM_VALIDATION``
to ``when_required`` (plain uploads that moto and the fault proxy handle
simply), and ambient AWS profile/session variables are removed, so tests can
never reach real cloud credentials. All are restored at session end.

This module deliberately does not import ``fsspeckit``.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import tempfile
import sys
import uuid
from pathlib import Path

import pytest

# Make ``tests.servers`` importable however pytest was invoked.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.servers import (
    BucketHandle,
    FaultProxy,
    GCSServer,
    S3Server,
    disable_gcsfs_experimental,
)

_GCSFS_FLAG = "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"
_gcsfs_flag_before = os.environ.get(_GCSFS_FLAG)
# Must happen before anything imports gcsfs (see module docstring).
disable_gcsfs_experimental()

_S3_FIXTURES = {"s3", "s3_server", "fault_proxy"}
_GCS_FIXTURES = {"gcs", "gcs_server"}
_bucket_counter = itertools.count()


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & _S3_FIXTURES:
            item.add_marker(pytest.mark.s3)
        if names & _GCS_FIXTURES:
            item.add_marker(pytest.mark.gcs)


@pytest.fixture(scope="session", autouse=True)
def _cloud_test_env():
    """Dummy AWS credentials and checksum mode for the whole session."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    mp.setenv("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
    # the journal of open multipart uploads: never the user's own
    mp.setenv("FSKIT_DATA_DIR", tempfile.mkdtemp(prefix="fsspeckit-data-"))
    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        mp.delenv(name, raising=False)
    yield
    mp.undo()
    if _gcsfs_flag_before is None:
        os.environ.pop(_GCSFS_FLAG, None)
    else:
        os.environ[_GCSFS_FLAG] = _gcsfs_flag_before


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (install the 'test' extra)")


def _bucket_name(prefix: str) -> str:
    return f"{prefix}-{next(_bucket_counter)}-{uuid.uuid4().hex[:8]}"


# -- S3 ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def s3_server():
    """moto S3 server, started once per session and stopped at its end."""
    _require("moto")
    with S3Server() as server:
        yield server


@pytest.fixture
def s3(s3_server):
    """Fresh moto state + an empty bucket; yields a ``BucketHandle``."""
    import s3fs

    s3_server.reset()
    s3fs.S3FileSystem.clear_instance_cache()
    options = s3_server.storage_options()
    fs = s3fs.S3FileSystem(**options, skip_instance_cache=True)
    bucket = _bucket_name("test")
    fs.mkdir(bucket)
    yield BucketHandle(fs=fs, bucket=bucket, options=options, protocol="s3",
                       server=s3_server)
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def fault_proxy(s3_server):
    """Factory for ``FaultProxy`` instances in front of the session S3 server."""
    proxies: list[FaultProxy] = []

    def make(fail_rate: float = 0.0, drop_rate: float = 0.0, seed: int | None = 0,
             predicate=None, skip_first: int = 0, errors=None, **faults) -> FaultProxy:
        proxy = FaultProxy(s3_server.endpoint, fail_rate=fail_rate,
                           drop_rate=drop_rate, seed=seed, predicate=predicate,
                           skip_first=skip_first, errors=errors, **faults)
        proxies.append(proxy.start())
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def fast_retries(monkeypatch):
    """Make botocore wait ~0-10 ms between retries (clients built afterwards)."""
    import random

    import botocore.retries.standard
    import botocore.retryhandler

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff,
                        "delay_amount", lambda self, context: random.random() * 0.01)
    monkeypatch.setattr(botocore.retryhandler, "delay_exponential",
                        lambda base, growth_factor, attempts: random.random() * 0.01)


# -- GCS --------------------------------------------------------------------

@pytest.fixture(scope="session")
def gcs_server():
    """GCS emulator (in-memory), started once per session and stopped at its end."""
    _require("gcp_storage_emulator")
    with GCSServer() as server:
        yield server


@pytest.fixture
def gcs(gcs_server):
    """Wiped emulator + an empty bucket; yields a ``BucketHandle``."""
    disable_gcsfs_experimental()  # in case gcsfs was imported before conftest
    import gcsfs
    import gcsfs.core

    gcs_server.reset()
    gcsfs.core.GCSFileSystem.clear_instance_cache()
    options = gcs_server.storage_options()
    fs = gcsfs.GCSFileSystem(**options, skip_instance_cache=True)
    bucket = _bucket_name("test")
    fs.mkdir(bucket)
    yield BucketHandle(fs=fs, bucket=bucket, options=options, protocol="gs",
                       server=gcs_server)
    gcsfs.core.GCSFileSystem.clear_instance_cache()


# -- local files ------------------------------------------------------------

@pytest.fixture
def local_tree(tmp_path):
    """Factory writing ``{relpath: bytes | str}`` under ``tmp_path / name``."""

    def make(files: dict, name: str = "tree") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                content = content.encode()
            target.write_bytes(content)
        return root

    return make


@pytest.fixture
def config(tmp_path, monkeypatch):
    """The remotes file of this test: ``FSKIT_CONFIG`` points at ``tmp_path/remotes.toml``; returns that path.

    Modules that read or write remotes use it for every test with
    ``pytestmark = pytest.mark.usefixtures("config")``.
    """
    path = tmp_path / "remotes.toml"
    monkeypatch.setenv("FSKIT_CONFIG", str(path))
    return path


@pytest.fixture
def run(capsys):
    """``run(*argv)`` runs one headless command in-process: ``(exit code, stdout, stderr)``.

    Arguments may be paths or numbers (they are passed as text).
    """
    from tui import cli

    def call(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return call
