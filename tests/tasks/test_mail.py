"""Email from a task: Flask-Mail against a real SMTP server, retries, idempotency, welcome mail."""

from __future__ import annotations

import logging
import smtplib

import pytest
from flask_mail import email_dispatched

from demo.extensions import db
from demo.models import User
from demo.tasks.hooks import WELCOME_SUBJECT, user_registered
from demo.tasks.mail import TransientMailError, send_email
from demo.tasks.registry import enqueue
from tests.support.accounts import AuthActions
from tests.tasks.support import broker_settings, close_connections, mail_settings


def run_send(app, *args, **kwargs):
    """Run the app's send_email in this process, as a worker would (retries included)."""
    return app.extensions["celery"].tasks[send_email.name].apply(args, kwargs)


@pytest.mark.answers("Q060", "Q166")
def test_task_sends_the_mail_through_flask_mail_to_the_smtp_server(mail_app, smtp):
    """enqueue(send_email, ...) ends with the message in a real SMTP server's mailbox."""
    result = enqueue(send_email, "ada@example.com", "Hello", "Plain text body")

    assert result.get() == "sent"
    [message] = smtp.messages
    assert message["To"] == "ada@example.com"
    assert message["From"] == "flaskproof <noreply@example.com>"
    assert message["Subject"] == "Hello"
    assert message.get_content().strip() == "Plain text body"


@pytest.mark.answers("Q060")
def test_html_and_text_parts_travel_together(mail_app, smtp):
    """A message with `html` is multipart/alternative: text for old clients, HTML for others."""
    run_send(mail_app, ["ada@example.com"], "Both", "text version", html="<p>html version</p>")

    [message] = smtp.messages
    [alternative] = [part for part in message.walk() if part.get_content_subtype() == "alternative"]
    parts = {p.get_content_type(): p.get_content().strip() for p in alternative.iter_parts()}
    assert parts == {"text/plain": "text version", "text/html": "<p>html version</p>"}


@pytest.mark.answers("Q060")
def test_without_a_mail_server_mail_is_logged_not_sent(app, caplog):
    """No MAIL_SERVER (the development default): Flask-Mail builds the message, logs, no SMTP."""
    caplog.set_level(logging.INFO, logger="demo.tasks.mail")
    dispatched = []
    with email_dispatched.connected_to(lambda app, message: dispatched.append(message)):
        result = enqueue(send_email, "ada@example.com", "Hi", "Body")

    assert app.config["MAIL_SUPPRESS_SEND"] is True
    assert result.get() == "logged"
    assert [m.subject for m in dispatched] == ["Hi"]
    assert "mail not sent (MAIL_SUPPRESS_SEND): 'Hi' to ['ada@example.com']" in caplog.messages


@pytest.mark.answers("Q060", "Q166")
def test_a_refused_connection_is_retried_and_the_mail_goes_out(mail_app, smtp):
    """The server greets the first connection with 421; the retry delivers exactly once."""
    smtp.mailbox.refuse_next = 1

    result = run_send(mail_app, "ada@example.com", "Retried", "Body", idempotency_key="k1")

    assert result.get() == "sent"
    assert smtp.mailbox.refused == 1
    assert [m["Subject"] for m in smtp.messages] == ["Retried"]


@pytest.mark.answers("Q166")
def test_a_4xx_answer_is_retried_but_a_5xx_is_final(mail_app, smtp):
    """451 means "try later" in SMTP, so it is retried; 550 is a refusal, so it is not."""
    smtp.mailbox.data_replies = ["451 4.3.0 Mailbox busy, try later"]
    assert run_send(mail_app, "ada@example.com", "Deferred once", "Body").get() == "sent"

    smtp.mailbox.data_replies = ["550 5.1.1 No such user"]
    failed = run_send(mail_app, "nobody@example.com", "Refused", "Body")

    assert failed.state == "FAILURE"
    assert isinstance(failed.result, smtplib.SMTPDataError)
    assert failed.result.smtp_code == 550
    assert smtp.mailbox.data_replies == []  # one attempt only: nothing left unanswered
    assert [m["Subject"] for m in smtp.messages] == ["Deferred once"]


