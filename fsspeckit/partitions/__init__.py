"""Hive partitions: parse ``key=value`` folders (``hive``), select them (``predicates``),
and inspect a partitioned dataset (``layout``, ``layout_check``, ``layout_diff``,
Parquet footers in ``parquet`` and ``peek``). Reads listings; never writes.
"""

__all__: list[str] = []
