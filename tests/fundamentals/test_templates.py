"""Templates and Jinja2: rendering, context, inheritance, filters, url_for, forms."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from flask import Flask, g, render_template, render_template_string, session, template_rendered
from werkzeug.routing import BuildError

from demo.fundamentals.template_helpers import highlight, is_external, pluralize, static_url
from demo.fundamentals.templating import ARTICLES, find_article, validate_feedback

ARTICLE_URL = "/templates/articles/escaping-by-default"


@pytest.fixture
def rendered(app: Flask) -> Iterator[list[tuple[jinja2.Template, dict[str, Any]]]]:
    """(template, context) for every template the app renders while the test runs."""
    records: list[tuple[jinja2.Template, dict[str, Any]]] = []

    def record(sender: Flask, template: jinja2.Template, context: dict[str, Any], **extra: Any):
        records.append((template, context))

    with template_rendered.connected_to(record, app):
        yield records


def json_island(html: str, element_id: str) -> Any:
    """Parse the `<script type="application/json">` block with this id, as page JS would."""
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.DOTALL
    )
    assert match, f"no #{element_id} data block"
    return json.loads(match.group(1))


# -- What templates are, and Jinja2 (Q024, Q025) -----------------------------------------------


@pytest.mark.answers("Q024")
def test_a_template_is_a_file_of_markup_with_placeholders_filled_per_render(app):
    """One template file on disk, found by the app's loader, renders different HTML per context."""
    assert {"base.html", "fundamentals/templating_article.html"} <= set(
        app.jinja_env.list_templates()
    )
    source, filename, _ = app.jinja_env.loader.get_source(
        app.jinja_env, "fundamentals/templating_article.html"
    )
    assert "{{ article.title }}" in source
    assert Path(filename).parts[-4:-1] == ("fundamentals", "templates", "fundamentals")

    with app.test_request_context(ARTICLE_URL):
        first, second = (
            render_template("fundamentals/templating_article.html", article=article)
            for article in ARTICLES[:2]
        )
    assert "<h2>Template Inheritance in Practice</h2>" in first
    assert "<h2>Escaping by Default</h2>" in second


@pytest.mark.answers("Q025")
def test_jinja_compiles_a_template_to_python_once_and_caches_it(app):
    """Jinja turns template source into Python code; the compiled template is cached."""
    python_source = app.jinja_env.compile("Hello {{ name|title }}!", raw=True)
    assert "def root(context" in python_source
    assert "environment.filters['title']" in python_source

    name = "fundamentals/templating_article.html"
    assert app.jinja_env.get_template(name) is app.jinja_env.get_template(name)
    assert isinstance(app.jinja_env, jinja2.Environment)


@pytest.mark.answers("Q025", "Q094")
def test_flask_autoescapes_html_templates_but_not_text_ones(app):
    """Flask's Jinja setup escapes .html/.xml/.svg templates and strings, never .txt."""
    assert app.jinja_env.autoescape("page.html") is True
    assert app.jinja_env.autoescape("feed.xml") is True
    assert app.jinja_env.autoescape("icon.svg") is True
    assert app.jinja_env.autoescape("email.txt") is False
    with app.test_request_context():
        assert render_template_string("{{ value }}", value="<b>") == "&lt;b&gt;"


@pytest.mark.answers("Q025", "Q027")
def test_every_template_sees_request_session_g_config_and_url_for(app):
    """Flask adds request, session, g, config, url_for and get_flashed_messages to every context."""
    expected = {"request", "session", "g", "config", "url_for", "get_flashed_messages"}
    assert expected <= app.jinja_env.globals.keys()
    with app.test_request_context("/anywhere?who=Ada"):
        g.theme = "dark"
        session["visits"] = 3
        html = render_template_string(
            "{{ request.args.who }}|{{ session.visits }}|{{ g.theme }}|{{ config.CONFIG_NAME }}"
            "|{{ url_for('fundamentals.templating_index') }}|{{ get_flashed_messages() }}"
        )
    assert html == "Ada|3|dark|testing|/templates/|[]"


# -- render_template and the data it receives (Q026, Q027) -------------------------------------


@pytest.mark.answers("Q026", "Q027")
def test_view_renders_the_named_template_with_its_context(client, rendered):
    """The article view renders exactly one named template, with the article in its context."""
    response = client.get(ARTICLE_URL)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.mimetype_params["charset"] == "utf-8"
    [(template, context)] = rendered
    assert template.name == "fundamentals/templating_article.html"
    assert context["article"] is find_article("escaping-by-default")
    # Added by Flask's and the blueprint's context processors, not by the view.
    assert {"request", "g", "templating_pages"} <= context.keys()
    assert b"<h2>Escaping by Default</h2>" in response.data


