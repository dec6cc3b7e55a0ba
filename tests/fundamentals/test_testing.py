"""Testing a Flask app: the conftest fixtures, the test client, contexts and the CLI runner."""

from __future__ import annotations

import json
import os

import pytest
from flask import Flask, current_app, g, request, session, url_for
from flask.cli import routes_command
from flask.testing import FlaskClient

from demo import create_app
from demo.config import normalise_database_url
from demo.errors import wants_json

AUDITOR = {"Authorization": "Bearer auditor-demo-token"}


@pytest.fixture
def api_client(client: FlaskClient) -> FlaskClient:
    """A fixture built on a fixture: the same client, sending `Accept: application/json`."""
    client.environ_base["HTTP_ACCEPT"] = "application/json"
    return client


@pytest.mark.answers("Q161")
def test_app_fixture_is_a_fresh_testing_app_with_its_context_pushed(app):
    """The `app` fixture comes from the factory with the testing config and an app context."""
    assert app.testing is True
    assert app.config["CONFIG_NAME"] == "testing"
    # In memory, or the throwaway server CI names; never the developer's own database.
    expected = normalise_database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    assert current_app._get_current_object() is app


@pytest.mark.answers("Q161")
def test_each_test_gets_its_own_app(app):
    """Changing one app's config cannot leak: the factory builds a new app for every test."""
    app.config["DEMO_GREETING"] = "changed by this test"

    assert create_app("testing").config["DEMO_GREETING"] != "changed by this test"


@pytest.mark.answers("Q118", "Q161")
def test_client_get_returns_status_headers_and_json(client):
    """`client.get` drives the app through WSGI with no server and returns a full response."""
    response = client.get("/errors/reports/1", headers=AUDITOR)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"report": {"id": 1, "title": "Quarterly revenue"}}


@pytest.mark.answers("Q118")
def test_client_post_with_json_sends_a_json_body(client):
    """`json=` serialises the body and sets `Content-Type: application/json` for you."""
    response = client.post("/errors/reports", json={"title": "Q3 costs"})

    assert response.status_code == 201
    assert response.request.headers["Content-Type"] == "application/json"
    assert response.json == {"report": {"title": "Q3 costs"}}


@pytest.mark.answers("Q118", "Q161")
def test_a_fixture_can_preconfigure_the_client(api_client):
    """Tests that use `api_client` get JSON errors without repeating the `Accept` header."""
    response = api_client.get("/errors/abort/404")

    assert response.status_code == 404
    assert response.is_json


@pytest.mark.answers("Q118")
def test_follow_redirects_ends_on_the_final_page_and_keeps_history(client):
    """`follow_redirects=True` follows the 308 to the slashed URL; `history` keeps each hop."""
    response = client.get("/errors", follow_redirects=True)

    assert response.status_code == 200
    assert [hop.status_code for hop in response.history] == [308]
    assert response.history[0].headers["Location"] == "http://localhost/errors/"
    assert response.request.path == "/errors/"
    assert "/errors/crash" in response.get_json()["try"]


@pytest.mark.answers("Q118")
def test_session_transaction_presets_the_session_cookie(client):
    """`session_transaction()` writes a signed session cookie that the next request reads."""
    with client.session_transaction() as preset:
        preset["user_id"] = 7

    with client:
        client.get("/errors/")
        assert session["user_id"] == 7


@pytest.mark.answers("Q118", "Q161")
def test_with_client_keeps_request_and_g_for_inspection(client):
    """Inside `with client:` the last request's context stays open to read `request` and `g`."""
    with client:
        client.get("/errors/reports/2", headers=AUDITOR)

        assert request.path == "/errors/reports/2"
        assert g.caller_role == "auditor"


@pytest.mark.answers("Q118")
def test_test_request_context_runs_request_code_without_a_client(app):
    """`test_request_context()` gives helpers a `request` without sending one through the app."""
    with app.test_request_context("/errors/reports/2", headers={"Accept": "application/json"}):
        assert wants_json() is True
        assert url_for("fundamentals.report_detail", report_id=2) == "/errors/reports/2"

    with app.test_request_context("/errors/", headers={"Accept": "text/html"}):
        assert wants_json() is False


@pytest.mark.answers("Q161")
def test_runner_invokes_cli_commands(runner):
    """The `runner` fixture calls `flask` commands in-process and captures their output."""
    # `routes` belongs to the `flask` command group, not to `app.cli`: pass the command itself.
    result = runner.invoke(routes_command)

    assert result.exit_code == 0
    assert "/errors/reports/<int:report_id>" in result.output
    assert "fundamentals.report_detail" in result.output

    # The project's own commands are on `app.cli`, so `args=` alone reaches them.
    project = runner.invoke(args=["answers", "--json"])
    assert project.exit_code == 0
    assert "Q008" in json.loads(project.output)


@pytest.mark.answers("Q161")
def test_a_factory_override_configures_a_one_off_app(app: Flask):
    """`create_app("testing", **overrides)` is how a test varies one setting."""
    strict = create_app("testing", MAX_CONTENT_LENGTH=10)

    response = strict.test_client().post("/errors/reports", json={"title": "far too long"})
    assert response.status_code == 413
    assert app.config["MAX_CONTENT_LENGTH"] > 10
