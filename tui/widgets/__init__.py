"""Widgets of the main screen: side trees, diff table, totals bar, log panel."""
