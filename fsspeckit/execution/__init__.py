"""Carrying out a plan: one apply path for threads and Dask.

``guards`` are the checks made before anything is written (missing or empty
source, delete limits); ``apply`` schedules transfers, deletes and moves and
accounts for progress; ``distributed`` runs the same path on Dask; ``renames``
does moves in place; ``limits`` holds bandwidth and transfer budgets and backup
names; ``state`` keeps incremental-sync state; ``verify`` checks a copy.
"""

__all__: list[str] = []
