"""Named remotes and their settings (``profiles``), kept in a TOML file (``toml_writer``)."""

__all__: list[str] = []
