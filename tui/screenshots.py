"""Regenerate the SVG screenshots of the main screens: ``python -m tui.screenshots OUTDIR``.

Drives the app headless on the built-in demo (``make screenshots`` writes them
to ``screenshots/``): the trees and diff, the partition picker, the run
confirmation, a run mid-way (a throttled source keeps the bars moving), the
report, the two-way screen and the main screen on an 80x24 terminal; and the
layout screen on a sample Parquet layout (one side with its findings, then both
sides compared).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from fsspec.implementations.dirfs import DirFileSystem

from .testing import ScreenHost, ThrottledMemoryFileSystem

SIZE = (120, 36)
#: The smallest terminal the app is laid out for.
SMALL = (80, 24)


async def _settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause(0.2)


async def _main_app_shots(out: Path, src: Path, dst: Path) -> list[str]:
    import fsspeckit
    from tui.launch import create_app

    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                     src_label="demo source", dst_label="demo destination")
    saved = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.pause(0.5)
        await _settle(app, pilot)
        app.save_screenshot(str(out / "trees-and-diff.svg"))
        saved.append("trees-and-diff.svg")
        await pilot.press("p")
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "partitions.svg"))
        saved.append("partitions.svg")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "run-confirm.svg"))
        saved.append("run-confirm.svg")
        await pilot.press("escape")
        await pilot.pause()
    saved.append(await _two_way_shot(out, src, dst))
    small = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                       src_label="demo source", dst_label="demo destination")
    async with small.run_test(size=SMALL) as pilot:
        await _settle(small, pilot)
        await pilot.pause(0.5)
        await _settle(small, pilot)
        small.save_screenshot(str(out / "small-terminal-80x24.svg"))
        saved.append("small-terminal-80x24.svg")
    return saved


async def _two_way_shot(out: Path, src: Path, dst: Path) -> str:
    """The two-way screen on the demo (a first run: a safe merge), a conflict decided and the cursor on a folder."""
    import fsspeckit
    from tui.launch import create_app

    from .screens.two_way import TwoWayScreen

    with tempfile.TemporaryDirectory(prefix="fsspeckit-state-") as state:
        app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                         src_label="demo source", dst_label="demo destination", two_way=True, state_dir=state)
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 30
            while not (isinstance(app.screen, TwoWayScreen) and app.screen.view is not None):
                if time.monotonic() > deadline:
                    raise RuntimeError("the two-way plan did not come")
                await pilot.pause(0.05)
            await pilot.press("t")  # the first conflict: skip → keep the newer
            await _settle(app, pilot)
            await pilot.press("down", "down", "down", "down")
            await pilot.pause(0.3)
            app.save_screenshot(str(out / "two-way.svg"))
    return "two-way.svg"


def layout_sides(tmp: str):
    """Two local copies of the sample Parquet layout (dated 2024-07-01): a source with defects, a mirror."""
    import fsspeckit
    from fsspeckit.listing.tree import list_tree

    from .sample_layout import write_sample_layout
    from .screens.layout import LayoutSide

    stamp = 1719792000.0  # 2024-07-01 00:00 UTC
    sides = []
    for name, defects in (("orders", ("drift", "gap", "small_files", "skew", "depth")), ("mirror", ("gap",))):
        root = Path(tmp) / name
        root.mkdir(parents=True, exist_ok=True)
        write_sample_layout(fsspeckit.filesystem("/"), str(root), defects)
        for path in root.rglob("*"):
            os.utime(path, (stamp, stamp))
        fs = fsspeckit.filesystem(str(root))
        sides.append(LayoutSide(list_tree(fs), f"{'Source' if name == 'orders' else 'Destination'}: lake/{name}", fs))
    return sides


async def _layout_shots(out: Path) -> list[str]:
    """The layout screen on the sample layout: one side with its findings, then both sides compared."""
    from .screens.layout import LayoutScreen

    with tempfile.TemporaryDirectory(prefix="fsspeckit-layout-") as tmp:
        src, dst = layout_sides(tmp)
        screen = LayoutScreen(src.listing, src.title, fs=src.fs, other=dst)
        app = ScreenHost(screen)
        async with app.run_test(size=SIZE) as pilot:
            await _settle(app, pilot)
            await pilot.press("down")
            await pilot.pause(0.2)
            app.save_screenshot(str(out / "layout.svg"))
            await pilot.press("equals_sign", "down", "enter")
            await pilot.pause(0.3)
            app.save_screenshot(str(out / "layout-compare.svg"))
    return ["layout.svg", "layout-compare.svg"]


async def _run_shots(out: Path) -> list[str]:
    from fsspeckit.listing.tree import list_tree
    from fsspeckit.model.options import RunOptions
    from fsspeckit.planning.plan import SyncOptions, make_plan
    from tui.screens.run import RunScreen

    backend = ThrottledMemoryFileSystem(skip_instance_cache=True)
    root = f"/screenshots-{os.getpid()}"
    for year in (2023, 2024):
        for month in range(1, 7):
            for region in ("eu", "us"):
                size = (2 + (month * 7 + len(region)) % 5) * 2**20 // 2
                backend.pipe_file(f"{root}/src/sales/year={year}/month={month:02d}/region={region}/part-0.parquet",
                                  bytes([month]) * size)
    src_fs = DirFileSystem(path=f"{root}/src", fs=backend)
    dst_dir = tempfile.mkdtemp(prefix="fsspeckit-shots-")
    import fsspeckit

    dst_fs = fsspeckit.filesystem(dst_dir)
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs, role="destination"), SyncOptions(),
                     src_url="memory://demo/sales", dst_url="./mirror")
    screen = RunScreen(plan, src_fs, dst_fs, RunOptions(max_workers=4))
    app = ScreenHost(screen)
    # Slow enough that the throughput chart has a few seconds of bars when the picture is taken.
    ThrottledMemoryFileSystem.delay = 0.05
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            p = screen.last_progress
            if (p is not None and p.bytes_total and p.bytes_done > 0.4 * p.bytes_total and len(p.in_flight) >= 3
                    and p.elapsed >= 5):
                break
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        app.save_screenshot(str(out / "progress.svg"))
        ThrottledMemoryFileSystem.delay = 0.0
        await _settle(app, pilot)
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "report.svg"))
    return ["progress.svg", "report.svg"]


async def capture(outdir: str) -> list[str]:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    from tui.demo import build_demo

    saved = []
    with tempfile.TemporaryDirectory(prefix="fsspeckit-demo-") as tmp:
        src, dst = build_demo(tmp)
        try:
            saved += await _main_app_shots(out, src, dst)
        except ImportError as exc:  # the main app missing in a partial checkout
            print(f"skipped the main app's screens: {exc}", file=sys.stderr)
    try:
        saved += await _layout_shots(out)
    except ImportError as exc:  # pyarrow missing: the sample layout cannot be written
        print(f"skipped the layout screen: {exc}", file=sys.stderr)
    saved += await _run_shots(out)
    return saved


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    outdir = argv[0] if argv else "screenshots"
    for name in asyncio.run(capture(outdir)):
        print(os.path.join(outdir, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
