"""The accessibility basics on every HTML page the app serves (issue 9, no single answer).

This is a check of the basics only, not an audit: a small checker of our own, run over the
HTML the server sends (no browser, no third-party rules engine). Per page it asks for:

- ``<html lang>`` set;
- exactly one ``<h1>``, and headings that never skip a level going down (h2 to h4);
- a label on every form field (``input`` except hidden and buttons, ``select``,
  ``textarea``): a ``<label for>`` with text, an enclosing ``<label>``, ``aria-label`` or
  ``aria-labelledby`` pointing at ids that exist;
- an ``alt`` attribute on every image (empty is right for decoration);
- an accessible name on every link and button: text, an image's alt, ``aria-label``,
  ``aria-labelledby`` or ``title``;
- every id that a label or an ``aria-*`` attribute points at used once on the page:
  a ``<label for="file">`` with two ``id="file"`` fields labels the wrong one.

What it cannot see: contrast, focus order, keyboard traps, and the DOM that scripts build
later (the chat log, Swagger UI's operations). HTML fragments (``partials``) are checked for
labels, images and names but not for page structure, which they do not have.

The pages are found, not listed: every GET rule of the URL map without arguments is fetched
anonymously and as an admin (who may see every page), every ``text/html`` 200 is checked,
plus the pages that need an argument (an article, an answer, a chat, a task, the admin's
record pages, also as a reader who is not the author), the fragments that scripts fetch,
and the error page as a 403, a 404 and a 500. The app first gets content worth rendering: an
article with tags, a comment, a favourite, an avatar (so ``<img>`` tags appear) and an
export task, all made through the real forms.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from demo import create_app
from demo.auth.passwords import hash_password
from demo.extensions import db
from demo.models import Article, Comment, Role, User
from tests.support.accounts import AuthActions, IsolatedClient, csrf_token_in

PASSWORD = "accessible-password"
# Input types that name themselves (their value, or the browser's "Submit") or hold no data.
SELF_NAMED_INPUTS = {"hidden", "submit", "reset", "button", "image"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements whose text content is their accessible name.
NAMED_BY_CONTENT = {"a", "button", "label"}

# Pages that must be among those checked: if a rename drops one, the test says so.
REQUIRED_PAGES = {
    "/",
    "/auth/login",
    "/auth/register",
    "/auth/profile",
    "/auth/editor-desk",
    "/articles",
    "/articles/new",
    "/uploads/",
    "/answers/",
    "/answers/Q001",
    "/answers/extensions",
    "/live/export",
    "/tasks/export",
    "/language",
    "/admin/",
    "/api/docs",
    # Found by walking the URL map, never listed in a template's navigation.
    "/routing/",
    "/templates/",
    "/contexts/",
    "/request/contact",
    "/partials/questions",
}


# --- The checker -------------------------------------------------------------------------


@dataclass
class Element:
    """An open element whose text is collected (a link, a button, a label)."""

    tag: str
    attrs: dict[str, str | None]
    text: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        return " ".join("".join(self.text).split())


@dataclass
class FormField:
    """An input, select or textarea, and the label element enclosing it, if any."""

    tag: str
    attrs: dict[str, str | None]
    enclosing_label: Element | None


class PageChecker(HTMLParser):
    """Reads one page and lists what it gets wrong about the basics."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.has_html_element = False
        self.headings: list[tuple[int, Element]] = []
        self.ids: Counter[str] = Counter()
        self.referenced: set[str] = set()  # ids named by label[for] or aria-* attributes
        self.fields: list[FormField] = []
        self.labels: list[Element] = []
        self.named: list[Element] = []  # links and buttons
        self.images: list[dict[str, str | None]] = []
        self.open: list[Element] = []

    # Parsing ----------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[str(attributes["id"])] += 1
        if tag == "label" and attributes.get("for"):
            self.referenced.add(str(attributes["for"]))
        for name in ("aria-labelledby", "aria-describedby", "aria-controls"):
            self.referenced.update((attributes.get(name) or "").split())
        if tag == "html":
            self.has_html_element = True
            self.lang = attributes.get("lang")
        elif tag == "img":
            self.images.append(attributes)
            for element in self.open:  # an image's alt names the link or button around it
                element.text.append(f" {attributes.get('alt') or ''} ")
        elif tag in {"input", "select", "textarea"}:
            self._field(tag, attributes)
        if tag in HEADINGS or tag in NAMED_BY_CONTENT:
            element = Element(tag, attributes)
            self.open.append(element)
            if tag in HEADINGS:
                self.headings.append((HEADINGS[tag], element))
            elif tag == "label":
                self.labels.append(element)
            elif tag == "button" or attributes.get("href") is not None:
                self.named.append(element)

    def _field(self, tag: str, attributes: dict[str, str | None]) -> None:
        kind = (attributes.get("type") or "text").lower() if tag == "input" else tag
        if kind in SELF_NAMED_INPUTS:
            if kind == "button":
                self.named.append(Element("input", attributes, [attributes.get("value") or ""]))
            elif kind == "image":
                self.named.append(Element("input", attributes, [attributes.get("alt") or ""]))
            return
        label = next((e for e in reversed(self.open) if e.tag == "label"), None)
        self.fields.append(FormField(tag, attributes, label))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text.append(data)

    # Judging ----------------------------------------------------------------------------

    def _refers_to_ids(self, value: str | None) -> bool:
        names = (value or "").split()
        return bool(names) and all(name in self.ids for name in names)

    def _has_own_name(self, attrs: dict[str, str | None]) -> bool:
        return bool((attrs.get("aria-label") or "").strip()) or self._refers_to_ids(
            attrs.get("aria-labelledby")
        )

    def problems(self, *, document: bool) -> list[str]:
        """Everything wrong with the page; `document` adds the whole-page rules."""
        found: list[str] = []
        if document:
            found += self._document_problems()
        labelled = {str(label.attrs.get("for")) for label in self.labels if label.content}
        for form_field in self.fields:
            attrs = form_field.attrs
            if attrs.get("id") in labelled or self._has_own_name(attrs):
                continue
            if form_field.enclosing_label is not None and form_field.enclosing_label.content:
                continue
            found.append(f"unlabelled <{form_field.tag}> {describe(attrs)}")
        for image in self.images:
            if "alt" not in image:
                found.append(f"<img> without alt {describe(image)}")
        for element in self.named:
            title = (element.attrs.get("title") or "").strip()
            if not (element.content or title or self._has_own_name(element.attrs)):
                found.append(
                    f"<{element.tag}> without an accessible name {describe(element.attrs)}"
                )
        found += [
            f"id {name!r}, which a label or aria attribute names, used {self.ids[name]} times"
            for name in sorted(self.referenced)
            if self.ids[name] > 1
        ]
        return found

    def _document_problems(self) -> list[str]:
        found = []
        if not (self.lang or "").strip():
            found.append("<html> has no lang")
        levels = [level for level, _ in self.headings]
        if levels.count(1) != 1:
            found.append(f"{levels.count(1)} <h1> elements, not exactly one")
        previous = 0
        for level, heading in self.headings:
            if previous == 0 and level > 1:
                found.append(f"the first heading is <h{level}> {heading.content!r}, not <h1>")
            elif level > previous + 1:
                found.append(f"<h{level}> {heading.content!r} follows <h{previous}>: skips a level")
            if not heading.content:
                found.append(f"empty <h{level}>")
            previous = level
        return found


