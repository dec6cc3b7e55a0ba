"""Error handling: `abort()`, the custom handlers, 4xx semantics and debugging an error."""

from __future__ import annotations

import logging

import pytest
from flask import Blueprint, Flask, abort, g
from flask.cli import run_command
from werkzeug.debug import DebuggedApplication
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from demo import create_app
from demo.fundamentals.errors_demo import ABORTABLE_STATUSES, ExportQuotaExceeded

JSON = {"Accept": "application/json"}
READER = {"Authorization": "Bearer reader-demo-token"}
AUDITOR = {"Authorization": "Bearer auditor-demo-token"}
# Production refuses to start without real-looking secrets.
SAFE_SECRETS = {"SECRET_KEY": "s" * 64, "JWT_SECRET_KEY": "j" * 64}


def app_for(config_name: str, **overrides: object) -> Flask:
    """An app for another config, kept off the developer's database and Redis."""
    return create_app(config_name, SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=None, **overrides)


def heading(status: int) -> str:
    """The heading of the project's error page (Werkzeug's own page has no status in it)."""
    return f"<h1>{status} · {HTTP_STATUS_CODES[status]}</h1>"


@pytest.mark.answers("Q116", "Q119")
@pytest.mark.parametrize("status", ABORTABLE_STATUSES)
def test_abort_reaches_the_custom_handler_as_an_html_page(client, status):
    """`abort(status)` ends in the app's own handler, which renders its HTML error page."""
    response = client.get(f"/errors/abort/{status}")

    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert heading(status) in response.get_data(as_text=True)


@pytest.mark.answers("Q116", "Q117", "Q119")
@pytest.mark.parametrize("status", ABORTABLE_STATUSES)
def test_abort_answers_json_to_api_clients(client, status):
    """The same `abort(status)` answers `{"errors": {"body": [...]}}` to a JSON client."""
    response = client.get(f"/errors/abort/{status}", headers=JSON)

    assert response.status_code == status
    assert response.is_json
    assert response.get_json() == {"errors": {"body": [default_exceptions[status].description]}}


@pytest.mark.answers("Q116", "Q120")
def test_abort_403_reaches_the_custom_handler(client):
    """A real 403 from `abort(403, description=...)` is rendered by the custom handler."""
    response = client.get("/errors/reports/2", headers=READER)

    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert heading(403) in html
    assert "Only auditors may read this report." in html


@pytest.mark.answers("Q119")
def test_abort_raises_so_the_rest_of_the_view_never_runs(client):
    """`abort()` raises an HTTPException: the view stops, as shown by `g` never being set."""
    with pytest.raises(NotFound) as raised:
        abort(404, description="gone")
    assert isinstance(raised.value, HTTPException)
    assert raised.value.code == 404

    with client:
        response = client.get("/errors/reports/1")
        assert response.status_code == 401
        assert "caller_role" not in g


@pytest.mark.answers("Q117", "Q119")
def test_abort_with_a_custom_description_and_field_errors(client):
    """`abort(400, description=...)` and `abort(422, description={field: [...]})` reach JSON."""
    not_an_object = client.post("/errors/reports", json=["a", "list"])
    assert not_an_object.status_code == 400
    assert not_an_object.get_json() == {
        "errors": {"body": ['Send a JSON object such as {"title": "Q3 costs"}.']}
    }

    blank_title = client.post("/errors/reports", json={"title": "  "})
    assert blank_title.status_code == 422
    assert blank_title.get_json() == {
        "errors": {"title": ["can't be blank"], "body": ["title can't be blank"]}
    }


@pytest.mark.answers("Q119")
def test_abort_with_a_response_sends_it_unchanged(client):
    """`abort(Response(...))` skips the error handlers: the exact response goes out."""
    response = client.get("/errors/maintenance", headers=JSON)

    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert response.headers["Retry-After"] == "120"
    assert response.get_data(as_text=True) == "Down for maintenance, back soon.\n"


