"""Google Cloud Storage: the generic store, and the CRC32C every object carries.

A composite object has no MD5, only a CRC32C: a download is checked against it
(``check_crc32c``). The store's own copy (a rewrite) and listing are gcsfs's.
"""

from __future__ import annotations

import base64

from ..exceptions import VerificationError
from .generic import Store

__all__ = ["GCSStore", "check_crc32c"]


class GCSStore(Store):
    name = "gcs"

    def handles(self, fs) -> bool:
        return type(fs).__module__.startswith("gcsfs")


def check_crc32c(path: str, expected: str, src_path: str) -> None:
    """The local file ``path`` must have the CRC32C ``expected`` (base64, big-endian), or ``VerificationError``."""
    import google_crc32c  # gcsfs's own dependency: present wherever GCS objects are listed

    c = google_crc32c.Checksum()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            c.update(block)
    got = base64.b64encode(c.digest()).decode("ascii")
    if got != expected:
        raise VerificationError(f"{src_path}: the copied bytes have CRC32C {got}, the source's is {expected}; "
                                "the copy was damaged and was not kept.")
