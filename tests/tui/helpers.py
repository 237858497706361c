"""Helpers for app tests: wait for the app to settle, or for a condition.

``settle(app, pilot)`` waits until no worker runs and the messages they posted
were handled (worker errors are the app's to show: tests assert on what it
shows). ``wait_for(pilot, condition)`` waits, in short pauses, until
``condition()`` holds, and fails after ``timeout`` seconds. Test files import
them from here; ``conftest`` also offers them as fixtures.
"""

from __future__ import annotations

import time

from textual.worker import WorkerFailed


async def settle(app, pilot, rounds: int = 20) -> None:
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # the app shows worker errors itself; tests assert on what it shows
        await pilot.pause()
        if not any(w.is_running for w in app.workers) and getattr(app, "busy", None) is None:
            return
    await pilot.pause()


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