def describe(attrs: dict[str, str | None]) -> str:
    """A short way to point at an element in a failure message."""
    keys = ("id", "name", "type", "href", "src", "class")
    return " ".join(f'{key}="{attrs[key]}"' for key in keys if attrs.get(key)) or "(no id)"


def check(html: str) -> list[str]:
    """The problems of one page (whole-page rules only when it is a whole document)."""
    checker = PageChecker()
    checker.feed(html)
    checker.close()
    return checker.problems(document=checker.has_html_element)


# --- The checker checks what it claims ---------------------------------------------------

GOOD_PAGE = """<!doctype html><html lang="en"><body>
<h1>Title</h1><h2>Part</h2><h3>Detail</h3><h2>Next part</h2>
<label for="q">Search</label><input id="q" name="q">
<label>Remember <input type="checkbox" name="remember"></label>
<select aria-label="Format"><option>CSV</option></select>
<span id="tl">Comment</span><textarea aria-labelledby="tl"></textarea>
<input type="hidden" name="csrf_token"><input type="submit">
<img src="a.png" alt=""><a href="/"><img src="logo.png" alt="Home"></a>
<a href="#top" aria-label="Back to top">↑</a><button title="Close">×</button>
</body></html>"""


def test_the_checker_passes_a_page_that_gets_the_basics_right():
    """Every accepted way to label a field or name a control passes."""
    assert check(GOOD_PAGE) == []


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<html><h1>T</h1></html>", "<html> has no lang"),
        ('<html lang="en"><h2>T</h2></html>', "0 <h1> elements, not exactly one"),
        ('<html lang="en"><h1>A</h1><h1>B</h1></html>', "2 <h1> elements, not exactly one"),
        ('<html lang="en"><h1>A</h1><h3>C</h3></html>', "<h3> 'C' follows <h1>: skips a level"),
        ('<html lang="en"><h2>B</h2><h1>A</h1></html>', "the first heading is <h2> 'B', not <h1>"),
        ('<html lang="en"><h1></h1></html>', "empty <h1>"),
        ('<input id="q" name="q">', 'unlabelled <input> id="q" name="q"'),
        ('<label for="x">Q</label><input id="q">', 'unlabelled <input> id="q"'),
        ('<label for="q"></label><input id="q">', 'unlabelled <input> id="q"'),
        ('<textarea aria-labelledby="gone"></textarea>', "unlabelled <textarea> (no id)"),
        ('<select name="s"></select>', 'unlabelled <select> name="s"'),
        ('<img src="a.png">', '<img> without alt src="a.png"'),
        ('<a href="/x"><img src="a.png" alt=""></a>', '<a> without an accessible name href="/x"'),
        ("<button> </button>", "<button> without an accessible name (no id)"),
        ('<input type="button">', '<input> without an accessible name type="button"'),
        (
            '<label for="f">A</label><input id="f"><label for="f">B</label><input id="f">',
            "id 'f', which a label or aria attribute names, used 2 times",
        ),
    ],
)
def test_the_checker_reports_each_kind_of_problem(html, problem):
    """Each rule fails a page that breaks it, with a message naming the element."""
    assert problem in check(html)


