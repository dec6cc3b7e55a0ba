"""Failing on purpose: `abort()`, 4xx semantics and custom error handlers (Q116, Q117, Q119, Q120).

Every route here fails in a different, deliberate way so that the single error path in
`demo.errors` can be watched at work: `abort()` with a status, with a custom description,
with field errors and with a ready-made response; 401 against 403 against 404; a domain
exception with a handler of its own; and an exception nobody expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from flask import Response, abort, current_app, g, request
from werkzeug.datastructures import WWWAuthenticate

from demo.errors import error_response
from demo.fundamentals import bp

ABORTABLE_STATUSES = (400, 401, 403, 404, 409, 422)


@dataclass(frozen=True)
class Report:
    """A read-only demo resource; restricted reports need the auditor role."""

    title: str
    restricted: bool = False


REPORTS = {1: Report("Quarterly revenue"), 2: Report("Salary bands", restricted=True)}
# Demo bearer tokens and the role each one carries; real ones come from the auth issue.
DEMO_TOKENS = {"reader-demo-token": "reader", "auditor-demo-token": "auditor"}


class ExportQuotaExceeded(Exception):
    """A domain error raised by service code that knows nothing about HTTP."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"export quota of {limit} per day used up")
        self.limit = limit
        self.retry_after = retry_after


@bp.app_errorhandler(ExportQuotaExceeded)
def export_quota_exceeded(error: ExportQuotaExceeded) -> Response:
    """App-wide (not only for this blueprint): the service layer can raise it from anywhere."""
    return error_response(
        429,
        f"You can export {error.limit} reports a day; try again later.",
        headers={"Retry-After": str(error.retry_after)},
    )


@bp.get("/errors/")
def errors_index() -> dict[str, list[str]]:
    """The URLs to try, each failing its own way."""
    return {
        "try": [
            *(f"/errors/abort/{status}" for status in ABORTABLE_STATUSES),
            "/errors/reports/1 (Authorization: Bearer reader-demo-token)",
            "/errors/reports/2 (403 for the reader, 200 for auditor-demo-token)",
            "POST /errors/reports with JSON {} (422) or invalid JSON (400)",
            "/errors/quota",
            "/errors/maintenance",
            "/errors/crash",
        ]
    }


@bp.get("/errors/abort/<int:status>")
def abort_with(status: int) -> NoReturn:
    """`abort(status)`: raise the matching HTTPException and stop the view right here."""
    if status not in ABORTABLE_STATUSES:
        abort(404, description=f"There is no demo for status {status}.")
    abort(status)


def authenticated_role() -> str:
    """The caller's role from `Authorization: Bearer <token>`, or 401."""
    auth = request.authorization
    role = DEMO_TOKENS.get(auth.token or "") if auth and auth.type == "bearer" else None
    if role is None:
        # 401 means "who are you?": the challenge header tells the client how to log in.
        abort(
            401,
            description="Send a valid bearer token to read reports.",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "flaskproof"}),
        )
    return role


@bp.get("/errors/reports/<int:report_id>")
def report_detail(report_id: int) -> dict[str, object]:
    """401 without a valid token, 404 for no such report, 403 when the role may not read it."""
    g.caller_role = authenticated_role()
    report = REPORTS.get(report_id)
    if report is None:
        abort(404, description=f"No report {report_id}.")
    if report.restricted and g.caller_role != "auditor":
        # 403 means "I know who you are, and the answer is no": logging in again won't help.
        current_app.logger.warning("Role %s denied restricted report %s", g.caller_role, report_id)
        abort(403, description="Only auditors may read this report.")
    return {"report": {"id": report_id, "title": report.title}}


@bp.post("/errors/reports")
def create_report() -> tuple[dict[str, object], int]:
    """400 for a body that is not a JSON object, 422 for invalid fields, 409 for a duplicate.

    Nothing is stored: the demo is about the ways a write can be refused.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, description='Send a JSON object such as {"title": "Q3 costs"}.')
    title = payload.get("title")
    if not isinstance(title, str) or not title.strip():
        abort(422, description={"title": ["can't be blank"]})
    title = title.strip()
    if any(report.title.casefold() == title.casefold() for report in REPORTS.values()):
        abort(409, description=f"A report titled {title!r} already exists.")
    return {"report": {"title": title}}, 201


@bp.get("/errors/quota")
def export_with_quota() -> NoReturn:
    """Service code raises a domain exception; its own handler turns it into a 429."""
    raise ExportQuotaExceeded(limit=5, retry_after=3600)


@bp.get("/errors/maintenance")
def maintenance() -> NoReturn:
    """`abort(response)` sends that exact response: no error handler runs for it."""
    abort(
        Response(
            "Down for maintenance, back soon.\n",
            status=503,
            headers={"Retry-After": "120"},
            mimetype="text/plain",
        )
    )


@bp.get("/errors/crash")
def crash() -> NoReturn:
    """A bug: the message holds internals that must reach the log, never the client."""
    raise RuntimeError("cannot reach db-internal.example:5432 with password=hunter2")