@pytest.mark.answers("Q027")
def test_context_processor_supplies_the_section_navigation(client):
    """The blueprint's context processor feeds the layout's nav on every page of the section."""
    for url in ("/templates/", ARTICLE_URL, "/templates/feedback"):
        html = client.get(url).get_data(as_text=True)
        assert '<a href="/templates/search">Search</a>' in html, url


@pytest.mark.answers("Q027")
def test_a_missing_variable_renders_as_an_empty_string(app):
    """Jinja's default Undefined prints nothing, so a misspelt name or attribute fails silently."""
    with app.test_request_context():
        assert render_template_string("[{{ artcle }}]", article=ARTICLES[0]) == "[]"
        assert render_template_string("[{{ article.titel }}]", article=ARTICLES[0]) == "[]"
        # Only going one step further (an attribute of the undefined value) raises.
        with pytest.raises(jinja2.UndefinedError, match="'artcle' is undefined"):
            render_template_string("{{ artcle.title }}", article=ARTICLES[0])


# -- Inheritance (Q028) -------------------------------------------------------------------------


@pytest.mark.answers("Q028")
def test_child_extends_a_layout_that_extends_base(client):
    """base.html > section layout > article: each level's blocks land in order, super() chains."""
    html = client.get(ARTICLE_URL).get_data(as_text=True)

    assert "<title>Escaping by Default – Templates · flaskproof</title>" in html
    parts = [
        '<nav aria-label="Main">',  # base.html
        "<h1>Templates &amp; Jinja2</h1>",  # layout
        "<h2>Escaping by Default</h2>",  # child's page block
        "<p>Every page of this section extends this layout",  # layout's aside via super()
        "keeps its text with <code>super()</code>",  # child's addition to the aside
        "<footer>",  # base.html
    ]
    positions = [html.index(part) for part in parts]
    assert positions == sorted(positions)


@pytest.mark.answers("Q028")
def test_a_block_the_child_does_not_override_keeps_the_parent_content(client):
    """The list page leaves the aside alone, so only the layout's default text appears there."""
    html = client.get("/templates/").get_data(as_text=True)
    aside = html[html.index('<aside class="layout-aside">') : html.index("</aside>")]
    assert "Every page of this section extends this layout" in aside
    assert "super()" not in aside


# -- Filters and tests, built in and custom (Q029, Q157) --------------------------------------


@pytest.mark.answers("Q029")
def test_builtin_filters_format_the_article_list(client):
    """title, join, default(…, true), truncate and length-style output appear in the page."""
    html = client.get("/templates/").get_data(as_text=True)

    assert "by Ada Lovelace · jinja, layouts" in html  # |title, |join
    assert html.count('<p class="bio">No bio yet.</p>') == 2  # None and "" both defaulted
    summary = ARTICLES[0].body
    assert summary not in html
    assert "A base template defines the page skeleton and named blocks; child templates..." in html


@pytest.mark.answers("Q029")
def test_default_filter_replaces_only_undefined_unless_asked(app):
    """`|default` leaves None and "" alone; `|default(x, true)` replaces every falsy value."""
    template = "[{{ v|default('-') }}][{{ v|default('-', true) }}][{{ nope|default('-') }}]"
    with app.test_request_context():
        assert render_template_string(template, v=None) == "[None][-][-]"
        assert render_template_string(template, v="") == "[][-][-]"


@pytest.mark.answers("Q157")
def test_custom_filters_tests_and_globals_are_registered_app_wide(app):
    """The blueprint's app_template_* decorators put the helpers on the app's Jinja env."""
    assert app.jinja_env.filters["pluralize"] is pluralize
    assert app.jinja_env.filters["highlight"] is highlight
    assert app.jinja_env.tests["external"] is is_external
    assert app.jinja_env.globals["static_url"] is static_url
    # Usable from any template, not only the blueprint's own.
    with app.test_request_context():
        html = render_template_string(
            "{{ 2|pluralize('reply', 'replies') }}; {{ 'https://example.org/' is external }}"
        )
    assert html == "2 replies; True"