@pytest.mark.answers("Q120")
def test_401_means_not_authenticated_and_carries_a_challenge(client):
    """No token or an unknown one is 401, with `WWW-Authenticate` saying how to authenticate."""
    for headers in ({}, {"Authorization": "Bearer not-a-real-token"}):
        response = client.get("/errors/reports/1", headers={**headers, **JSON})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer realm=flaskproof"
        assert response.get_json() == {
            "errors": {"body": ["Send a valid bearer token to read reports."]}
        }


@pytest.mark.answers("Q120")
def test_403_means_authenticated_but_not_allowed(client, caplog):
    """A known caller without the right role gets 403 and no challenge; the auditor gets 200."""
    caplog.set_level(logging.WARNING, logger="demo")

    denied = client.get("/errors/reports/2", headers={**READER, **JSON})
    assert denied.status_code == 403
    assert "WWW-Authenticate" not in denied.headers
    assert denied.get_json() == {"errors": {"body": ["Only auditors may read this report."]}}
    assert [r.getMessage() for r in caplog.records] == ["Role reader denied restricted report 2"]

    allowed = client.get("/errors/reports/2", headers=AUDITOR)
    assert allowed.status_code == 200
    assert allowed.get_json() == {"report": {"id": 2, "title": "Salary bands"}}


@pytest.mark.answers("Q120")
def test_404_for_a_missing_resource_and_for_an_unknown_url(client):
    """404 is "no such thing": a missing report, and a URL no route matches, both handled."""
    missing = client.get("/errors/reports/99", headers={**READER, **JSON})
    assert missing.status_code == 404
    assert missing.get_json() == {"errors": {"body": ["No report 99."]}}

    unknown = client.get("/errors/no-such-page")
    assert unknown.status_code == 404
    assert heading(404) in unknown.get_data(as_text=True)

    api = client.get("/api/no-such-endpoint")
    assert api.status_code == 404
    assert api.is_json


@pytest.mark.answers("Q120")
def test_400_422_and_409_separate_syntax_validation_and_state(client):
    """400: not a JSON object; 422: well-formed but invalid; 409: conflicts with stored state."""
    broken = client.post("/errors/reports", data="{not json", content_type="application/json")
    assert broken.status_code == 400

    invalid = client.post("/errors/reports", json={"title": 42})
    assert invalid.status_code == 422

    duplicate = client.post("/errors/reports", json={"title": "quarterly REVENUE"})
    assert duplicate.status_code == 409
    assert duplicate.get_json() == {
        "errors": {"body": ["A report titled 'quarterly REVENUE' already exists."]}
    }

    created = client.post("/errors/reports", json={"title": "Q3 costs"})
    assert created.status_code == 201


@pytest.mark.answers("Q116", "Q120")
def test_405_keeps_its_allow_header(client):
    """The handler replaces the body but keeps the headers clients need, like `Allow` on 405."""
    response = client.delete("/errors/reports/1", headers=JSON)

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.get_json() == {"errors": {"body": [default_exceptions[405].description]}}


@pytest.mark.answers("Q116", "Q120")
def test_a_handler_for_one_code_wins_over_the_generic_one(app, client):
    """A handler registered for 404 beats the `HTTPException` one; other codes are unaffected."""
    app.register_error_handler(404, lambda error: ("a page just for 404", 404))

    assert client.get("/errors/abort/404").get_data(as_text=True) == "a page just for 404"
    forbidden = client.get("/errors/abort/403")
    assert forbidden.status_code == 403
    assert heading(403) in forbidden.get_data(as_text=True)


@pytest.mark.answers("Q116")
def test_a_domain_exception_has_its_own_handler(client):
    """`ExportQuotaExceeded` maps to 429 with `Retry-After`, as JSON or HTML per the client."""
    api = client.get("/errors/quota", headers=JSON)
    assert api.status_code == 429
    assert api.headers["Retry-After"] == "3600"
    assert api.get_json() == {
        "errors": {"body": ["You can export 5 reports a day; try again later."]}
    }

    browser = client.get("/errors/quota")
    assert browser.status_code == 429
    assert heading(429) in browser.get_data(as_text=True)


