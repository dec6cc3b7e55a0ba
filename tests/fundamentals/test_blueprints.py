"""Blueprints on the real app: qualified endpoints, one blueprint registered twice, scoped
hooks and error handlers, the dispatch order, and the project's own layout."""

from __future__ import annotations

import pytest
from flask import Flask, g, request_finished, request_started, request_tearing_down, url_for
from flask.testing import FlaskClient

from demo.fundamentals.blueprints_demo import TRACE_HEADER, show_widget, widgets

HTML = {"Accept": "text/html"}


@pytest.mark.answers("Q138")
def test_endpoints_are_qualified_by_the_blueprint_names(app: Flask):
    """Views are stored as `<blueprint>.<function>`; nested ones carry the parent's name too."""
    assert "fundamentals.user_profile" in app.view_functions
    assert app.view_functions["fundamentals.widgets_v1.show_widget"] is show_widget
    assert app.view_functions["fundamentals.widgets_v2.show_widget"] is show_widget
    with app.test_request_context():
        assert url_for("fundamentals.widgets_v2.show_widget", widget_id=3) == (
            "/routing/blueprints/v2/widgets/3"
        )


@pytest.mark.answers("Q138", "Q139")
def test_one_blueprint_registered_twice_serves_two_api_versions(client: FlaskClient):
    """Same code under two names and prefixes; `url_for('.x')` stays inside each registration."""
    first = client.get("/routing/blueprints/v1/widgets/").get_json()
    second = client.get("/routing/blueprints/v2/widgets/").get_json()
    assert (first["api_version"], first["blueprint"]) == (1, "fundamentals.widgets_v1")
    assert (second["api_version"], second["blueprint"]) == (2, "fundamentals.widgets_v2")
    assert first["widgets"][0]["url"] == "/routing/blueprints/v1/widgets/1"
    assert second["widgets"][0]["url"] == "/routing/blueprints/v2/widgets/1"
    assert client.get("/routing/blueprints/v2/widgets/2").get_json() == {
        "api_version": 2,
        "id": 2,
        "name": "flange",
    }


@pytest.mark.answers("Q138")
def test_a_second_registration_without_a_new_name_is_refused():
    """Flask will not register one blueprint twice under the same name: endpoints would clash."""
    other = Flask(__name__)
    other.register_blueprint(widgets, url_prefix="/a")
    with pytest.raises(ValueError, match="already registered"):
        other.register_blueprint(widgets, url_prefix="/b")
    other.register_blueprint(widgets, url_prefix="/b", name="widgets_b")
    assert {"widgets", "widgets_b"} <= set(other.blueprints)


@pytest.mark.answers("Q138", "Q139")
def test_blueprint_error_handler_covers_only_its_own_views(client: FlaskClient):
    """`abort(404)` in a widget view gets the blueprint's JSON; an unmatched URL, the app's page."""
    raised_in_view = client.get("/routing/blueprints/v1/widgets/99", headers=HTML)
    assert raised_in_view.status_code == 404
    assert raised_in_view.get_json() == {"errors": {"body": ["There is no widget 99."]}}

    # No rule matched, so no blueprint is known yet: the app-wide handler answers.
    unmatched = client.get("/routing/blueprints/v1/widgets/not-a-number", headers=HTML)
    assert unmatched.status_code == 404
    assert unmatched.mimetype == "text/html"

    elsewhere = client.get("/routing/users/abc", headers=HTML)
    assert elsewhere.mimetype == "text/html"


@pytest.mark.answers("Q138")
def test_blueprint_hooks_run_only_for_their_own_views(client: FlaskClient):
    """The widgets `after_request` hook marks its responses; other fundamentals views stay bare."""
    assert TRACE_HEADER in client.get("/routing/blueprints/v1/widgets/").headers
    assert TRACE_HEADER not in client.get("/routing/users/42").headers


@pytest.mark.answers("Q023", "Q123")
def test_request_passes_signals_hooks_and_view_in_a_fixed_order(app: Flask, client: FlaskClient):
    """started, URL preprocessing, before hooks, view, after hooks, finished, then teardown."""
    events: list[str] = []

    def on_started(sender: Flask, **extra: object) -> None:
        events.append("request_started")

    def on_finished(sender: Flask, response: object, **extra: object) -> None:
        events.extend(g.dispatch_trace)  # what the widgets hooks recorded, in order
        events.append("request_finished")

    def on_teardown(sender: Flask, **extra: object) -> None:
        events.append("teardown_request")

    with (
        request_started.connected_to(on_started, app),
        request_finished.connected_to(on_finished, app),
        request_tearing_down.connected_to(on_teardown, app),
    ):
        response = client.get("/routing/blueprints/v1/widgets/1")

    assert response.status_code == 200
    assert events == [
        "request_started",
        "url_value_preprocessor",
        "before_request",
        "view",
        "after_request",
        "request_finished",
        "teardown_request",
    ]
    assert response.headers[TRACE_HEADER] == (
        "url_value_preprocessor, before_request, view, after_request"
    )


@pytest.mark.answers("Q139")
def test_project_is_one_blueprint_per_area_under_the_factory(app: Flask):
    """Every endpoint except `static` belongs to a registered blueprint, each under its prefix."""
    expected = {"health", "fundamentals", "answers", "fundamentals.widgets_v1"}
    assert expected <= set(app.blueprints)
    rules = list(app.url_map.iter_rules())
    for rule in rules:
        if rule.endpoint != "static":
            owner, _, _view = rule.endpoint.rpartition(".")
            assert owner in app.blueprints, rule.endpoint
    answers_rules = [rule.rule for rule in rules if rule.endpoint.startswith("answers.")]
    assert answers_rules
    assert all(path.startswith("/answers/") for path in answers_rules)
    widget_rules = {r.rule for r in rules if r.endpoint.startswith("fundamentals.widgets_v1.")}
    assert widget_rules == {
        "/routing/blueprints/v1/widgets/",
        "/routing/blueprints/v1/widgets/<int:widget_id>",
    }
