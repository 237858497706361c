"""What a user asks for: ``sync`` (one way), ``bisync`` (two way), ``check``, ``move``
and partition ``partition_ops``, each built on the layers below.
"""

__all__: list[str] = []
