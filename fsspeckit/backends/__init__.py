"""Stores: one module per family, and the calls they share.

``filesystem`` builds a filesystem from a URL or protocol; ``local`` keeps local
writes and deletes inside their root; ``s3`` holds what S3 does differently
(split listing, streamed and multipart upload, checked download, write
options); ``stored_times`` reads and writes the modification time a store keeps
in metadata (rclone's keys); ``transfer`` copies one file between any two
stores and checks the bytes. ``retry`` and ``timeouts`` bound every call.
"""

__all__: list[str] = []
