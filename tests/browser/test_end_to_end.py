"""The whole app in a real browser: Chromium driven by Playwright (Q099, Q136, Q143, Q158, Q159).

One app server for the module: `create_app("testing")` behind a threaded Werkzeug server
on a loopback port, with its database in a temporary SQLite file, or PostgreSQL when
``TEST_DATABASE_URL`` is set (the suite's `_database_cleanup` then empties its tables after
each test, so every test makes the users and articles it needs). CSRF protection and the
rate limits stay on: the browser fills in and submits the real forms. Only the login limit
per address is raised, since one loopback address logs in here more often than a person.

Elements are found the way people using assistive technology find them: by role and
accessible name (`get_by_role`, `get_by_label`). A page that loses a label or a button's
text breaks these tests, which makes them a check of the pages' accessibility too.

Each test asserts what the person sees and, where it matters, the rows the server wrote.
Chromium missing or unable to start fails the module (see conftest.py), never skips it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from werkzeug.serving import make_server

from demo import create_app
from demo.api import services
from demo.auth.passwords import hash_password
from demo.auth.tokens import role_names
from demo.extensions import db
from demo.models import Article, Comment, Role, UploadedFile, User
from tests.browser.conftest import TIMEOUT_MS

PASSWORD = "browser-password-1"


@dataclass
class LiveApp:
    """The app under test and where it listens."""

    app: Flask
    url: str
    upload_folder: Path


@pytest.fixture(scope="module")
def live(
    database_server: Engine | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    """The testing app served on a free loopback port by a real threaded HTTP server."""
    workdir = tmp_path_factory.mktemp("end-to-end")
    overrides: dict[str, object] = {
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "AUTH_RATE_LIMIT_PER_ADDRESS": "60/minute",
    }
    if database_server is None:
        # A file, not memory: the server's threads and the test share one database.
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{workdir / 'app.db'}"
    app = create_app("testing", **overrides)
    with app.app_context():
        db.create_all()  # PostgreSQL already has the schema; this then changes nothing
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield LiveApp(app, f"http://127.0.0.1:{server.server_port}", workdir / "uploads")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def open_page(browser: Browser, live: LiveApp) -> Iterator[Callable[[], Page]]:
    """``open_page()``: a page in a fresh browser context (its own cookies), closed after."""
    contexts = []

    def make() -> Page:
        # An English-speaking browser, so any French on a page comes from the user's choice.
        context = browser.new_context(base_url=live.url, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def make_member(live: LiveApp, username: str, roles: Iterable[str] = ("viewer",)) -> int:
    """A committed user `<username>@example.com` with PASSWORD; returns the user's id."""
    with live.app.app_context():
        role_rows = [
            db.session.scalar(select(Role).where(Role.name == name)) or Role(name=name)
            for name in roles
        ]
        user = User(
            username=username,
            email=f"{username}@example.com",
            password_hash=hash_password(PASSWORD),
            roles=role_rows,
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def log_in(page: Page, username: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_text(f"Logged in as {username}.")).to_be_visible()


def main_menu(page: Page) -> Locator:
    """The site's navigation bar."""
    return page.get_by_role("navigation", name="Main")


@pytest.mark.answers("Q143")
def test_a_visitor_registers_logs_out_and_logs_back_in(live, open_page):
    """Registering logs the new viewer in; after logging out, a private page asks to log in."""
    page = open_page()
    page.goto("/")
    main_menu(page).get_by_role("link", name="Register").click()
    page.get_by_label("Username").fill("reggie")
    page.get_by_label("E-mail").fill("reggie@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(f"{live.url}/auth/profile")
    expect(page.get_by_text("Welcome, reggie! Your account is ready.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("reggie")
    with live.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "reggie@example.com"))
        assert user is not None and user.username == "reggie"
        assert role_names(user) == ["viewer"]
        assert PASSWORD not in user.password_hash

    main_menu(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()
    page.goto("/auth/profile")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=%2Fauth%2Fprofile$"))

    page.get_by_label("E-mail").fill("reggie@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(f"{live.url}/auth/profile")  # back where it was sent from
    expect(page.get_by_text("Logged in as reggie.")).to_be_visible()


def test_a_member_publishes_an_article_with_tags(live, open_page):
    """The "New article" form publishes the article with its tags, listed under each tag."""
    writer_id = make_member(live, "wendy")
    page = open_page()
    log_in(page, "wendy")
    main_menu(page).get_by_role("link", name="New article").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New article")
    page.get_by_label("Title").fill("Testing Flask in a browser")
    page.get_by_label("What is it about?").fill("Playwright drives Chromium")
    page.get_by_label("Article", exact=True).fill("First paragraph.\n\nSecond, with <b>tags</b>.")
    page.get_by_label("Tags (separated by commas or spaces)").fill("flask, testing playwright")
    page.get_by_role("button", name="Publish article").click()

    expect(page.get_by_text("Article published.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Testing Flask in a browser")
    tags = page.get_by_role("list", name="Tags").get_by_role("link")
    expect(tags).to_have_count(3)
    assert sorted(tags.all_inner_texts()) == ["flask", "playwright", "testing"]
    # The body is text: the markup typed into it is shown, not applied.
    expect(page.get_by_text("Second, with <b>tags</b>.")).to_be_visible()

    slug = page.url.rsplit("/", 1)[1]
    with live.app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        assert article is not None and article.author_id == writer_id
        assert sorted(tag.name for tag in article.tags) == ["flask", "playwright", "testing"]

    tags.filter(has_text="playwright").click()
    expect(page).to_have_url(f"{live.url}/articles?tag=playwright")
    expect(page.get_by_role("link", name="Testing Flask in a browser")).to_be_visible()


@pytest.mark.answers("Q158")
def test_a_reader_comments_on_and_favourites_an_article(live, open_page):
    """Commenting and favouriting store rows and flash a confirmation, shown once only."""
    author_id = make_member(live, "arthur")
    reader_id = make_member(live, "rita")
    with live.app.app_context():
        author = db.session.get(User, author_id)
        slug = services.create_article(
            author, title="Read me", description="An article to discuss", body="Text."
        ).article.slug
    page = open_page()
    log_in(page, "rita")
    page.goto(f"/articles/{slug}")

    comments = page.get_by_role("region", name="Comments")
    comments.get_by_label("Your comment").fill("Clear and useful, thanks.")
    comments.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment added.")).to_be_visible()
    comment = comments.get_by_role("listitem")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text("rita")
    expect(comment).to_contain_text("Clear and useful, thanks.")

    page.get_by_role("button", name="Favourite", exact=True).click()
    expect(page.get_by_text("Added to your favourites.")).to_be_visible()
    expect(page.get_by_text("Favourites: 1")).to_be_visible()
    expect(page.get_by_role("button", name="Unfavourite")).to_be_visible()
    # The flash lived in the session for one page view: reloading shows it no more.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Read me")
    expect(page.get_by_text("Added to your favourites.")).to_have_count(0)

    with live.app.app_context():
        comment = db.session.scalar(select(Comment).where(Comment.author_id == reader_id))
        assert comment is not None and comment.body == "Clear and useful, thanks."
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        assert [user.id for user in article.favorited_by] == [reader_id]


@pytest.mark.answers("Q099")
def test_a_member_uploads_an_avatar(live, open_page, tmp_path):
    """A PNG chosen in the file input becomes the avatar: stored, recorded, shown decoded."""
    member_id = make_member(live, "ava")
    png = tmp_path / "portrait.png"
    Image.new("RGB", (32, 24), "teal").save(png, "PNG")
    page = open_page()
    log_in(page, "ava")
    main_menu(page).get_by_role("link", name="Files").click()
    page.get_by_label("Avatar image").set_input_files(png)
    page.get_by_role("button", name="Upload avatar").click()

    expect(page.get_by_text("Your avatar was updated.")).to_be_visible()
    expect(page.get_by_role("link", name="portrait.png")).to_be_visible()
    with live.app.app_context():
        upload = db.session.scalar(select(UploadedFile).where(UploadedFile.owner_id == member_id))
        assert upload is not None and upload.purpose == "avatar"
        assert (upload.original_name, upload.size) == ("portrait.png", png.stat().st_size)
        assert (live.upload_folder / upload.stored_name).read_bytes() == png.read_bytes()
        avatar_url = db.session.get(User, member_id).image
    assert avatar_url == f"/uploads/{upload.id}"

    main_menu(page).get_by_role("link", name="Profile").click()
    avatar = page.locator(f'img.avatar[src="{avatar_url}"]')
    expect(avatar).to_be_visible()
    # The browser fetched and decoded it: a broken image has no natural width.
    expect(avatar).to_have_js_property("naturalWidth", 32)


@pytest.mark.answers("Q136")
def test_a_viewer_is_refused_the_admin_page_that_an_admin_gets(live, open_page):
    """/admin answers a viewer with the site's 403 page and an admin with Flask-Admin."""
    make_member(live, "vera")
    make_member(live, "adele", roles=("admin",))
    viewer = open_page()
    log_in(viewer, "vera")
    response = viewer.goto("/admin/")
    assert response is not None and response.status == 403
    expect(viewer.get_by_role("heading", level=1)).to_have_text("403 · Forbidden")
    expect(viewer.get_by_role("link", name="Users")).to_have_count(0)

    admin = open_page()
    log_in(admin, "adele")
    response = admin.goto("/admin/")
    assert response is not None and response.status == 200
    admin.get_by_role("link", name="Users").click()
    expect(admin.get_by_role("cell", name="vera", exact=True)).to_be_visible()


@pytest.mark.answers("Q159")
def test_switching_to_french_translates_the_pages(live, open_page):
    """The switcher in the menu turns the pages French, and the choice is saved on the account."""
    member_id = make_member(live, "fran")
    page = open_page()
    log_in(page, "fran")
    page.goto("/articles")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    main_menu(page).get_by_role("link", name="Language: English").click()
    page.get_by_role("radio", name="Français").check()
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{live.url}/articles")  # back to the page it started from
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_text("Langue des pages : Français.")).to_be_visible()
    menu = main_menu(page)
    expect(menu.get_by_role("link", name="Réponses")).to_be_visible()
    expect(menu.get_by_role("link", name="Nouvel article")).to_be_visible()
    expect(menu.get_by_role("button", name="Se déconnecter")).to_be_visible()
    with live.app.app_context():
        assert db.session.get(User, member_id).locale == "fr"

    # Another device, whose browser asks for English: English until fran logs in, then French.
    elsewhere = open_page()
    elsewhere.goto("/auth/login")
    elsewhere.get_by_label("E-mail").fill("fran@example.com")
    elsewhere.get_by_label("Password").fill(PASSWORD)
    elsewhere.get_by_role("button", name="Log in", exact=True).click()
    expect(elsewhere.get_by_text("Connecté en tant que fran.")).to_be_visible()
    expect(elsewhere.locator("html")).to_have_attribute("lang", "fr")


def test_a_visitor_searches_the_answers_and_opens_one(live, open_page):
    """/answers finds answers by a word and shows one in full, with its code."""
    page = open_page()
    page.goto("/")
    main_menu(page).get_by_role("link", name="Answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Answers")
    page.get_by_role("searchbox", name="Search the answers").fill("blueprints")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("matching “blueprints”")
    page.get_by_role("link", name="Q138", exact=True).click()
    expect(page).to_have_url(f"{live.url}/answers/Q138")
    expect(page.get_by_role("heading", level=1)).to_have_text("Q138: What are blueprints in Flask?")
    expect(page.get_by_role("heading", name="In thirty seconds")).to_be_visible()
    code = page.get_by_role("region", name="Code that demonstrates it")
    expect(code).to_contain_text("Blueprint(")