def test_fragments_are_not_held_to_whole_page_rules():
    """A fragment (no <html>) needs no lang or h1, but its fields still need labels."""
    assert check("<h2>Results</h2><p>None</p>") == []
    assert check('<input name="q">') == ['unlabelled <input> name="q"']


def test_a_repeated_id_nothing_points_at_is_not_reported():
    """Only ids that labels or aria attributes name must be unique for these rules."""
    assert check('<input type="hidden" id="id"><input type="hidden" id="id">') == []


# --- Every page of the app ---------------------------------------------------------------


@dataclass
class Crawl:
    """The HTML pages fetched, by "who url", and the URLs each visitor got a 200 for."""

    pages: dict[str, str] = field(default_factory=dict, repr=False)
    urls: set[str] = field(default_factory=set, repr=False)


def seed_users() -> None:
    """An admin (who may open every page) and a viewer who comments on the admin's article."""
    roles = {name: Role(name=name) for name in ("admin", "viewer")}
    for name, role in (("root", "admin"), ("ada", "viewer")):
        db.session.add(
            User(
                username=name,
                email=f"{name}@example.com",
                password_hash=hash_password(PASSWORD),
                roles=[roles[role]],
            )
        )
    db.session.commit()


def post_form(client: IsolatedClient, page: str, action: str, **data: object) -> TestResponse:
    """Submit a form at `action` with the CSRF token from `page`, as a browser does."""
    token = csrf_token_in(client.get(page).get_data(as_text=True))
    response = client.post(action, data={"csrf_token": token, **data})
    assert response.status_code == 303, (action, response.status_code)
    return response


def fill_the_app(admin: IsolatedClient, viewer: IsolatedClient) -> dict[str, str]:
    """Content through the real forms; returns the URLs of pages that need an argument."""
    published = post_form(
        admin,
        "/articles/new",
        "/articles/new",
        title="Accessible pages",
        description="Labels, headings and alt text",
        body="First paragraph.\n\nSecond paragraph.",
        tags="a11y, html",
    )
    article = published.location
    slug = article.rsplit("/", 1)[1]
    post_form(viewer, article, f"{article}/comments", body="Clear and short.")
    post_form(viewer, article, f"{article}/favorite")
    avatar = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(avatar, "PNG")
    avatar.seek(0)
    post_form(admin, "/uploads/", "/uploads/avatar", file=(avatar, "me.png"))
    export = post_form(admin, "/tasks/export", "/tasks/export", format="csv")
    return {
        "article": article,
        "edit": f"{article}/edit",
        "chat": f"/chat/{slug}",
        "task": export.location,
    }


def get_rules_without_arguments(app: Flask) -> list[str]:
    """Every GET URL of the app that needs no argument (static files aside)."""
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
        }
    )


def admin_record_pages() -> list[str]:
    """The admin's detail and edit pages of one row of each model."""
    ids = {
        "users": db.session.query(User.id).filter_by(username="root").scalar(),
        "roles": db.session.query(Role.id).filter_by(name="admin").scalar(),
        "articles": db.session.query(Article.id).scalar(),
        "comments": db.session.query(Comment.id).scalar(),
    }
    return [
        f"/admin/{view}/{page}/?id={row_id}"
        for view, row_id in ids.items()
        for page in ("details", "edit")
    ]


