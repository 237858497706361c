"""Planning: from two listings to one action per path.

``compare`` decides whether two entries differ, ``filters`` and the partition
predicates choose the paths, ``rename_match`` finds moves, ``hashing`` fills in
checksums where a comparison needs them, ``plan`` builds and saves the ``Plan``,
and ``plan_check`` refuses a loaded plan that is unsafe or stale.
"""

__all__: list[str] = []
