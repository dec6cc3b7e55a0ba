"""XSS: what autoescaping stops, where it needs help, and how it gets switched off by mistake.

The tests named `..._anti_pattern` show code that must not be written: they pass because the
payload gets through.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import render_template_string
from markupsafe import Markup

pytestmark = pytest.mark.answers("Q094")

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def search(client, query: str) -> str:
    """The search page's HTML for a query typed by the user."""
    return client.get("/templates/search", query_string={"q": query}).get_data(as_text=True)


def test_user_input_in_page_text_is_escaped(client):
    """A <script> typed into the search box is echoed back as text, not as an element."""
    html = search(client, PAYLOAD)
    assert PAYLOAD not in html
    assert f"for “{ESCAPED}”</h2>" in html


def test_quoted_attribute_keeps_input_inside_its_value(client):
    """Escaped quotes cannot end value="…", so an injected event handler stays inert text."""
    html = search(client, '" autofocus onfocus="alert(1)')
    assert 'value="&#34; autofocus onfocus=&#34;alert(1)"' in html
    assert 'onfocus="alert' not in html


def test_unquoted_attribute_anti_pattern(app):
    """Escaping cannot stop a space from ending an unquoted attribute: always quote them."""
    with app.test_request_context():
        html = render_template_string("<input value={{ q }}>", q="x autofocus onfocus=alert(1)")
    assert html == "<input value=x autofocus onfocus=alert(1)>"


def test_javascript_url_anti_pattern(app):
    """HTML escaping leaves a javascript: URL intact; user-supplied links need a scheme check."""
    with app.test_request_context():
        html = render_template_string('<a href="{{ url }}">me</a>', url="javascript:alert(1)")
    assert html == '<a href="javascript:alert(1)">me</a>'


def test_tojson_keeps_input_inside_its_script_element(client):
    """`|tojson` escapes <, > and & so "</script>" in the data cannot end the script block."""
    attack = "</script><script>alert(1)</script>"
    html = search(client, attack)

    assert "</script><script>alert(1)" not in html
    # What a browser sees as the block's content: everything up to the first "</script>".
    block = re.search(r'id="search-data">(.*?)</script>', html, re.DOTALL)
    assert block
    assert "\\u003c/script\\u003e" in block.group(1)
    assert json.loads(block.group(1))["query"] == attack


def test_json_dumps_marked_safe_in_a_script_anti_pattern(app):
    """`json.dumps(...)|safe` inside <script> lets "</script>" close the element early."""
    attack = "</script><script>alert(1)</script>"
    with app.test_request_context():
        html = render_template_string(
            "<script>const q = {{ data|safe }};</script>", data=json.dumps(attack)
        )
    assert "</script><script>alert(1)</script>" in html


def test_safe_markup_and_autoescape_false_anti_pattern(app):
    """`|safe`, `Markup(user_input)` and `{% autoescape false %}` all send the payload live."""
    with app.test_request_context():
        assert render_template_string("{{ q|safe }}", q=PAYLOAD) == PAYLOAD
        assert render_template_string("{{ q }}", q=Markup(PAYLOAD)) == PAYLOAD
        assert (
            render_template_string("{% autoescape false %}{{ q }}{% endautoescape %}", q=PAYLOAD)
            == PAYLOAD
        )


def test_markup_format_escapes_the_values_it_interpolates():
    """To build HTML in Python, format values into a Markup template; never wrap an f-string."""
    assert Markup("<em>{}</em>").format(PAYLOAD) == f"<em>{ESCAPED}</em>"
    assert Markup(", ").join([PAYLOAD, "ok"]) == f"{ESCAPED}, ok"
    # The f-string has already inlined the payload before Markup vouches for it.
    assert Markup(f"<em>{PAYLOAD}</em>") == f"<em>{PAYLOAD}</em>"


@pytest.mark.answers("Q158")
def test_flashed_user_input_is_escaped_on_the_next_page(client):
    """A name containing markup reaches the flash message as text after the redirect."""
    response = client.post(
        "/templates/feedback",
        data={"name": PAYLOAD, "message": "hi"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert f"Thanks for your feedback, {ESCAPED}!" in html
    assert PAYLOAD not in html


def test_error_pages_escape_the_input_they_echo(client):
    """A 404 that repeats the requested slug repeats it escaped."""
    response = client.get("/templates/articles/<img src=x onerror=alert(1)>")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
