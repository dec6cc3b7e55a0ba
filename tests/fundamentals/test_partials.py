"""Partial page updates (Q064): one URL answers a page, an HTML fragment or JSON."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from demo.answers.catalog import load_questions
from demo.fundamentals.partials import PAGE_SIZE

pytestmark = pytest.mark.answers("Q064")

URL = "/partials/questions"
FROM_SCRIPT = {"X-Requested-With": "XMLHttpRequest"}
ITEM = re.compile(r'<li id="question-(Q\d{3})">')
NEXT = re.compile(r'<a href="([^"]+)" rel="next" data-load-more>')


def test_a_browser_visit_gets_the_whole_page(client: FlaskClient):
    """A plain GET is a full HTML page: layout, the first page of items, a real "more" link."""
    response = client.get(URL)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.text
    assert html.startswith("<!doctype html>") and '<nav aria-label="Main">' in html
    assert ITEM.findall(html) == list(load_questions())[:PAGE_SIZE]
    assert NEXT.search(html).group(1) == f"{URL}?page=2"  # works without JavaScript
    assert re.search(r'<script src="/static/js/partials\.js" defer></script>', html)


@pytest.mark.parametrize(
    "headers", [FROM_SCRIPT, {"HX-Request": "true"}], ids=["fetch-or-xhr", "htmx"]
)
def test_a_script_request_gets_only_the_fragment(client: FlaskClient, headers: dict[str, str]):
    """With X-Requested-With or HX-Request the answer is just the items and the new pager."""
    response = client.get(f"{URL}?page=2", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    fragment = response.text
    assert "<html" not in fragment and '<nav aria-label="Main">' not in fragment
    assert fragment.lstrip().startswith('<ol class="question-list" start="11">')
    assert ITEM.findall(fragment) == list(load_questions())[PAGE_SIZE : 2 * PAGE_SIZE]
    assert NEXT.search(fragment).group(1) == f"{URL}?page=3"
    assert 'rel="prev"' not in fragment  # appended pages need no way back


def test_fragment_and_page_share_the_same_markup(client: FlaskClient):
    """Each item of the fragment appears verbatim in the full page: one template renders both."""
    page = client.get(f"{URL}?page=3").text
    fragment = client.get(f"{URL}?page=3", headers=FROM_SCRIPT).text
    items = re.findall(r"<li [^>]*>.*?</li>", fragment)
    assert len(items) == PAGE_SIZE
    assert all(item in page for item in items)
    assert 'rel="prev"' in page  # a full page of page 3 links back


def test_json_clients_get_the_same_page_as_data(client: FlaskClient):
    """`Accept: application/json` returns the items and the next page's URL as JSON."""
    response = client.get(f"{URL}?page=2", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    questions = list(load_questions().values())[PAGE_SIZE : 2 * PAGE_SIZE]
    assert response.json == {
        "page": 2,
        "questions": [{"id": q.id, "section": q.section, "text": q.text} for q in questions],
        "next": f"{URL}?page=3",
    }


def test_responses_say_which_headers_choose_the_representation(client: FlaskClient):
    """Every representation carries Vary, so a cache never hands a fragment to a browser."""
    for headers in ({}, FROM_SCRIPT, {"Accept": "application/json"}):
        vary = client.get(URL, headers=headers).vary
        assert {"Accept", "X-Requested-With", "HX-Request"} <= set(vary), headers


def test_following_more_links_as_fragments_reaches_every_question_once(client: FlaskClient):
    """Appending fragment after fragment builds the whole list, ending without a "more" link."""
    seen: list[str] = []
    url: str | None = URL
    while url:
        fragment = client.get(url, headers=FROM_SCRIPT).text
        seen += ITEM.findall(fragment)
        more = NEXT.search(fragment)
        url = more.group(1) if more else None
    assert seen == list(load_questions())
    assert "That was the last question." in fragment
    last = client.get(f"{URL}?page=18", headers={"Accept": "application/json"}).json
    assert last["next"] is None


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5", "١"])
def test_a_malformed_page_number_is_a_400(client: FlaskClient, page: str):
    """A page that is not a whole number from 1 is a 400: an HTML page, or JSON for JSON clients."""
    response = client.get(URL, query_string={"page": page})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "page must be a whole number from 1." in response.text
    as_json = client.get(URL, query_string={"page": page}, headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    assert as_json.json == {"errors": {"body": ["page must be a whole number from 1."]}}


def test_a_page_past_the_end_is_a_404(client: FlaskClient):
    """Page 19 of 172 questions (10 per page) does not exist."""
    response = client.get(f"{URL}?page=19", headers=FROM_SCRIPT)
    assert response.status_code == 404
    assert "There is no page 19." in response.text


def test_the_script_asks_for_the_fragment_and_swaps_it_in(client: FlaskClient):
    """partials.js sends the header the view checks and parses the reply without running it."""
    with client.get("/static/js/partials.js") as script:
        assert script.status_code == 200
        source = script.text
    assert '"X-Requested-With": "XMLHttpRequest"' in source
    assert "DOMParser" in source and "innerHTML" not in source
    assert "window.location.assign(link.href)" in source  # falls back to the full page