@pytest.mark.answers("Q116")
def test_app_errorhandler_is_app_wide_and_errorhandler_is_blueprint_local(app, client):
    """`bp.app_errorhandler` also catches raises outside its blueprint; `bp.errorhandler` not."""
    local = Blueprint("local_only", __name__)
    local.register_error_handler(LookupError, lambda error: ("handled by the blueprint", 418))

    @local.get("/inside")
    def inside() -> str:
        raise LookupError("inside")

    @app.get("/outside")
    def outside() -> str:
        raise LookupError("outside")

    @app.get("/quota-outside")
    def quota_outside() -> str:
        raise ExportQuotaExceeded(limit=1, retry_after=60)

    app.register_blueprint(local)

    assert client.get("/inside").status_code == 418
    assert client.get("/outside").status_code == 500
    assert client.get("/quota-outside").status_code == 429


@pytest.mark.answers("Q117")
def test_an_unexpected_exception_is_a_json_500_without_internals(client):
    """A bug answers the generic 500 message: no exception text, type or traceback leaks."""
    response = client.get("/errors/crash", headers=JSON)

    assert response.status_code == 500
    assert response.get_json() == {"errors": {"body": [InternalServerError.description]}}
    body = response.get_data(as_text=True)
    for secret in ("hunter2", "db-internal", "RuntimeError", "Traceback"):
        assert secret not in body


@pytest.mark.answers("Q117")
def test_an_unexpected_exception_is_logged_with_traceback_and_request_id(client, caplog):
    """The operators get what the client does not: the traceback, tagged with the request id."""
    caplog.set_level(logging.ERROR)

    response = client.get("/errors/crash")

    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "demo"
    assert record.getMessage() == "Unhandled exception on GET /errors/crash"
    assert record.exc_info[0] is RuntimeError
    assert "password=hunter2" in caplog.text
    assert record.request_id == response.headers["X-Request-ID"]


@pytest.mark.answers("Q163")
def test_debug_is_on_only_in_development():
    """`DEBUG` (debugger and reloader) is on in development, off in testing and production."""
    assert app_for("development").debug is True
    assert app_for("testing").debug is False
    assert app_for("production", **SAFE_SECRETS).debug is False


@pytest.mark.answers("Q163")
def test_flask_run_offers_debug_reloader_and_debugger_switches():
    """`flask run --debug` exists, with `--reload` and `--debugger` following it by default."""
    options = {param.name: param for param in run_command.params}

    assert {"debug", "reload", "debugger"} <= set(options)
    assert "--debug" in options["debug"].opts
    # None means "follow --debug" rather than on or off.
    assert options["reload"].default is None
    assert options["debugger"].default is None


@pytest.mark.answers("Q163")
def test_debug_mode_hands_an_exception_to_the_werkzeug_debugger():
    """In debug mode the catch-all handler steps aside, so the debugger page shows the traceback."""
    dev = app_for("development")
    # What `flask run --debug` wraps around the app (without the in-browser console here).
    dev.wsgi_app = DebuggedApplication(dev.wsgi_app, evalex=False)

    response = dev.test_client().get("/errors/crash")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Traceback" in page
    assert "RuntimeError: cannot reach db-internal.example:5432" in page


@pytest.mark.answers("Q163")
def test_production_shows_only_the_generic_500_page():
    """Outside debug mode the same bug renders the generic page: no traceback, no message."""
    prod = app_for("production", **SAFE_SECRETS)

    response = prod.test_client().get("/errors/crash")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert heading(500) in page
    assert "Traceback" not in page
    assert "hunter2" not in page


@pytest.mark.answers("Q163")
def test_propagate_exceptions_lets_pytest_show_the_real_error():
    """With `PROPAGATE_EXCEPTIONS=True` the test client raises the original exception."""
    app = app_for("testing", PROPAGATE_EXCEPTIONS=True)

    with pytest.raises(RuntimeError, match="password=hunter2"):
        app.test_client().get("/errors/crash")
