"""Security headers on every response, one test per header (Q096, Q154).

Every header is checked on six kinds of response: an HTML page, JSON, a redirect, a static
file, a 404 page and a refused (400) form post, because `after_request` must cover them all.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from demo.security import CONTENT_SECURITY_POLICY
from tests.support.accounts import AuthActions

DATA_BLOCK = "application/json"
STRONG_SECRETS = {"SECRET_KEY": "s" * 64, "JWT_SECRET_KEY": "j" * 64}

REQUESTS = {
    "html page": ("GET", "/auth/login"),
    "json": ("GET", "/auth/session"),
    "redirect": ("GET", "/auth/profile"),
    "static file": ("GET", "/static/site.css"),
    "404 page": ("GET", "/no/such/page"),
    "refused post": ("POST", "/auth/logout"),
}

# Pages that together use every template feature; each is also checked for CSP compliance.
PAGES = [
    "/",
    "/answers/",
    "/answers/Q001",
    "/auth/login",
    "/auth/register",
    "/auth/profile",
    "/basics/about",
    "/contexts/",
    "/errors/",
    "/request/contact",
    "/routing/",
    "/routing/greeting",
    "/templates/",
    "/templates/feedback",
    "/templates/search?q=flask",
    "/no/such/page",
]


@pytest.fixture(params=list(REQUESTS))
def response(request, new_client):
    """One response of each kind from the testing app."""
    method, path = REQUESTS[request.param]
    with new_client().open(path, method=method) as response:  # closes the static file
        yield response


@pytest.fixture
def production(make_app):
    """The production configuration, with an in-memory database and session store."""
    return make_app(
        "production",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SESSION_BACKEND="cookie",
        **STRONG_SECRETS,
    )


@pytest.mark.answers("Q154", "Q096")
def test_content_security_policy(response):
    """Same-origin resources only, no plugins, no <base> tricks, forms to us, never framed."""
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives == {
        "default-src": "'self'",
        "img-src": "'self' https:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.answers("Q154", "Q096")
def test_x_content_type_options(response):
    """nosniff: the declared Content-Type is final, so data is never run as script."""
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.answers("Q154", "Q096")
def test_x_frame_options(response):
    """DENY: no framing (clickjacking) for browsers that predate frame-ancestors."""
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.answers("Q154", "Q096")
def test_referrer_policy(response):
    """Other sites learn the origin at most, never the path or query of our pages."""
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.answers("Q154")
def test_no_hsts_outside_production(response):
    """A development server on plain HTTP must not pin browsers to HTTPS for a year."""
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.answers("Q154", "Q096")
def test_hsts_in_production(production):
    """Production: HTTPS only, for a year, subdomains included; the other headers too."""
    client = production.test_client()
    for path in ("/auth/login", "/no/such/page", "/static/site.css"):
        with client.get(path, base_url="https://flaskproof.example") as response:
            headers = response.headers
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.answers("Q154")
def test_a_view_may_set_its_own_policy(make_app):
    """The hook only fills in missing headers; a view's own value wins."""
    app = make_app()

    @app.get("/embeddable")
    def embeddable() -> tuple[str, dict[str, str]]:
        return "widget", {"Content-Security-Policy": "frame-ancestors https://partner.example"}

    headers = app.test_client().get("/embeddable").headers
    assert headers["Content-Security-Policy"] == "frame-ancestors https://partner.example"
    assert headers["X-Content-Type-Options"] == "nosniff"


class _InlineCodeFinder(HTMLParser):
    """Collects what `default-src 'self'` would block: inline scripts, styles, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        # A JSON data block is never executed, so the policy does not apply to it.
        if tag == "script" and "src" not in attributes and attributes.get("type") != DATA_BLOCK:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")
            if tag in ("script", "link", "iframe") and re.match(r"^(https?:)?//", value or ""):
                self.problems.append(f"off-site {tag} {value}")


@pytest.mark.answers("Q154")
def test_our_pages_have_nothing_the_policy_would_block(new_client, make_user):
    """No inline script, style or handler, and no third-party script in any template."""
    make_user("ada")
    browser = new_client()
    AuthActions(browser).login()
    index = browser.get("/templates/").get_data(as_text=True)
    articles = re.findall(r'href="(/templates/articles/[^"]+)"', index)
    assert articles, "the templating demo links to its article pages"
    checked = 0
    for path in [*PAGES, articles[0]]:
        response = browser.get(path, follow_redirects=True)
        assert response.status_code < 500, path
        if response.mimetype != "text/html":
            continue
        finder = _InlineCodeFinder()
        finder.feed(response.get_data(as_text=True))
        assert finder.problems == [], path
        checked += 1
    assert checked >= len(PAGES) - 2


@pytest.mark.answers("Q154")
def test_the_page_check_spots_what_the_policy_blocks():
    """The checker above really fails on inline code and third-party scripts."""
    finder = _InlineCodeFinder()
    finder.feed(
        '<script type="application/json">{"ok": true}</script>'
        '<script>alert(1)</script><p style="color:red" onclick="go()">x</p>'
        '<script src="https://cdn.example/lib.js"></script><a href="javascript:go()">y</a>'
    )
    assert finder.problems == [
        "inline <script>",
        "style attribute on <p>",
        "onclick handler on <p>",
        "off-site script https://cdn.example/lib.js",
        "javascript: URL on <a>",
    ]