def test_retry_policy_is_exponential_backoff_with_jitter():
    """send_email retries transient errors only, with capped exponential backoff and jitter."""
    assert {smtplib.SMTPConnectError, ConnectionRefusedError, TimeoutError}.issubset(
        send_email.autoretry_for
    )
    assert TransientMailError in send_email.autoretry_for
    assert smtplib.SMTPRecipientsRefused not in send_email.autoretry_for
    assert send_email.retry_backoff is True
    assert send_email.retry_jitter is True
    assert send_email.retry_backoff_max == 600
    assert send_email.max_retries == 6


@pytest.mark.answers("Q166")
def test_send_email_is_acknowledged_late_and_time_limited():
    """acks_late + reject_on_worker_lost: a lost worker's mail is redelivered; limits bound it."""
    assert send_email.acks_late is True
    assert send_email.reject_on_worker_lost is True
    assert send_email.soft_time_limit < send_email.time_limit


@pytest.fixture(params=["memory", "redis"])
def store_app(request, make_app, smtp):
    """An app whose task store is this process's memory, or the real Redis."""
    if request.param == "memory":
        return make_app(**mail_settings(smtp.port))
    redis_url, token = request.getfixturevalue("redis_url"), request.getfixturevalue("run_token")
    request.getfixturevalue("redis_db")  # deletes the test's keys afterwards
    app = make_app(**mail_settings(smtp.port), **broker_settings(redis_url, token))
    request.addfinalizer(lambda: close_connections(app))
    return app


@pytest.mark.answers("Q166")
def test_running_twice_with_one_idempotency_key_sends_one_mail(store_app, smtp):
    """The second run finds the key claimed and sends nothing: one mail, whatever the store."""
    first = run_send(store_app, "ada@example.com", "Once", "Body", idempotency_key="order-7")
    second = run_send(store_app, "ada@example.com", "Once", "Body", idempotency_key="order-7")
    other = run_send(store_app, "ada@example.com", "Other", "Body", idempotency_key="order-8")

    assert (first.get(), second.get(), other.get()) == ("sent", "duplicate", "sent")
    assert [m["Subject"] for m in smtp.messages] == ["Once", "Other"]


@pytest.mark.answers("Q060", "Q166")
def test_registration_signal_queues_one_welcome_mail(mail_app, smtp, make_user):
    """user_registered -> a welcome mail; the same signal again sends nothing more."""
    user = make_user("ada")
    user_registered.send(mail_app, user=user)
    user_registered.send(mail_app, user=user)

    [message] = smtp.messages
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == WELCOME_SUBJECT
    assert "Hello ada," in message.get_content()


@pytest.mark.answers("Q060", "Q166")
def test_registering_on_the_page_delivers_a_welcome_mail(mail_app, smtp):
    """The registration form's success ends with a welcome mail in the SMTP server's box."""
    response = AuthActions(mail_app.test_client()).register("ada")

    assert response.status_code == 303
    [message] = smtp.messages
    assert (message["To"], message["Subject"]) == ("ada@example.com", WELCOME_SUBJECT)
    assert "Hello ada," in message.get_content()


@pytest.mark.answers("Q060", "Q166")
def test_registering_through_the_api_delivers_a_welcome_mail_once(mail_app, smtp):
    """POST /api/users sends one welcome mail; a refused duplicate registration sends none."""
    client = mail_app.test_client()
    body = {"user": {"username": "grace", "email": "grace@example.com", "password": "pw-12345"}}

    created = client.post("/api/users", json=body)
    duplicate = client.post("/api/users", json=body)

    assert (created.status_code, duplicate.status_code) == (201, 422)
    assert [(m["To"], m["Subject"]) for m in smtp.messages] == [
        ("grace@example.com", WELCOME_SUBJECT)
    ]


@pytest.mark.answers("Q166")
def test_welcome_mail_waits_for_the_commit_and_a_rollback_cancels_it(mail_app, smtp):
    """Signalled inside a transaction, the mail is queued on commit, and never after rollback."""
    grace = User(username="grace", email="grace@example.com", password_hash="x")
    db.session.add(grace)
    db.session.flush()  # written, not committed
    user_registered.send(mail_app, user=grace)
    assert smtp.messages == []
    db.session.commit()
    assert [m["To"] for m in smtp.messages] == ["grace@example.com"]

    linus = User(username="linus", email="linus@example.com", password_hash="x")
    db.session.add(linus)
    user_registered.send(mail_app, user=linus)
    db.session.rollback()
    db.session.commit()  # a later commit does not resurrect the dropped mail
    assert [m["To"] for m in smtp.messages] == ["grace@example.com"]
