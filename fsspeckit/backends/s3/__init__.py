"""S3: listing split by folder, uploads, checked downloads and write options."""

__all__: list[str] = []
