"""The real-time pages in a real browser: Debian's Chromium driven by Playwright (Q125).

A small deployment runs on loopback (the Socket.IO dev server, a Celery worker, Redis):
two browser contexts log in through the login form as two users and chat on an article's
page, and one of them starts an export on /live/export and watches the worker's pushes
finish it.

This test fails, never skips, when it cannot run: no Chromium (`make browser-deps`), no
built JS client (`make assets`), no Redis.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from demo import create_app
from demo.extensions import db
from tests.browser.conftest import TIMEOUT_MS
from tests.websockets.conftest import create_article, create_member
from tests.websockets.live import ROOT, Deployment, Process

pytestmark = pytest.mark.answers("Q125")

JS_CLIENT = ROOT / "demo" / "static" / "vendor" / "socket.io.min.js"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """One app server and a Celery worker on loopback, with users ann and bob."""
    if not JS_CLIENT.exists():
        pytest.fail(f"{JS_CLIENT} is missing: run `make assets` (npm ci + copy).", pytrace=False)
    workdir = tmp_path_factory.mktemp("browser")
    deployment = Deployment(workdir, f"sqlite:///{workdir / 'browser.db'}")
    setup = create_app("testing", SQLALCHEMY_DATABASE_URI=deployment.database_url)
    with setup.app_context():
        db.create_all()
        ann = create_member("ann")
        create_member("bob")
        for slug in ("hello-world", "second-post"):
            create_article(ann, slug)
        db.session.remove()
        db.engine.dispose()
    try:
        yield deployment.start({"web": "dev"}, worker=True)["web"]
    finally:
        deployment.stop()


def logged_in(browser: Browser, server: Process, username: str) -> tuple[BrowserContext, Page]:
    """A fresh browser context (its own cookies) logged in through the real form."""
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("input[name=email]", f"{username}@example.com")
    page.fill("input[name=password]", f"{username} password")
    page.click("[type=submit]")
    expect(page.locator("body")).to_contain_text(f"Logged in as {username}")
    return context, page


def test_two_browser_pages_chat_on_an_article(browser, server):
    """Text typed on Ann's page appears on Bob's page, with Ann's name, pushed by the server."""
    ann_context, ann = logged_in(browser, server, "ann")
    bob_context, bob = logged_in(browser, server, "bob")
    try:
        for page in (ann, bob):
            page.goto("/chat/hello-world")
            expect(page.locator("#chat")).to_have_attribute("data-state", "joined")

        ann.fill("#chat-text", "Hi Bob, <b>live</b> from Chromium")
        ann.press("#chat-text", "Enter")

        line = bob.locator("#chat-log li").last
        expect(line.locator(".chat-username")).to_have_text("ann")
        # Shown as text, never as markup.
        expect(line.locator(".chat-text")).to_have_text("Hi Bob, <b>live</b> from Chromium")
        expect(bob.locator("#chat-log b")).to_have_count(0)
        expect(ann.locator("#chat-log li .chat-text")).to_have_text(
            ["Hi Bob, <b>live</b> from Chromium"]
        )
        expect(ann.locator("#chat-text")).to_have_value("")  # cleared once the server acked
    finally:
        ann_context.close()
        bob_context.close()


def test_a_browser_page_watches_an_export_finish(browser, server):
    """The export page shows the worker's pushed progress up to 100% and a working link."""
    context, page = logged_in(browser, server, "ann")
    try:
        page.goto("/live/export")
        start = page.get_by_role("button", name="Start the export")
        expect(start).to_be_enabled()  # enabled once the socket is connected
        page.select_option("#export-format", "csv")
        start.click()

        expect(page.locator("#export")).to_have_attribute("data-state", "SUCCESS")
        expect(page.locator("#export-progress")).to_have_js_property("value", 100)
        expect(page.locator("#export-percent")).to_have_text("100%")
        link = page.locator("#export-download")
        expect(link).to_be_visible()
        task_id = page.locator("#export").get_attribute("data-task-id")
        assert link.get_attribute("href") == f"/tasks/{task_id}/download"

        download = context.request.get(link.get_attribute("href"))
        assert download.status == 200
        lines = download.text().splitlines()
        assert lines[0].startswith("slug,title") and len(lines) == 3
    finally:
        context.close()
