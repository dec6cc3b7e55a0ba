"""What the browser tests share (Q125's real-time pages, issue 9's end-to-end suite):
Debian's Chromium, driven through Playwright's sync API.

Playwright's own browser downloads are not used; `make browser-deps` apt-get installs
Debian's chromium, and ``CHROMIUM_PATH`` points elsewhere if needed. The browser fixture
fails, never skips, when Chromium is missing or cannot start: a browser test that did not
run has proven nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Per action (set on each context): generous for a loaded CI machine, never reached when green.
TIMEOUT_MS = 30_000
# How long an `expect(...)` waits for the page to get there (Playwright's default is 5 s).
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless: one per test module; tests open their own contexts."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser-deps` "
            "(it apt-get installs Debian's chromium).",
            pytrace=False,
        )
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        except PlaywrightError as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
        yield launched
        launched.close()
