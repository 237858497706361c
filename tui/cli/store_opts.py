"""--s3-storage-class, --s3-sse, --s3-sse-kms-key-id and --s3-acl: the destination's
S3 write options as flags (instead of a hand-written ``s3_additional_kwargs``)."""

from __future__ import annotations

import argparse

from .common import UsageError, parse_options


def add_s3_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("S3 destination (applied to uploads and the store's own copies)")
    g.add_argument("--s3-storage-class", metavar="CLASS", help="e.g. STANDARD_IA, GLACIER_IR, INTELLIGENT_TIERING")
    g.add_argument("--s3-sse", metavar="MODE", help="server-side encryption: AES256 or aws:kms")
    g.add_argument("--s3-sse-kms-key-id", metavar="KEY", help="the KMS key for --s3-sse aws:kms")
    g.add_argument("--s3-acl", metavar="ACL", help="canned ACL, e.g. private, bucket-owner-full-control")


def dst_options(args) -> dict:
    """The destination's storage options with the --s3-* flags merged in."""
    from fsspeckit.backends.s3.options import s3_write_options, with_s3_write_options
    from fsspeckit.exceptions import BackendError

    options = parse_options(args.dst_option)
    try:
        extra = s3_write_options(args.s3_storage_class, args.s3_sse, args.s3_sse_kms_key_id, args.s3_acl)
    except BackendError as exc:
        raise UsageError(str(exc)) from None
    return with_s3_write_options(options, extra)


def check_s3_destination(args, dst_fs, dst_url: str) -> None:
    """Refuse --s3-* flags when the destination is not on S3."""
    from fsspeckit.backends.filesystem import unwrap
    from fsspeckit.backends.transfer import _is_s3

    used = [f for f, v in (("--s3-storage-class", args.s3_storage_class), ("--s3-sse", args.s3_sse),
                           ("--s3-sse-kms-key-id", args.s3_sse_kms_key_id), ("--s3-acl", args.s3_acl)) if v]
    if used and not _is_s3(unwrap(dst_fs, "")[0]):
        raise UsageError(f"{', '.join(used)} apply to an S3 destination; {dst_url} is not on S3")
