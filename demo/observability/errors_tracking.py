"""Error tracking with Sentry, switched on by `SENTRY_DSN` (Q164, Q170).

No DSN, no SDK: nothing is initialised and nothing leaves the process. With a DSN, crashes
in views and Celery tasks become Sentry events tagged with the request id from the logs,
so an event and its log lines are found with one search.

How a view's crash gets there: the app's catch-all error handler turns every exception into
a 500 page and logs it with `logger.exception`, so Flask never sends
`got_request_exception`, the signal FlaskIntegration listens to. Sentry's default
LoggingIntegration turns that ERROR record (with its traceback) into the event instead, once
per crash. FlaskIntegration still adds the request (method, URL, endpoint as transaction)
to the event, and CeleryIntegration reports failing tasks from the worker.

Personal data stays out: the SDK's default (no `send_default_pii`, which sentry-sdk 2.75
deprecates in favour of `data_collection`) leaves cookies, the client address and the
logged-in user out of events, and the EventScrubber, made recursive here, blanks the
Authorization header and values stored under names such as `password` or `token`, in
stack-frame variables too.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.scrubber import EventScrubber

from demo.middleware import current_request_id


def default_release() -> str:
    """``flaskproof@<installed version>``; set SENTRY_RELEASE to a commit SHA in CI instead."""
    try:
        return f"flaskproof@{version('flaskproof')}"
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "flaskproof@unknown"


def tag_request_id(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """`before_send`: tag the event with the id of the request being served, if any."""
    request_id = current_request_id.get()
    if request_id != "-":
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def init_error_tracking(app: Flask) -> bool:
    """Initialise the Sentry SDK when `SENTRY_DSN` is set; return whether it was.

    The SDK's client is process-wide (one per worker process, like the logging setup), so
    the last app built in a process decides; servers build exactly one.
    """
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or app.config["CONFIG_NAME"],
        release=app.config.get("SENTRY_RELEASE") or default_release(),
        # Transactions named after the URL rule (/api/articles/<slug>), not each raw path.
        integrations=[FlaskIntegration(transaction_style="url"), CeleryIntegration()],
        event_scrubber=EventScrubber(recursive=True, send_default_pii=False),
        traces_sample_rate=app.config.get("SENTRY_TRACES_SAMPLE_RATE"),
        before_send=tag_request_id,
    )
    app.extensions["sentry"] = sentry_sdk.get_client()
    return True
