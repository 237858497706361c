"""Stores: one module per family, and the calls they share.

``filesystem`` builds a filesystem from a URL or protocol. Each store family
(``generic``, ``local``, ``s3``, ``gcs``) offers the same capabilities (list,
server-side copy, bulk delete), and ``stores.store_of`` picks a filesystem's;
``local`` also keeps local writes and deletes inside their root, ``s3`` holds
what only S3 does (streamed and multipart upload, checked download, write
options), ``gcs`` the CRC32C check. ``stored_times`` reads and writes the
modification time a store keeps in metadata (rclone's keys); ``transfer``
copies one file between any two stores and checks the bytes. ``retry`` and ``timeouts`` bound every call.
"""

__all__: list[str] = []
