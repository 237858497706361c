"""fsspeckit-tui: a terminal UI to preview, adjust and run syncs between filesystems."""
