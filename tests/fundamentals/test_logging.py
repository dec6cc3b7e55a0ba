"""Logging: one configuration, JSON in production, a request id on every line, error tracking."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from pythonjsonlogger.json import JsonFormatter

from demo import create_app
from demo.logs import build_handler
from demo.middleware import current_request_id

READER = {"Authorization": "Bearer reader-demo-token"}
SAFE_SECRETS = {"SECRET_KEY": "s" * 64, "JWT_SECRET_KEY": "j" * 64}


@pytest.fixture
def restore_root_logger() -> Iterator[logging.Logger]:
    """Put back the root and app loggers' handlers and levels after a test builds other apps."""
    root, app_logger = logging.getLogger(), logging.getLogger("demo")
    handlers, root_level, app_level = list(root.handlers), root.level, app_logger.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(root_level)
    app_logger.setLevel(app_level)


@pytest.fixture
def request_id() -> Iterator[str]:
    """Pretend to be inside request "req-42" for code that logs outside the test client."""
    token = current_request_id.set("req-42")
    yield "req-42"
    current_request_id.reset(token)


def project_handler(root: logging.Logger) -> logging.Handler:
    """The one handler `configure_logging` installs on the root logger."""
    [handler] = [h for h in root.handlers if h.get_name() == "flaskproof"]
    return handler


@pytest.mark.answers("Q115", "Q164")
def test_json_lines_carry_level_logger_message_request_id_and_extras(app, request_id):
    """A production line is one JSON object with level, name, message, request id and extras."""
    record = logging.getLogger("demo.reports").makeRecord(
        "demo.reports",
        logging.WARNING,
        __file__,
        1,
        "Report %s exported",
        (7,),
        None,
        extra={"report_id": 7},
    )

    line = build_handler("json").format(record)

    data = json.loads(line)
    assert "\n" not in line
    assert data["level"] == "WARNING"
    assert data["name"] == "demo.reports"
    assert data["message"] == "Report 7 exported"
    assert data["request_id"] == request_id
    assert data["report_id"] == 7
    assert "time" in data


@pytest.mark.answers("Q115", "Q164")
def test_text_lines_are_readable_and_carry_the_request_id(app, request_id):
    """A development line reads `time LEVEL [request id] logger: message`."""
    record = logging.getLogger("demo").makeRecord(
        "demo", logging.INFO, __file__, 1, "hello %s", ("there",), None
    )

    line = build_handler("text").format(record)

    assert re.fullmatch(r"\S+ \S+ INFO  \[req-42\] demo: hello there", line)


@pytest.mark.answers("Q115", "Q164")
def test_production_logs_json_and_development_logs_text(restore_root_logger):
    """The config picks the format: JSON for log shippers in production, text for people."""
    create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=None, **SAFE_SECRETS)
    assert isinstance(project_handler(restore_root_logger).formatter, JsonFormatter)

    create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=None)
    formatter = project_handler(restore_root_logger).formatter
    assert not isinstance(formatter, JsonFormatter)
    assert "%(request_id)s" in formatter._fmt


@pytest.mark.answers("Q115")
def test_app_logger_adds_no_handler_of_its_own(app, restore_root_logger):
    """`app.logger` ("demo") propagates to the one root handler instead of Flask's default one."""
    assert app.logger.name == "demo"
    assert app.logger.propagate is True
    assert app.logger.handlers == []
    assert project_handler(restore_root_logger).level == logging.NOTSET


@pytest.mark.answers("Q115")
def test_log_level_comes_from_the_environment_even_in_debug_mode(monkeypatch, restore_root_logger):
    """`LOG_LEVEL=warning` drops INFO lines at the source, even from a debug app's logger."""
    monkeypatch.setenv("LOG_LEVEL", "warning")

    dev = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=None)

    assert dev.debug is True  # Flask alone would have put `app.logger` on DEBUG
    assert restore_root_logger.level == logging.WARNING
    assert not dev.logger.isEnabledFor(logging.INFO)
    assert not logging.getLogger("demo.access").isEnabledFor(logging.INFO)
    assert dev.logger.isEnabledFor(logging.WARNING)


@pytest.mark.answers("Q115", "Q164")
def test_every_line_of_a_request_carries_the_response_request_id(client, caplog):
    """The view's own line and the access line share the id sent back in `X-Request-ID`."""
    caplog.set_level(logging.INFO)

    response = client.get("/errors/reports/2", headers=READER)
    response.close()  # the access line is written once the server has sent the body

    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    names = [record.name for record in caplog.records]
    assert names == ["demo", "demo.access"]
    assert {record.request_id for record in caplog.records} == {request_id}


@pytest.mark.answers("Q164")
def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(client, caplog):
    """An upstream proxy's id is reused so logs join up; a hostile one is not echoed."""
    caplog.set_level(logging.INFO)

    kept = client.get("/errors/abort/404", headers={"X-Request-ID": "edge-7f3a.1"})
    kept.close()
    assert kept.headers["X-Request-ID"] == "edge-7f3a.1"
    assert caplog.records[-1].request_id == "edge-7f3a.1"

    for hostile in ("<script>alert(1)</script>", "x" * 500):
        replaced = client.get("/errors/abort/404", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


@pytest.mark.answers("Q115", "Q164")
def test_access_line_records_method_path_status_and_duration(client, caplog):
    """One access line per request, with structured fields a JSON log query can filter on."""
    caplog.set_level(logging.INFO, logger="demo.access")

    client.post("/errors/reports", json={"title": "Q3 costs"}).close()

    [line] = [record for record in caplog.records if record.name == "demo.access"]
    assert (line.method, line.path, line.status) == ("POST", "/errors/reports", 201)
    assert isinstance(line.duration_ms, float)
    assert line.duration_ms >= 0
    assert line.getMessage().startswith("POST /errors/reports 201 ")


class ErrorTracker(logging.Handler):
    """Stands in for an error tracker's logging hook: it keeps ERROR records as events."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.events: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(record)


@pytest.mark.answers("Q164")
def test_an_error_tracker_on_the_logging_path_gets_each_crash_once(client):
    """A crash reaches an ERROR-level handler once, with traceback and request id; 4xx do not."""
    tracker = ErrorTracker()
    logging.getLogger().addHandler(tracker)
    try:
        client.get("/errors/reports/2", headers=READER)  # 403: a warning, not an event
        client.get("/errors/abort/404")
        crashed = client.get("/errors/crash")
    finally:
        logging.getLogger().removeHandler(tracker)

    [event] = tracker.events
    assert event.exc_info[0] is RuntimeError
    assert event.request_id == crashed.headers["X-Request-ID"]
