"""Hive partitions: parse ``key=value`` path segments.

(Being extended: partition index, predicates, retention.)
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

__all__ = ["get_partitions_from_path", "compile_predicate", "HIVE_DEFAULT_PARTITION"]

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def get_partitions_from_path(path: str) -> dict[str, str | None]:
    """The hive partitions in a path: ``"data/year=2023/month=01/f.parquet"`` → ``{"year": "2023", "month": "01"}``."""
    if "://" in path:
        path = path.split("://", 1)[1]
    parts = [p for p in path.split("/") if p]
    if parts and "=" in parts[-1] and not path.endswith("/") and "." in parts[-1].split("=", 1)[1]:
        pass
    out: dict[str, str | None] = {}
    for seg in parts[:-1] if parts and not path.endswith("/") else parts:
        if "=" not in seg:
            continue
        key, _, value = seg.partition("=")
        if not key:
            continue
        value = unquote(value)
        out[key] = None if value == HIVE_DEFAULT_PARTITION else value
    return out


def compile_predicate(text: str):
    raise NotImplementedError("partition predicates are not implemented yet")
