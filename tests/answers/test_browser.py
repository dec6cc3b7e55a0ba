"""The answers browser: search, highlighted source of code and tests, try links, safe HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

import demo.answers.routes as answer_routes
import demo.answers.source as answer_source
from demo.answers.catalog import CATALOG_FILE, load_catalog, parse_catalog, search
from demo.answers.render import curl_command
from demo.answers.source import SourceUnavailable, locate_reference, locate_test

# A word of Q042's explanation that its question does not contain.
ANSWER_WORD = "_login_user"


class PageStructure(HTMLParser):
    """Collects what the accessibility basics are about: headings, form fields, labels, images."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.fields: list[dict[str, str | None]] = []
        self.label_targets: set[str] = set()
        self.images: list[dict[str, str | None]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(attributes["id"] or "")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.headings.append(int(tag[1]))
        elif tag in {"input", "select", "textarea"} and attributes.get("type") not in {
            "hidden",
            "submit",
        }:
            self.fields.append(attributes)
        elif tag == "label" and attributes.get("for"):
            self.label_targets.add(attributes["for"] or "")
        elif tag == "img":
            self.images.append(attributes)


def structure(html: str) -> PageStructure:
    """Parse a page into its `PageStructure`."""
    parser = PageStructure()
    parser.feed(html)
    return parser


def test_search_finds_a_question_by_a_word_of_its_answer(client: FlaskClient):
    """`?q=` matches the explanation, not only the question, and leaves other answers out."""
    catalog = load_catalog()
    assert ANSWER_WORD not in catalog["Q042"].question
    response = client.get("/answers/", query_string={"q": ANSWER_WORD})
    assert response.status_code == 200
    html = response.text
    assert 'href="/answers/Q042"' in html
    assert f"{len(search(catalog, ANSWER_WORD))} answer" in html
    unrelated = [qid for qid in catalog if qid not in search(catalog, ANSWER_WORD)]
    assert unrelated and all(f'href="/answers/{qid}"' not in html for qid in unrelated)


def test_search_needs_every_word_and_ignores_case(client: FlaskClient):
    """Two words narrow the results; a word no answer contains finds nothing, politely."""
    both = client.get("/answers/?q=SESSION+Login_User").text
    assert 'href="/answers/Q042"' in both
    nothing = client.get("/answers/?q=xylophone-quartz")
    assert nothing.status_code == 200
    assert "0 answers matching “xylophone-quartz”" in nothing.text
    assert 'href="/answers/Q' not in nothing.text


def test_script_requests_get_only_the_results_fragment(client: FlaskClient):
    """The search script's fetch (X-Requested-With) gets the results without the page."""
    plain = client.get("/answers/?q=sticky")
    fragment = client.get("/answers/?q=sticky", headers={"X-Requested-With": "XMLHttpRequest"})
    assert fragment.status_code == 200
    assert "<html" in plain.text and "<html" not in fragment.text
    assert 'href="/answers/Q110"' in fragment.text
    assert "X-Requested-With" in plain.vary and "X-Requested-With" in fragment.vary


def test_an_overlong_search_is_a_400_page(client: FlaskClient):
    """A query over 200 characters is refused with a clear 400 HTML page, not searched."""
    response = client.get("/answers/", query_string={"q": "x" * 201})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "at most 200 characters" in response.text


def test_index_groups_answers_by_section_with_anchors(client: FlaskClient):
    """Each section heading and each question has an anchor to link to."""
    html = client.get("/answers/").text
    assert '<section class="answers-section" id="sessions-authentication--authorization">' in html
    assert 'id="Q042"' in html and 'href="#Q042"' in html
    assert html.index('id="flask-basics"') < html.index('id="routing--views"')


def test_answer_page_highlights_the_referenced_code(client: FlaskClient):
    """The code an answer cites is read from its file and highlighted with Pygments spans."""
    block = locate_reference("demo.auth.routes:session_info")
    html = client.get("/answers/Q042").text
    assert '<div class="highlight">' in html
    assert '<span class="nf">session_info</span>' in html
    assert f"<code>{block.path}</code>,\n      lines {block.start}–{block.end}" in html
    assert f'<span class="linenos">{block.start}</span>' in html
    # Installed code is shown too, marked as such.
    assert "<code>flask/globals.py</code>" in html and "(installed package)" in html


def test_answer_page_shows_the_source_of_its_tests(client: FlaskClient):
    """Each proving test is shown with its own source, found by node id in the tests tree."""
    answer = load_catalog()["Q042"]
    html = client.get("/answers/Q042").text
    for node_id in answer.tests:
        name = node_id.rsplit("::", 1)[-1]
        block = locate_test(node_id)
        assert f'<span class="nf">{name}</span>' in html
        assert f"<code>{block.path}</code>" in html


def test_without_the_checkout_test_source_is_not_available(client, monkeypatch):
    """Installed without the tests/ tree, the page says so instead of failing."""
    monkeypatch.setattr(answer_source, "project_root", lambda: None)
    response = client.get("/answers/Q042")
    assert response.status_code == 200
    assert "Test source not available" in response.text
    assert '<span class="nf">session_info</span>' in response.text  # the app's code still is


def test_answer_page_offers_try_links_and_curl_lines(client: FlaskClient):
    """Each `try` URL is a link and a ready curl line with the absolute URL of this host."""
    html = client.get("/answers/Q042", base_url="http://answers.test").text
    assert '<a href="/auth/session">/auth/session</a>' in html
    assert "<code>curl -i http://answers.test/auth/session</code>" in html
    # curl would expand {} and [] as URL globs without -g; the shell must not see a bare &.
    assert curl_command("http://h/", "/api/graphql?query={tags{name}}") == (
        "curl -i -g 'http://h/api/graphql?query={tags{name}}'"
    )
    assert curl_command("http://h/", "/a?x=1&y=2") == "curl -i 'http://h/a?x=1&y=2'"


def test_catalog_text_cannot_inject_html(client, monkeypatch):
    """A <script> or a javascript: link in the catalog text is escaped, never markup."""
    entry = CATALOG_FILE.read_text(encoding="utf-8")
    start = entry.index("[Q042]")
    end = entry.index("\n[Q", start + 1)
    hostile = entry[start:end].replace(
        'short = """\n',
        'short = """\n<script>alert("short")</script> [click](javascript:alert(1)) ',
        1,
    )
    hostile = hostile.replace('long = """\n', 'long = """\n<img src=x onerror=alert(1)>\n\n', 1)
    catalog = parse_catalog(hostile)
    monkeypatch.setattr(answer_routes, "load_catalog", lambda: catalog)

    for url in ("/answers/Q042", "/answers/", "/answers/?q=alert"):
        html = client.get(url).text
        assert '<script>alert("short")</script>' not in html, url
        assert "&lt;script&gt;alert(&quot;short&quot;)&lt;/script&gt;" in html, url
        assert 'href="javascript:' not in html, url
    assert "<img src=x" not in client.get("/answers/Q042").text


@pytest.mark.parametrize("url", ["/answers/", "/answers/?q=session", "/answers/Q042"])
def test_pages_meet_the_accessibility_basics(client: FlaskClient, url: str):
    """Headings start at h1 and never skip a level; fields have labels; images have alt text."""
    page = structure(client.get(url).text)
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings
    for field in page.fields:
        assert field.get("id") in page.label_targets or field.get("aria-label"), field
    assert all(image.get("alt") is not None for image in page.images)
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"


def test_search_field_is_labelled_and_works_without_script(client: FlaskClient):
    """The search is a plain GET form with a visible label; the script only enhances it."""
    html = client.get("/answers/").text
    assert '<label for="answers-q">Search the answers</label>' in html
    assert 'method="get"' in html and 'name="q"' in html
    script = client.get("/static/js/answers-search.js")
    assert script.status_code == 200
    assert "X-Requested-With" in script.text  # the header the server answers with a fragment
    script.close()


def test_stylesheet_carries_the_highlighting_styles(client: FlaskClient):
    """/answers/answers.css is CSS with the Pygments classes the code blocks use."""
    response = client.get("/answers/answers.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert ".highlight .k " in response.text and ".status-passed" in response.text


def test_every_code_reference_and_test_has_source_to_show():
    """Every code reference and every test the catalog names can be shown from its source."""
    missing = []
    for qid, answer in load_catalog().items():
        for reference in answer.code:
            try:
                assert locate_reference(reference).text.strip()
            except SourceUnavailable as exc:
                missing.append(f"{qid}: {exc}")
        for node_id in answer.tests:
            try:
                assert locate_test(node_id).text.lstrip().startswith(("def ", "async def ", "@"))
            except SourceUnavailable as exc:
                missing.append(f"{qid}: {exc}")
    assert not missing, "\n".join(missing)
