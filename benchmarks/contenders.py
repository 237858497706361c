"""The command line of each contender for one sync from ``src`` to ``dst``.

A location is ``("local", "/abs/folder")`` or ``("s3", "bucket/prefix")``.
Every tool runs with its own defaults (concurrency included), mirroring the
source into the destination and deleting extra files where it can.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .tools import Toolbox

HERE = Path(__file__).resolve().parent
DRIVER = str(HERE / "driver.py")

#: display order; "ours" is this repository's fsspeckit.sync_dir
ORDER = ["cp -r", "rsync -a", "rclone", "s5cmd", "aws s3 sync", "fsspec rsync", "fs.put/copy",
         "fsspeckit 0.25.0", "ours"]
#: contenders that copy everything every time: no no-op/incremental rows
COPY_ONLY = {"cp -r", "fs.put/copy"}


@dataclass
class Env:
    box: Toolbox
    endpoint: str | None
    python: str  # this project's interpreter

    @property
    def s3_options(self) -> dict:
        return {"endpoint_url": self.endpoint, "key": "testing", "secret": "testing"}


def _base_env() -> dict:
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_REGION="us-east-1", AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
               AWS_RESPONSE_CHECKSUM_VALIDATION="when_required")
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    return env


def available(tool: str, src_kind: str, dst_kind: str, e: Env) -> str | None:
    """None when ``tool`` can run this path, else why not (shown as a note)."""
    local_only = src_kind == dst_kind == "local"
    if tool in ("cp -r",):
        return None if local_only else "local only"
    if tool == "rsync -a":
        if not local_only:
            return "local only"
        return None if e.box.rsync else (e.box.notes or {}).get("rsync", "rsync not installed")
    if tool == "rclone":
        return None if e.box.rclone else (e.box.notes or {}).get("rclone", "rclone not installed")
    if tool == "s5cmd":
        if local_only:
            return "S3 only"
        return None if e.box.s5cmd else (e.box.notes or {}).get("s5cmd", "not installed")
    if tool == "aws s3 sync":
        if local_only:
            return "S3 only"
        return None if e.box.aws else (e.box.notes or {}).get("aws", "not installed")
    if tool == "fsspeckit 0.25.0":
        return None if e.box.public_python else (e.box.notes or {}).get("fsspeckit 0.25.0", "not installed")
    return None


def _url(loc: tuple[str, str]) -> str:
    kind, where = loc
    return where if kind == "local" else f"s3://{where}"


def command(tool: str, src: tuple[str, str], dst: tuple[str, str], e: Env) -> tuple[list[str], dict]:
    env = _base_env()
    if tool == "cp -r":
        return ["cp", "-r", src[1], dst[1]], env
    if tool == "rsync -a":
        return [e.box.rsync, "-a", "--delete", src[1].rstrip("/") + "/", dst[1].rstrip("/") + "/"], env
    if tool == "rclone":
        env.pop("AWS_CA_BUNDLE", None)  # rclone 1.60 fails while it is set
        env.update(RCLONE_CONFIG="/dev/null", RCLONE_CONFIG_BENCH_TYPE="s3", RCLONE_CONFIG_BENCH_PROVIDER="Other",
                   RCLONE_CONFIG_BENCH_ENDPOINT=e.endpoint or "", RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="testing",
                   RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="testing", RCLONE_CONFIG_BENCH_REGION="us-east-1")

        def r(loc):
            return loc[1] if loc[0] == "local" else f"bench:{loc[1]}"

        return [e.box.rclone, "sync", r(src), r(dst)], env
    if tool == "s5cmd":
        s = src[1].rstrip("/") + "/" if src[0] == "local" else f"s3://{src[1].rstrip('/')}/*"
        d = dst[1].rstrip("/") + "/" if dst[0] == "local" else f"s3://{dst[1].rstrip('/')}/"
        return [e.box.s5cmd, "--endpoint-url", e.endpoint, "sync", "--delete", s, d], env
    if tool == "aws s3 sync":
        s = src[1] if src[0] == "local" else f"s3://{src[1].rstrip('/')}/"
        d = dst[1] if dst[0] == "local" else f"s3://{dst[1].rstrip('/')}/"
        return [e.box.aws, "--endpoint-url", e.endpoint, "s3", "sync", s, d, "--delete", "--only-show-errors"], env
    py_tool = {"fsspec rsync": "fsspec_rsync", "fs.put/copy": "fs_copy", "fsspeckit 0.25.0": "public",
               "ours": "ours"}[tool]
    python = e.box.public_python if tool == "fsspeckit 0.25.0" else e.python
    args = {"tool": py_tool, "src": _url(src), "dst": _url(dst), "s3": e.s3_options if e.endpoint else {}}
    return [python, DRIVER, json.dumps(args)], env
