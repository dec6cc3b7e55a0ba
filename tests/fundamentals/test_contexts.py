"""The application context, the request context, how to reach each, and context processors."""

from __future__ import annotations

import gc
import json
import weakref

import click
import pytest
from flask import (
    current_app,
    g,
    has_app_context,
    has_request_context,
    render_template_string,
    request,
    url_for,
)

from demo import create_app
from demo.fundamentals.contexts import APP_VERSION, context_snapshot


@pytest.fixture
def bare_app():
    """An app with no context pushed (unlike the shared `app` fixture)."""
    return create_app("testing")


@pytest.mark.answers("Q049", "Q052")
def test_current_app_needs_an_application_context(bare_app):
    """`current_app` and `g` raise outside an app context and work inside `app.app_context()`."""
    assert not has_app_context()
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        current_app.config["CONFIG_NAME"]
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        g.anything = 1
    with bare_app.app_context():
        assert current_app._get_current_object() is bare_app
        assert current_app.config["CONFIG_NAME"] == "testing"
        g.anything = 1
        assert g.anything == 1
    assert not has_app_context()


@pytest.mark.answers("Q049", "Q051")
def test_g_lives_exactly_as_long_as_its_app_context(bare_app):
    """`g` starts empty in each app context and is still readable in teardown_appcontext."""
    torn_down = []

    @bare_app.teardown_appcontext
    def record_teardown(error: BaseException | None) -> None:
        torn_down.append((g.get("token"), type(error).__name__ if error else None))

    with bare_app.app_context():
        g.token = "first"
    with bare_app.app_context():
        assert "token" not in g
    with pytest.raises(ZeroDivisionError), bare_app.app_context():
        g.token = "failing"
        1 / 0  # noqa: B018  (teardown still runs, and is told why)
    assert torn_down == [("first", None), (None, None), ("failing", "ZeroDivisionError")]


@pytest.mark.answers("Q049")
def test_each_app_in_a_process_has_its_own_current_app():
    """Nested app contexts of two apps: `current_app` is the innermost, then reverts."""
    one = create_app("testing", DEMO_GREETING="from one")
    two = create_app("testing", DEMO_GREETING="from two")
    with one.app_context():
        assert current_app.config["DEMO_GREETING"] == "from one"
        with two.app_context():
            assert current_app.config["DEMO_GREETING"] == "from two"
        assert current_app.config["DEMO_GREETING"] == "from one"


@pytest.mark.answers("Q049", "Q052")
def test_cli_commands_run_inside_an_app_context(bare_app):
    """`flask` commands get an app context (no request) without any code of their own."""

    @bare_app.cli.command("context-snapshot")
    def snapshot_command() -> None:
        click.echo(json.dumps(context_snapshot()))

    result = bare_app.test_cli_runner().invoke(args=["context-snapshot"])
    assert result.exit_code == 0, result.output
    snapshot = json.loads(result.output)
    assert snapshot["app_context"] is True
    assert snapshot["request_context"] is False
    assert snapshot["config_name"] == "testing"


@pytest.mark.answers("Q050", "Q053")
def test_test_request_context_provides_request(bare_app):
    """`app.test_request_context()` builds a request from a URL: args, method, endpoint."""
    with bare_app.test_request_context(
        "/contexts/whoami?name=ada", method="GET", headers={"Accept": "application/json"}
    ):
        assert has_request_context()
        assert request.args["name"] == "ada"
        assert request.path == "/contexts/whoami"
        assert request.endpoint == "fundamentals.contexts_whoami"
        assert request.accept_mimetypes.best == "application/json"
    assert not has_request_context()


@pytest.mark.answers("Q050", "Q053")
def test_request_needs_a_request_context(bare_app):
    """`request` raises without a request context, even inside an app context."""
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        request.path  # noqa: B018
    with bare_app.app_context(), pytest.raises(RuntimeError, match="outside of request context"):
        request.path  # noqa: B018


@pytest.mark.answers("Q050", "Q051", "Q053")
def test_a_request_context_brings_its_own_app_context(bare_app):
    """Pushing a request context pushes an app context for the same app, and pops it after."""
    assert not has_app_context()
    with bare_app.test_request_context("/contexts/"):
        assert has_app_context()
        assert current_app._get_current_object() is bare_app
    assert not has_app_context()


