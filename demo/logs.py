"""One logging configuration for the whole process (Q115, Q164).

Development gets readable lines, production JSON lines; both carry the id of the request
being served, so every line of one request can be found with one search.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask
from pythonjsonlogger.json import JsonFormatter

from demo.middleware import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)-5s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
_HANDLER_NAME = "flaskproof"
_base_record_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # A record factory (not a handler filter) so that every handler, pytest's included,
    # sees the attribute on every record, whichever logger created it.
    record = _base_record_factory(*args, **kwargs)
    record.request_id = current_request_id.get()
    return record


def build_handler(log_format: str) -> logging.Handler:
    """A stderr handler with the chosen formatter: ``text`` or ``json``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(app: Flask) -> None:
    """Install the project's handler on the root logger, replacing an earlier one.

    Flask's `app.logger` propagates to the root, so one handler serves the app, the access
    log, SQLAlchemy, Celery and anything else that logs. Safe to call once per app.
    """
    logging.setLogRecordFactory(_record_with_request_id)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(build_handler(app.config["LOG_FORMAT"]))
    root.setLevel(app.config["LOG_LEVEL"])
    # Flask sets `app.logger` to DEBUG in debug mode when it has no level of its own, which
    # would let its lines (and the `demo.*` loggers below it) ignore LOG_LEVEL.
    app.logger.setLevel(app.config["LOG_LEVEL"])