@pytest.mark.answers("Q157", "Q029")
@pytest.mark.parametrize(
    ("count", "args", "expected"),
    [
        (0, ("comment",), "0 comments"),
        (1, ("comment",), "1 comment"),
        (12, ("comment",), "12 comments"),
        (1, ("person", "people"), "1 person"),
        (3, ("person", "people"), "3 people"),
    ],
)
def test_pluralize_filter(count, args, expected):
    """`pluralize` keeps the singular for exactly one and uses the given or regular plural."""
    assert pluralize(count, *args) == expected


@pytest.mark.answers("Q157", "Q029")
def test_pluralize_filter_counts_comments_in_the_page(client):
    """The list page shows each article's comment count through the custom filter."""
    html = client.get("/templates/").get_data(as_text=True)
    for text in ("1 comment</a>", "0 comments</a>", "12 comments</a>"):
        assert text in html


@pytest.mark.answers("Q157", "Q094")
def test_highlight_filter_marks_matches_and_escapes_everything_else(app):
    """`highlight` returns Markup whose only tags are its own <mark> elements."""
    assert str(highlight("Filters & Tests", "tests")) == "Filters &amp; <mark>Tests</mark>"
    assert str(highlight("a <b>bold</b> claim", "<b>")) == (
        "a <mark>&lt;b&gt;</mark>bold&lt;/b&gt; claim"
    )
    # "amp" must not match inside the entity that escaping creates.
    assert str(highlight("Q&A", "amp")) == "Q&amp;A"
    assert str(highlight("<i>", "")) == "&lt;i&gt;"
    with app.test_request_context():
        html = render_template_string("{{ title|highlight(q) }}", title="Filters & Tests", q="&")
    assert html == "Filters <mark>&amp;</mark> Tests"


@pytest.mark.answers("Q157", "Q029")
def test_search_page_highlights_the_query_in_titles(client):
    """Search results run each title through the custom `highlight` filter."""
    html = client.get("/templates/search", query_string={"q": "tests"}).get_data(as_text=True)
    assert "Filters &amp; <mark>Tests</mark></a>" in html
    assert "<h2>1 result for “tests”</h2>" in html


@pytest.mark.answers("Q157")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://jinja.palletsprojects.com/", True),
        ("http://example.org/page", True),
        ("//cdn.example.org/lib.js", True),
        ("/templates/search?q=x", False),
        ("search", False),
        ("mailto:team@example.org", False),
        ("javascript:alert(1)", False),
        ("http://localhost/templates/", False),  # the host serving this request
    ],
)
def test_external_test_tells_links_that_leave_the_site(app, url, expected):
    """`is external` is true only for http(s) or scheme-relative URLs to another host."""
    with app.test_request_context(base_url="http://localhost"):
        assert render_template_string("{{ url is external }}", url=url) == str(expected)


@pytest.mark.answers("Q157")
def test_external_links_get_rel_external_in_the_article(client):
    """The article template uses the custom test to mark its off-site source link."""
    html = client.get(ARTICLE_URL).get_data(as_text=True)
    assert (
        '<a class="source" href="https://owasp.org/www-community/attacks/xss/" '
        'rel="external noopener">Source</a>'
    ) in html


@pytest.mark.answers("Q029", "Q157")
def test_an_unknown_filter_or_test_fails_when_the_template_compiles(app):
    """Filters and tests are looked up when Jinja compiles the template, before it renders."""
    with pytest.raises(jinja2.TemplateAssertionError, match="No filter named 'timeago'"):
        app.jinja_env.from_string("{{ when|timeago }}")
    with pytest.raises(jinja2.TemplateAssertionError, match="No test named 'recent'"):
        app.jinja_env.from_string("{{ when is recent }}")


# -- url_for in templates (Q030) ---------------------------------------------------------------


@pytest.mark.answers("Q030")
def test_url_for_builds_links_from_endpoints_and_arguments(client):
    """Links in the pages come from endpoints: path arguments, query strings, anchors, _external."""
    listing = client.get("/templates/").get_data(as_text=True)
    assert '<a href="/templates/articles/filters-and-tests">Filters &amp; Tests</a>' in listing
    assert 'href="/templates/articles/filters-and-tests#comments"' in listing
    assert 'href="/templates/search?q=filters+%26+tests"' in listing

    article = client.get(ARTICLE_URL).get_data(as_text=True)
    assert f'class="permalink" href="http://localhost{ARTICLE_URL}"' in article
    assert '<a href="/templates/search?q=security">security</a>' in article