@pytest.mark.answers("Q051")
def test_url_for_needs_a_request_or_server_name(bare_app):
    """An app context alone knows no host, so `url_for` needs a request or SERVER_NAME."""
    with bare_app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("fundamentals.contexts_overview")
    with bare_app.test_request_context("/", base_url="https://example.test"):
        assert url_for("fundamentals.contexts_overview") == "/contexts/"
    bare_app.config["SERVER_NAME"] = "example.test"
    with bare_app.app_context():
        assert url_for("fundamentals.contexts_overview") == "http://example.test/contexts/"


@pytest.mark.answers("Q051")
def test_requests_reuse_an_app_context_already_pushed(bare_app):
    """A request inside an active app context reuses it, so `g` then spans requests.

    A server pushes a fresh app context per request; tests that keep one pushed (like
    the shared `app` fixture) must not rely on `g` being empty.
    """
    seen = []

    @bare_app.get("/test/g-keys")
    def g_keys() -> dict[str, list[str]]:
        seen.append(sorted(g))
        g.visited = True
        return {}

    client = bare_app.test_client()
    client.get("/test/g-keys")
    client.get("/test/g-keys")
    assert seen == [[], []]
    with bare_app.app_context():
        client.get("/test/g-keys")
        client.get("/test/g-keys")
    assert seen[2:] == [[], ["visited"]]


@pytest.mark.answers("Q052", "Q053")
def test_context_snapshot_reports_where_it_runs(bare_app):
    """Code that runs in views, commands and jobs can ask which contexts exist before using them."""
    assert context_snapshot() == {
        "app_context": False,
        "request_context": False,
        "config_name": None,
        "g_keys": [],
        "method": None,
        "path": None,
    }
    with bare_app.app_context():
        g.job = "nightly"
        snapshot = context_snapshot()
        assert (snapshot["app_context"], snapshot["request_context"]) == (True, False)
        assert snapshot["g_keys"] == ["job"]
    with bare_app.test_request_context("/contexts/", method="POST"):
        snapshot = context_snapshot()
        assert (snapshot["method"], snapshot["path"]) == ("POST", "/contexts/")


@pytest.mark.answers("Q049", "Q050", "Q052", "Q053")
def test_overview_page_shows_both_contexts_from_a_view(bare_app):
    """Inside a view both contexts are active; the page shows what the proxies point at."""
    page = bare_app.test_client().get("/contexts/").get_data(as_text=True)
    assert "<th>Application context active</th><td>True</td>" in page
    assert "<th>Request context active</th><td>True</td>" in page
    assert "<td>GET /contexts/</td>" in page
    assert "<td>rendered_by</td>" in page


@pytest.mark.answers("Q054")
def test_context_processor_reaches_any_template(bare_app):
    """`app_version` from the blueprint's app-wide context processor is in every template."""
    with bare_app.app_context():
        assert render_template_string("v{{ app_version }}") == f"v{APP_VERSION}"
    page = bare_app.test_client().get("/contexts/").get_data(as_text=True)
    assert f"version {APP_VERSION}." in page


@pytest.mark.answers("Q054")
def test_flask_injects_its_own_template_context(bare_app):
    """`request`, `g`, `session` and `config` are in every template without being passed."""
    with bare_app.test_request_context("/contexts/?q=1"):
        g.user = "ada"
        rendered = render_template_string(
            "{{ request.path }}|{{ g.user }}|{{ session.get('k', '-') }}|{{ config.CONFIG_NAME }}"
        )
    assert rendered == "/contexts/|ada|-|testing"


@pytest.mark.answers("Q054")
def test_context_processor_runs_for_each_render(bare_app):
    """Processors are called at render time, so they see the current app's state."""
    calls = []

    @bare_app.context_processor
    def count_calls() -> dict[str, int]:
        calls.append(1)
        return {"render_number": len(calls)}

    with bare_app.app_context():
        first = render_template_string("{{ render_number }}")
        second = render_template_string("{{ render_number }}")
    assert (first, second) == ("1", "2")


@pytest.mark.answers("Q038", "Q104")
def test_objects_on_g_are_freed_when_the_request_ends(bare_app):
    """What a request stores on `g` is garbage once its context is popped: no leak per request."""
    refs = []

    @bare_app.after_request
    def keep_a_weak_reference(response):
        refs.append(weakref.ref(g.caller))
        return response

    response = bare_app.test_client().get("/contexts/whoami?name=ada")
    assert response.get_json()["greeting"] == "Hello, ada!"
    gc.collect()
    assert len(refs) == 1
    assert refs[0]() is None
