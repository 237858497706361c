"""Compatibility namespace: the documented ``fsspeckit.common.misc`` imports."""
