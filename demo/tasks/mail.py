"""Sending email with Flask-Mail, from a Celery task (Q060, Q166).

A request never talks to the mail server: it queues `send_email` and answers. The task

- retries transient failures (refused or dropped connections, timeouts, SMTP 4xx answers)
  with exponential backoff and full jitter, so a mail server that restarts is not hammered
  by every worker at the same instant;
- is idempotent: with an `idempotency_key`, the key is claimed in the shared store with
  ``SET NX`` before sending and marked sent afterwards, so a task delivered twice (a retry
  after an ambiguous failure, a redelivery after a worker died, a double click) sends one
  mail. A failed attempt releases the claim so its retry can send;
- is therefore safe to acknowledge late (``acks_late``): a worker killed mid-send leaves the
  message on the queue for another worker instead of losing it.

Delivery stays at-least-once in one corner: a worker killed after the SMTP server accepted
the mail but before the key was marked "sent" leaves a claim that expires, and the
redelivered task sends again. No mail protocol offers exactly-once.
"""

from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from flask import current_app
from flask_mail import Message

from demo.extensions import mail
from demo.tasks.store import task_store

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    smtplib.SMTPConnectError,  # the server answered the connection with something else than 220
    smtplib.SMTPServerDisconnected,
    ConnectionRefusedError,
    ConnectionResetError,
    TimeoutError,  # socket.timeout is an alias of it
)
SEND_TIME_LIMIT = 60
# A claim outlives any attempt that holds it (the hard time limit kills it before then).
CLAIM_TTL = 2 * SEND_TIME_LIMIT
SENT_TTL = 30 * 24 * 3600


class TransientMailError(Exception):
    """The server answered 4xx: "not now, try again later" in SMTP."""


@shared_task(
    bind=True,
    name="demo.tasks.mail.send_email",
    autoretry_for=(*TRANSIENT_ERRORS, TransientMailError),
    retry_backoff=True,  # 1s, 2s, 4s... before the jitter
    retry_backoff_max=600,
    retry_jitter=True,  # a random delay between 0 and the backoff
    max_retries=6,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SEND_TIME_LIMIT - 10,
    time_limit=SEND_TIME_LIMIT,
)
def send_email(
    self: Task,
    to: str | list[str],
    subject: str,
    body: str,
    html: str | None = None,
    idempotency_key: str | None = None,
) -> str:
    """Send one message: "sent", "logged" (sending suppressed), or "duplicate" when its
    idempotency key was already used."""
    recipients = [to] if isinstance(to, str) else list(to)
    message = Message(subject=subject, recipients=recipients, body=body, html=html)
    store = task_store()
    claim = f"mail:{idempotency_key}" if idempotency_key else None
    if claim is not None and not store.add(claim, "sending", CLAIM_TTL):
        # Already sent, or being sent by another attempt that will retry or be redelivered.
        log.info("mail %r not sent again: key %s already claimed", subject, idempotency_key)
        return "duplicate"
    try:
        outcome = deliver(message)
    except BaseException:
        if claim is not None:
            store.delete(claim)
        raise
    if claim is not None:
        store.set(claim, "sent", SENT_TTL)
    return outcome


def deliver(message: Message) -> str:
    """Hand `message` to the mail server: "sent", or "logged" when sending is suppressed."""
    if current_app.config.get("MAIL_SUPPRESS_SEND"):
        # Flask-Mail still builds the message and fires `email_dispatched`; nothing connects.
        mail.send(message)
        log.info(
            "mail not sent (MAIL_SUPPRESS_SEND): %r to %s", message.subject, message.recipients
        )
        return "logged"
    try:
        mail.send(message)
    except smtplib.SMTPResponseException as exc:
        # SMTP's 4xx replies mean "not now": worth retrying, unlike a 5xx refusal.
        if 400 <= exc.smtp_code < 500:
            raise TransientMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    return "sent"
