"""Widgets: side trees, diff table, totals bar and log panel of the main screen; the run screen's throughput chart."""
