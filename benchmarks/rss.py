"""Peak memory of the current process, for the plan and TUI rows run in their own process."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM starts afresh at exec, unlike ru_maxrss after a fork)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
