"""S3 write options as storage options: storage class, server-side encryption and
canned ACL for every object a run writes (uploads, multipart uploads and the
store's own copies), through s3fs's ``s3_additional_kwargs``.
"""

from __future__ import annotations

from typing import Any

from ...exceptions import BackendError

__all__ = ["ACLS", "SSE_MODES", "STORAGE_CLASSES", "s3_write_options", "with_s3_write_options"]

STORAGE_CLASSES = ("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                   "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE")
SSE_MODES = ("AES256", "aws:kms", "aws:kms:dsse")
ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control")


def s3_write_options(storage_class: str | None = None, sse: str | None = None, kms_key_id: str | None = None,
                     acl: str | None = None) -> dict[str, str]:
    """The request parameters for these choices (``{}`` when none); a bad value raises ``BackendError``."""
    out: dict[str, str] = {}
    if storage_class:
        value = storage_class.strip().upper()
        if value not in STORAGE_CLASSES:
            raise BackendError(f"unknown S3 storage class {storage_class!r}: use one of {', '.join(STORAGE_CLASSES)}")
        out["StorageClass"] = value
    if sse:
        value = next((m for m in SSE_MODES if m.lower() == sse.strip().lower()), None)
        if value is None:
            raise BackendError(f"unknown S3 server-side encryption {sse!r}: use one of {', '.join(SSE_MODES)}")
        out["ServerSideEncryption"] = value
    if kms_key_id:
        if not out.get("ServerSideEncryption", "").startswith("aws:kms"):
            raise BackendError("an SSE-KMS key id needs the encryption aws:kms (--s3-sse aws:kms)")
        out["SSEKMSKeyId"] = kms_key_id.strip()
    if acl:
        value = acl.strip().lower()
        if value not in ACLS:
            raise BackendError(f"unknown S3 canned ACL {acl!r}: use one of {', '.join(ACLS)}")
        out["ACL"] = value
    return out


def with_s3_write_options(options: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    """``options`` with ``extra`` added to its ``s3_additional_kwargs`` (a new dict; dotted
    ``s3_additional_kwargs.X`` keys, as typed on a command line, are folded in)."""
    prefix = "s3_additional_kwargs."
    dotted = {k[len(prefix):]: v for k, v in options.items() if k.startswith(prefix)}
    if not extra and not dotted:
        return dict(options)
    merged = {**dict(options.get("s3_additional_kwargs") or {}), **dotted, **extra}
    rest = {k: v for k, v in options.items() if not k.startswith(prefix) and k != "s3_additional_kwargs"}
    return {**rest, "s3_additional_kwargs": merged}
