"""Helpers every app test uses, as fixtures: wait for the app to settle, or for a condition.

``settle(app, pilot)`` waits until no worker runs and the messages they posted
were handled (worker errors are the app's to show: tests assert on what it
shows). ``wait_for(pilot, condition)`` waits, in short pauses, until
``condition()`` holds, and fails after ``timeout`` seconds.
"""

from __future__ import annotations

import pytest

from tests.tui.helpers import settle as _settle
from tests.tui.helpers import wait_for as _wait_for


@pytest.fixture
def settle():
    """``await settle(app, pilot, rounds=20)``."""
    return _settle


@pytest.fixture
def wait_for():
    """``await wait_for(pilot, condition, timeout=20.0)``."""
    return _wait_for