@pytest.fixture(scope="module")
def crawl(database_server: Engine | None, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """Fill a fresh app through its forms, then fetch every page anonymously and logged in."""
    tmp_path = tmp_path_factory.mktemp("accessibility")
    overrides: dict[str, object] = {
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "EXPORT_FOLDER": str(tmp_path / "exports"),
        # The deliberately crashing demo views answer with the 500 page instead of raising.
        "PROPAGATE_EXCEPTIONS": False,
    }
    if database_server is None:
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'pages.db'}"
    app = create_app("testing", **overrides)
    app.test_client_class = IsolatedClient
    result = Crawl()
    try:
        with app.app_context():
            db.create_all()
            seed_users()
        admin, viewer, anonymous = (app.test_client() for _ in range(3))
        for client, name in ((admin, "root"), (viewer, "ada")):
            assert AuthActions(client).login(f"{name}@example.com", PASSWORD).status_code == 303
        with_arguments = fill_the_app(admin, viewer)
        with app.app_context():
            record_pages = admin_record_pages()
        everywhere = [*get_rules_without_arguments(app), *with_arguments.values(), "/answers/Q001"]
        for who, client, urls in (
            ("anonymous", anonymous, everywhere),
            ("admin", admin, [*everywhere, *record_pages]),
            # A reader who is not the author sees other buttons (follow, delete own comment).
            ("viewer", viewer, list(with_arguments.values())),
        ):
            for url in urls:
                response = client.get(url, buffered=True)  # closes streamed bodies now
                if response.status_code == 200 and response.mimetype == "text/html":
                    result.pages[f"{who} {url}"] = response.get_data(as_text=True)
                    result.urls.add(url)
        # The fragments scripts fetch to update a page in place.
        for url in ("/partials/questions?page=2", "/answers/?q=blueprint"):
            response = anonymous.get(url, headers={"X-Requested-With": "XMLHttpRequest"})
            assert response.status_code == 200 and "<html" not in response.text, url
            result.pages[f"fragment {url}"] = response.text
        # The error page, as people meet it: refused, not found, and a crash.
        for who, client, url, status in (
            ("viewer", viewer, "/admin/", 403),
            ("admin", admin, "/no/such/page", 404),
            ("anonymous", anonymous, "/errors/crash", 500),
        ):
            response = client.get(url)
            assert response.status_code == status, (url, response.status_code)
            result.pages[f"{who} {url} ({status})"] = response.get_data(as_text=True)
    finally:
        with app.app_context():
            # On PostgreSQL these rows would outlive the per-test cleanup, which runs after
            # each test and so never saw this module-wide fixture use the database.
            if database_server is not None:
                with database_server.begin() as connection:
                    for table in reversed(db.metadata.sorted_tables):
                        connection.execute(table.delete())
            db.engine.dispose()
    return result


def test_every_page_that_matters_was_checked(crawl):
    """The crawl reached each page the basics must hold on (a renamed page cannot hide)."""
    assert crawl.urls >= REQUIRED_PAGES, sorted(REQUIRED_PAGES - crawl.urls)
    for kind in ("/articles/", "/chat/", "/tasks/", "/admin/users/edit/", "/admin/users/details/"):
        assert any(url.startswith(kind) and url != kind for url in crawl.urls), kind


def failures_in(pages: dict[str, str]) -> str:
    """Each page's problems, one per line, or "" when there are none."""
    lines = []
    for page, html in pages.items():
        if problems := check(html):
            lines += [f"{page}:", *(f"  {problem}" for problem in problems)]
    return "\n".join(lines)


def is_admin_page(key: str) -> bool:
    """True for Flask-Admin's pages ("admin /admin/users/"), not the site's 403 for /admin."""
    return key.split()[1].startswith("/admin") and "(403)" not in key


def test_the_site_s_pages_get_the_basics_right(crawl):
    """No page of the site has an unlabelled field, a skipped heading, an image without alt..."""
    site = {key: html for key, html in crawl.pages.items() if not is_admin_page(key)}
    report = failures_in(site)
    assert not report, f"\n{report}"


def test_the_admin_pages_get_the_basics_right(crawl):
    """Flask-Admin's pages, rendered with this project's views, meet the same basics."""
    admin = {key: html for key, html in crawl.pages.items() if is_admin_page(key)}
    assert len(admin) >= 13  # the index, four lists, four detail and four edit pages
    report = failures_in(admin)
    assert not report, f"\n{report}"


def test_the_pages_had_the_content_the_rules_are_about(crawl):
    """The checked pages really held images, labelled fields and headings below h1."""
    checkers = []
    for html in crawl.pages.values():
        checker = PageChecker()
        checker.feed(html)
        checkers.append(checker)
    assert sum(len(c.images) for c in checkers) >= 2  # the avatar on the profile and article
    assert sum(len(c.fields) for c in checkers) >= 30
    assert any(level == 3 for c in checkers for level, _ in c.headings)
    assert any(c.lang == "en" for c in checkers)
