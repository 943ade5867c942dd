"""Debian's chromium (`/usr/bin/chromium`, apt package `chromium`), driven by Playwright: no
browser downloads."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def chromium() -> Iterator[Browser]:
    """One browser. Playwright's sync API runs an event loop in this thread while it is open:
    what runs on an event loop meanwhile runs on a thread of its own (tests/conftest.py,
    run_async)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
