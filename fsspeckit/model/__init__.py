"""The data model, the bottom layer: what every stage passes to the next.

Entries and listings (``entries``), the run settings (``options.RunOptions``),
the outcome of a run (``result``), relative paths checked once (``paths``),
times and units as every front end shows them (``times``, ``units``) and the
shared defaults. Nothing here touches a store.
"""

__all__: list[str] = []
