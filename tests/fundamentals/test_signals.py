"""Signals: Flask's built-in ones, a custom one, sender filtering and disconnecting."""

from __future__ import annotations

import logging

import pytest
from flask import (
    Flask,
    got_request_exception,
    request,
    request_finished,
    request_started,
    template_rendered,
)

from demo import create_app
from demo.fundamentals.signals_demo import question_viewed


@pytest.mark.answers("Q121", "Q122")
def test_request_started_and_finished_reach_subscribers(app, client):
    """Subscribers get the app as sender, the live request, and the finished response."""
    started_paths: list[str] = []
    finished: list[tuple[Flask, int, str]] = []

    def on_started(sender, **extra):
        started_paths.append(request.path)

    def on_finished(sender, response, **extra):
        finished.append((sender, response.status_code, response.get_json()["status"]))

    with (
        request_started.connected_to(on_started, app),
        request_finished.connected_to(on_finished, app),
    ):
        client.get("/readyz")
    client.get("/readyz")  # after the `with`, both receivers are disconnected

    assert started_paths == ["/readyz"]
    assert finished == [(app, 200, "ready")]


@pytest.mark.answers("Q121")
def test_template_rendered_carries_the_template_and_its_context(app, client):
    """A subscriber sees which template was rendered and with what variables."""
    rendered = []

    def on_rendered(sender, template, context, **extra):
        rendered.append((template.name, context["status"]))

    with template_rendered.connected_to(on_rendered, app):
        response = client.get("/hooks/no-such-page", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert rendered == [("errors/error.html", 404)]


@pytest.mark.answers("Q121", "Q122")
def test_custom_signal_is_sent_by_a_view_with_sender_and_data(app, client, caplog):
    """The view sends `question_viewed`; a subscriber gets the real app and the question id."""
    caplog.set_level(logging.INFO, logger="demo.signals")
    received = []

    def on_viewed(sender, question_id, **extra):
        received.append((sender, question_id))

    with question_viewed.connected_to(on_viewed, app):
        response = client.get("/hooks/questions/q122")
        client.get("/hooks/questions/Q999")  # unknown: 404 and no signal

    assert response.get_json() == {
        "id": "Q122",
        "section": "Advanced Flask",
        "question": "How do you use signals?",
    }
    assert received == [(app, "Q122")]
    # The project's own subscriber, connected at import time, wrote its audit line too.
    assert [r.getMessage() for r in caplog.records if r.name == "demo.signals"] == [
        "question Q122 viewed in demo"
    ]


@pytest.mark.answers("Q122")
def test_subscriber_connected_for_one_sender_ignores_other_apps():
    """`connect(receiver, sender=app)` filters: another app sending the same signal is ignored."""
    watched, other = create_app("testing"), create_app("testing")
    received = []

    def on_viewed(sender, question_id, **extra):
        received.append((sender, question_id))

    question_viewed.connect(on_viewed, watched)
    try:
        other.test_client().get("/hooks/questions/Q121")
        watched.test_client().get("/hooks/questions/Q122")
    finally:
        question_viewed.disconnect(on_viewed, watched)
    watched.test_client().get("/hooks/questions/Q055")

    assert received == [(watched, "Q122")]


@pytest.mark.answers("Q121")
def test_got_request_exception_is_not_sent_once_an_error_handler_takes_the_exception():
    """Flask signals only exceptions no handler dealt with: a catch-all handler silences it."""
    seen = []

    def on_exception(sender, exception, **extra):
        seen.append((sender.name, type(exception)))

    unhandled = Flask("unhandled")
    handled = Flask("handled")
    handled.register_error_handler(Exception, lambda error: ("Something went wrong", 500))
    for bare in (unhandled, handled):
        bare.add_url_rule("/boom", "boom", lambda: {}["missing"])

    with (
        got_request_exception.connected_to(on_exception, unhandled),
        got_request_exception.connected_to(on_exception, handled),
    ):
        assert unhandled.test_client().get("/boom").status_code == 500
        assert handled.test_client().get("/boom").status_code == 500

    assert seen == [("unhandled", KeyError)]
