"""Flask basics, proven on a bare `Flask()` and on this app (Q001-Q007, Q009-Q013, Q142)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from importlib.metadata import requires, version
from pathlib import Path
from typing import Any

import jinja2
import pytest
import werkzeug.serving
from click.testing import CliRunner
from flask import Flask, abort, jsonify, render_template, render_template_string, session
from flask.cli import cli as flask_command
from flask.testing import FlaskClient
from packaging.requirements import Requirement
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

import demo
from demo.middleware import RequestIdMiddleware

ROOT = Path(__file__).resolve().parents[2]
DEMO_PACKAGE = Path(demo.__file__).resolve().parent

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def call_wsgi(
    wsgi_app: WSGIApp, path: str, **environ_options: Any
) -> tuple[str, dict[str, str], bytes]:
    """Call a WSGI application exactly as a server would: environ in, status and body out."""
    environ = EnvironBuilder(path=path, **environ_options).get_environ()
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.update(status=status, headers=dict(headers))
        return lambda data: None  # the legacy write() callable; Flask never uses it

    body_iterable = wsgi_app(environ, start_response)
    try:
        body = b"".join(body_iterable)
    finally:
        # PEP 3333: the server must call close(); the project's access log runs there.
        if hasattr(body_iterable, "close"):
            body_iterable.close()
    return started["status"], started["headers"], body


def make_bare_app() -> Flask:
    """A complete Flask application in a handful of lines: no project, no extensions."""
    bare = Flask(__name__)

    @bare.get("/")
    def index() -> str:
        return "Hello, WSGI"

    return bare


@pytest.mark.answers("Q001", "Q007")
def test_a_bare_flask_app_is_a_wsgi_callable():
    """`Flask()` is a WSGI application: called with (environ, start_response) it answers."""
    bare = make_bare_app()

    status, headers, body = call_wsgi(bare, "/")
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == b"Hello, WSGI"

    status, _headers, _body = call_wsgi(bare, "/missing")
    assert status == "404 NOT FOUND"


@pytest.mark.answers("Q007")
def test_the_project_app_is_served_through_its_wsgi_middleware(app):
    """`app(environ, start_response)` runs `app.wsgi_app`, which middleware wraps and extends."""
    assert isinstance(app.wsgi_app, RequestIdMiddleware)

    status, headers, body = call_wsgi(app, "/basics/hello", headers={"X-Request-ID": "req-42"})

    assert status == "200 OK"
    assert body == app.config["DEMO_GREETING"].encode()
    # Only the middleware sets this header: the request really went through the wrapper.
    assert headers["X-Request-ID"] == "req-42"


@pytest.mark.answers("Q002", "Q004", "Q005")
def test_flask_core_has_no_orm_forms_or_auth_until_extensions_add_them(app):
    """A bare app starts with no extensions; this app's ORM, migrations etc. come from init_app."""
    bare = make_bare_app()
    assert bare.extensions == {}
    assert not hasattr(bare, "db")

    assert {"sqlalchemy", "migrate", "redis", "socketio"} <= set(app.extensions)
    # Flask itself does not depend on any of them: they are separate packages this app chose.
    flask_requirements = {
        Requirement(line).name.lower() for line in requires("flask") or [] if "extra ==" not in line
    }
    assert flask_requirements.isdisjoint({"sqlalchemy", "flask-sqlalchemy", "alembic", "wtforms"})


@pytest.mark.answers("Q003", "Q004")
def test_a_bare_app_already_has_routing_json_sessions_templates_and_a_test_client():
    """Out of the box: URL converters, JSON, signed-cookie sessions, Jinja and a test client."""
    bare = Flask(__name__)
    bare.secret_key = "test-only-secret-key-for-signing-the-session"

    @bare.get("/items/<int:item_id>")
    def item(item_id: int) -> Any:
        session["last_item"] = item_id
        return jsonify(id=item_id, type=type(item_id).__name__)

    @bare.get("/last")
    def last() -> str:
        return render_template_string("last={{ value }}", value=session.get("last_item"))

    client = bare.test_client()
    response = client.get("/items/7")
    assert response.is_json
    assert response.get_json() == {"id": 7, "type": "int"}
    assert client.get("/items/seven").status_code == 404
    # The session travelled in a signed cookie and came back on the next request.
    assert client.get_cookie("session") is not None
    assert client.get("/last").text == "last=7"


@pytest.mark.answers("Q006")
def test_flask_name_sets_the_root_path_where_templates_and_static_files_are_found(app):
    """`Flask(__name__)` anchors templates/, static/ and instance/ to the importing package."""
    assert app.import_name == "demo"
    assert Path(app.root_path) == DEMO_PACKAGE
    assert Path(app.static_folder) == DEMO_PACKAGE / "static"
    assert Path(app.jinja_env.get_template("base.html").filename) == (
        DEMO_PACKAGE / "templates" / "base.html"
    )

    # The same template name is unknown to an app anchored somewhere else (this test module).
    elsewhere = Flask(__name__)
    assert Path(elsewhere.root_path) == Path(__file__).resolve().parent
    with elsewhere.app_context(), pytest.raises(jinja2.TemplateNotFound):
        render_template("base.html")


