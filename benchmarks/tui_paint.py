"""TUI scale: open the app on a 100k-file source tree and time its first full paint.

Run in its own process (``python -m benchmarks.tui_paint N``) so its peak RSS
is its own; prints JSON. The tree is an in-memory filesystem (hive folders,
empty files) so making it costs seconds, not minutes; the clock runs from
``create_app`` until the app is mounted, its listing/planning workers have
finished and the screen has been refreshed (headless, 120×36).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from benchmarks.rss import peak_rss_mb


def _tree(n: int) -> float:
    from fsspec.implementations.memory import MemoryFileSystem

    fs = MemoryFileSystem()
    t0 = time.perf_counter()
    for i in range(n):
        fs.pipe_file(f"/bench-tui-src/year={2000 + i % 25}/month={i % 12 + 1:02d}/part-{i:07d}.bin", b"")
    fs.mkdir("/bench-tui-dst")
    return time.perf_counter() - t0


async def _paint(n: int) -> dict:
    import fsspeckit
    from tui.launch import create_app

    built = _tree(n)
    src = fsspeckit.filesystem("memory://bench-tui-src")
    dst = fsspeckit.filesystem("memory://bench-tui-dst")
    t0 = time.perf_counter()
    app = create_app(src, "", dst, "")
    async with app.run_test(size=(120, 36)) as pilot:
        mounted = time.perf_counter() - t0
        await app.workers.wait_for_complete()
        await pilot.pause()
        painted = time.perf_counter() - t0
    return {"entries": n, "build_s": round(built, 3), "mount_s": round(mounted, 3), "paint_s": round(painted, 3),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_paint(int(sys.argv[1])))))
