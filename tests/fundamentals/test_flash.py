"""Flashed messages: stored in the session, shown once, with categories."""

from __future__ import annotations

import pytest
from flask import flash, get_flashed_messages, render_template, session

from demo import create_app

pytestmark = pytest.mark.answers("Q158")

FEEDBACK_URL = "/templates/feedback"
THANKS = '<li class="flash flash-success">Thanks for your feedback, Ada!</li>'


def test_a_flash_survives_one_redirect_and_is_shown_once(client):
    """The POST stores the message in the session; the next page shows it, the one after not."""
    response = client.post(FEEDBACK_URL, data={"name": "Ada", "message": "Nice demo"})
    assert response.status_code == 303
    with client.session_transaction() as stored:
        assert stored["_flashes"] == [("success", "Thanks for your feedback, Ada!")]

    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert THANKS in shown
    with client.session_transaction() as stored:
        assert "_flashes" not in stored

    assert THANKS not in client.get(FEEDBACK_URL).get_data(as_text=True)


def test_a_flash_rendered_in_the_same_request_is_not_carried_over(client):
    """An error flashed and rendered by the failing POST itself is gone from the next page."""
    failed = client.post(FEEDBACK_URL, data={"name": "", "message": ""})
    assert failed.status_code == 422
    error = '<li class="flash flash-error">Please correct the errors below.</li>'
    assert error in failed.get_data(as_text=True)

    with client.session_transaction() as stored:
        assert "_flashes" not in stored
    assert error not in client.get(FEEDBACK_URL).get_data(as_text=True)


def test_messages_keep_their_order_and_category_and_can_be_filtered(app):
    """Categories ride along with each message; a page may read all of them or one kind."""
    with app.test_request_context(FEEDBACK_URL):
        flash("Saved.", "success")
        flash("Quota almost used.", "warning")
        flash("Plain message.")  # the default category is "message"
        assert session["_flashes"] == [
            ("success", "Saved."),
            ("warning", "Quota almost used."),
            ("message", "Plain message."),
        ]

        assert get_flashed_messages(category_filter=["warning"]) == ["Quota almost used."]
        # Reading once moves the messages from the session to this request: later reads
        # in the same request still see them, the next request will not.
        assert "_flashes" not in session
        html = render_template("fundamentals/templating_feedback.html", values={}, errors={})

    assert (
        '<li class="flash flash-success">Saved.</li>'
        '<li class="flash flash-warning">Quota almost used.</li>'
        '<li class="flash flash-message">Plain message.</li>'
    ) in html


def test_flash_needs_a_secret_key_because_it_uses_the_session():
    """Without SECRET_KEY there is no session, so flash() fails loudly instead of losing data."""
    # Flask's cookie session signs with the key (a server-side session would need none).
    app = create_app("testing", SECRET_KEY=None, SESSION_BACKEND="cookie")
    with app.test_request_context(), pytest.raises(RuntimeError, match="secret key"):
        flash("Lost?")