@pytest.mark.answers("Q030")
def test_a_link_to_a_missing_endpoint_or_argument_fails_the_render(app):
    """A typo in an endpoint or a missing argument raises BuildError instead of a dead link."""
    with app.test_request_context():
        with pytest.raises(BuildError):
            render_template_string("{{ url_for('fundamentals.templating_articel', slug='x') }}")
        with pytest.raises(BuildError):
            render_template_string("{{ url_for('fundamentals.templating_article') }}")


@pytest.mark.answers("Q030")
def test_links_follow_the_mount_point_of_the_app(client):
    """Mounted under /shop (SCRIPT_NAME), url_for links gain the prefix; literals would not."""
    html = client.get("/templates/", base_url="http://localhost/shop").get_data(as_text=True)
    assert 'href="/shop/static/site.css"' in html
    assert 'href="/shop/templates/articles/template-inheritance"' in html
    assert 'href="/templates/' not in html


@pytest.mark.answers("Q030", "Q157")
def test_static_url_versions_a_file_by_its_content(app, tmp_path):
    """`static_url` appends a content hash that changes with the file; the file is still served."""
    site_css = Path(app.static_folder, "site.css")
    with app.test_request_context():
        expected = hashlib.sha256(site_css.read_bytes()).hexdigest()[:12]
        assert render_template_string("{{ static_url('site.css') }}") == (
            f"/static/site.css?v={expected}"
        )
        assert static_url("missing.css") == "/static/missing.css"

    app.static_folder = str(tmp_path)
    script = tmp_path / "app.js"
    script.write_text("console.log(1);")
    with app.test_request_context():
        first = static_url("app.js")
    script.write_text("console.log('two');")
    with app.test_request_context():
        second = static_url("app.js")
    assert first != second

    with app.test_client().get(second) as response:
        assert response.status_code == 200
        assert response.data == b"console.log('two');"


# -- Templates and backend logic together (Q031) ----------------------------------------------


@pytest.mark.answers("Q031", "Q158")
def test_form_post_redirects_then_get_shows_the_outcome(client):
    """A valid POST answers 303 to the form page (PRG); that GET shows the flashed outcome."""
    form = client.get("/templates/feedback").get_data(as_text=True)
    assert '<form method="post" action="/templates/feedback"' in form

    response = client.post("/templates/feedback", data={"name": "Ada", "message": "Nice demo"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/templates/feedback"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<li class="flash flash-success">Thanks for your feedback, Ada!</li>' in page


@pytest.mark.answers("Q031")
def test_invalid_form_is_rendered_again_with_errors_and_the_typed_input(client):
    """A failed POST re-renders with 422, per-field errors and what the user typed."""
    response = client.post("/templates/feedback", data={"name": "  Ada ", "message": ""})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<input id="name" name="name" value="Ada">' in html
    assert 'aria-describedby="message-error"' in html
    assert '<span class="error" id="message-error">Message is required.</span>' in html


@pytest.mark.answers("Q031")
def test_validate_feedback_trims_and_limits_fields():
    """The view's validation trims input and enforces required fields and length limits."""
    assert validate_feedback({"name": " Ada ", "message": "Hi"}) == (
        {"name": "Ada", "message": "Hi"},
        {},
    )
    _, errors = validate_feedback({"name": "x" * 61})
    assert errors == {
        "name": "Name must be at most 60 characters.",
        "message": "Message is required.",
    }


@pytest.mark.answers("Q031")
def test_server_data_reaches_page_scripts_as_json(client):
    """The article page hands its data to JavaScript as a JSON block that parses back intact."""
    html = client.get(ARTICLE_URL).get_data(as_text=True)
    assert json_island(html, "article-data") == find_article("escaping-by-default").as_json()


@pytest.mark.answers("Q031")
def test_search_runs_on_the_server_and_the_page_reports_it(client):
    """The query goes to the view, which filters the data; the template lists what it got."""
    html = client.get("/templates/search", query_string={"q": "JINJA"}).get_data(as_text=True)
    assert "<h2>3 results for “JINJA”</h2>" in html
    assert json_island(html, "search-data") == {
        "query": "JINJA",
        "slugs": [article.slug for article in ARTICLES],
    }
    empty = client.get("/templates/search", query_string={"q": "django"}).get_data(as_text=True)
    assert "<li>No article matches.</li>" in empty


@pytest.mark.answers("Q026")
def test_an_unknown_article_is_a_404_page(client):
    """A view aborts before rendering when it has nothing to render; the error page says so."""
    response = client.get("/templates/articles/no-such-article")
    assert response.status_code == 404
    assert "No article &#39;no-such-article&#39;." in response.get_data(as_text=True)
