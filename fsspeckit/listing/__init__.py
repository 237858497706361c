"""Listing a side: one recursive listing per root (``tree.list_tree``)."""

__all__: list[str] = []
