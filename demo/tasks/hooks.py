"""Work the rest of the app triggers without knowing about tasks: the welcome mail (Q060,
Q166).

Registration sends the `user_registered` signal; the receiver here queues the welcome mail
once the new user's transaction has committed. The registration code needs one line after
its commit, and no import of Celery or Flask-Mail::

    user_registered.send(current_app._get_current_object(), user=user)

Sent before the commit instead, the mail still waits for it (see `demo.tasks.transactions`).
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import Namespace
from flask import Flask, render_template

from demo.models import User
from demo.tasks.mail import send_email
from demo.tasks.registry import QueueUnavailableError, enqueue
from demo.tasks.transactions import after_commit

log = logging.getLogger(__name__)

signals = Namespace()
user_registered = signals.signal("user-registered")

WELCOME_SUBJECT = "Welcome to flaskproof"


@user_registered.connect
def queue_welcome_email(sender: Flask, user: User, **_: Any) -> None:
    """Queue the welcome mail for `user`, after the transaction that created it commits."""
    # Read now: `send` may run inside the commit, when the session cannot load attributes.
    email, username = user.email, user.username
    body = render_template("tasks/email/welcome.txt", username=username)

    def send() -> None:
        try:
            # Keyed by address: however often this runs, one welcome mail per address.
            enqueue(send_email, email, WELCOME_SUBJECT, body, idempotency_key=f"welcome:{email}")
        except QueueUnavailableError:
            log.exception("welcome mail to %s not queued", email)

    after_commit(send)