@pytest.mark.answers("Q009")
def test_installed_flask_satisfies_the_declared_range_and_the_lock_file():
    """`make install` installs Flask from pyproject's range, pinned exactly by uv.lock."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        requirement.name.lower(): requirement
        for requirement in map(Requirement, pyproject["project"]["dependencies"])
    }
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked = {package["name"]: package["version"] for package in lock["package"]}

    for name in ("flask", "werkzeug"):
        installed = version(name)
        assert declared[name].specifier.contains(installed), (name, installed)
        assert locked[name] == installed, f"{name}: run `make install` to sync with uv.lock"


@pytest.mark.answers("Q010")
def test_flask_app_demo_routes_discovers_the_factory_and_lists_the_routes(monkeypatch, tmp_path):
    """`flask --app demo routes` finds `create_app` in the package and lists this app's URLs."""
    # Keep the CLI away from a developer's .env/.flaskenv and database, and let monkeypatch
    # restore the FLASK_RUN_FROM_CLI flag the CLI sets.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLASK_CONFIG", "testing")
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")

    result = CliRunner().invoke(flask_command, ["--app", "demo", "routes"])

    assert result.exit_code == 0, result.output
    assert "fundamentals.basics_hello" in result.output
    assert "/basics/hello" in result.output
    assert "/healthz" in result.output


@pytest.mark.answers("Q010", "Q142")
def test_app_run_hands_the_app_to_werkzeugs_development_server(monkeypatch, tmp_path):
    """`app.run()` is a thin wrapper: it calls Werkzeug's `run_simple` with the app itself."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    calls = []
    monkeypatch.setattr(
        werkzeug.serving,
        "run_simple",
        lambda host, port, application, **options: calls.append((host, port, application)),
    )
    bare = make_bare_app()

    bare.run(load_dotenv=False)

    assert calls == [("127.0.0.1", 5000, bare)]


@pytest.mark.answers("Q011", "Q013")
def test_one_app_serves_an_html_page_and_a_json_api_from_the_same_data(client):
    """People get HTML, programs get JSON: same app, same facts, different representations."""
    page = client.get("/basics/about")
    api = client.get("/basics/about.json")

    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert api.status_code == 200
    assert api.mimetype == "application/json"
    facts = api.get_json()
    assert facts["packages"]["flask"] == version("flask")
    assert f"<td>{facts['packages']['flask']}</td>" in page.text
    assert all(f"<li>{name}</li>" in page.text for name in facts["extensions"])


@pytest.mark.answers("Q011", "Q013")
def test_plain_text_view_is_the_smallest_useful_endpoint(client):
    """A view may return any content type; `/basics/hello` answers plain text from config."""
    response = client.get("/basics/hello")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.text == "Hello from flaskproof"


@pytest.mark.answers("Q012")
def test_jinja_is_the_template_engine_and_autoescapes_html_templates(app):
    """`app.jinja_env` is a Jinja Environment that escapes values in .html templates only."""
    assert isinstance(app.jinja_env, jinja2.Environment)
    assert app.select_jinja_autoescape("page.html") is True
    assert app.select_jinja_autoescape("mail.txt") is False

    app.config["DEMO_GREETING"] = "<script>alert('hi')</script>"
    page = app.test_client().get("/basics/about")

    assert "&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    # Template inheritance: the page fills blocks of the shared base layout.
    assert "<title>Flask basics · flaskproof</title>" in page.text


@pytest.mark.answers("Q142")
def test_flask_request_response_routing_and_test_client_are_werkzeug_underneath(app, client):
    """Flask subclasses Werkzeug's wrappers, routes with its Map and tests with its Client."""
    assert issubclass(app.request_class, WerkzeugRequest)
    assert issubclass(app.response_class, WerkzeugResponse)
    assert issubclass(FlaskClient, Client)
    assert isinstance(app.url_map, Map)

    adapter = app.url_map.bind("localhost")
    assert adapter.match("/basics/werkzeug/42") == ("fundamentals.basics_werkzeug", {"number": 42})
    with pytest.raises(NotFound):
        adapter.match("/basics/werkzeug/forty-two")
    # Flask's abort() is Werkzeug's: it raises the same HTTPException classes.
    with pytest.raises(NotFound):
        abort(404)


@pytest.mark.answers("Q142")
def test_werkzeug_view_reports_the_matched_rule_and_parsed_request(client):
    """`/basics/werkzeug/42` shows the rule Werkzeug matched, the int it converted, the query."""
    response = client.get(
        "/basics/werkzeug/42?q=flask&q=werkzeug",
        headers={"Accept": "text/html;q=0.5, application/json"},
    )

    body = response.get_json()
    assert body["rule"] == "/basics/werkzeug/<int:number>"
    assert body["endpoint"] == "fundamentals.basics_werkzeug"
    assert (body["number"], body["number_type"]) == (42, "int")
    assert body["query"] == {"q": ["flask", "werkzeug"]}
    assert body["accept"] == ["application/json", "text/html"]
    assert body["request_class"][:2] == [
        "flask.wrappers.Request",
        "werkzeug.wrappers.request.Request",
    ]
