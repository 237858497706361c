"""Benchmarks: fsspeckit's sync against rclone, s5cmd, aws s3 sync, rsync and fsspec.

Run ``python -m benchmarks.run`` (or ``--quick``); see ``benchmarks/README.md``.
"""
