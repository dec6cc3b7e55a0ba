"""The request and response objects: input, forms, cookies, JSON, sessions, streaming.

Serves Q032 (the request object), Q033 (form data), Q034 (cookies), Q035 (`jsonify`),
Q038/Q104 (bounded input and streamed output) and Q134 (what the session stores).
Every URL lives under /request/.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from demo.errors import error_response
from demo.fundamentals import bp

# --- Q032: everything Flask parsed from one request -------------------------------------


def describe_upload(upload: FileStorage) -> dict[str, Any]:
    """Name, type and size of an uploaded file, measured without reading it into memory."""
    stream = upload.stream
    stream.seek(0, 2)  # Werkzeug spools big uploads to a temp file; seeking costs no RAM
    size = stream.tell()
    stream.seek(0)
    return {"filename": upload.filename, "content_type": upload.mimetype, "size": size}


@bp.route("/request/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def request_echo() -> Response:
    """Report what Flask parsed from this request, attribute by attribute."""
    return jsonify(
        method=request.method,
        path=request.path,
        # `flat=False` keeps repeated keys (?tag=a&tag=b) instead of silently keeping the first.
        args=request.args.to_dict(flat=False),
        page=request.args.get("page", default=1, type=int),
        form=request.form.to_dict(flat=False),
        # `silent=True`: a missing or malformed JSON body reads as None instead of a 400/415.
        json=request.get_json(silent=True),
        is_json=request.is_json,
        mimetype=request.mimetype,
        files={name: describe_upload(upload) for name, upload in request.files.items()},
        user_agent=request.user_agent.string,
        accepts_json=request.accept_mimetypes.accept_json,
        remote_addr=request.remote_addr,
    )


@bp.post("/request/greeting")
def request_json_greeting() -> ResponseReturnValue:
    """A strict JSON endpoint: a non-JSON body is 415, malformed JSON is 400, a bad shape 422."""
    payload = request.get_json()  # raises UnsupportedMediaType / BadRequest on its own
    name = payload.get("name") if isinstance(payload, dict) else None
    if not isinstance(name, str) or not name.strip():
        return error_response(422, {"name": ["must be a non-empty string"]})
    return {"greeting": f"Hello, {name.strip()}!"}


# --- Q033: a plain HTML form, read with request.form ------------------------------------

CONTACT_TOPICS = ("routing", "templates", "testing")
MAX_MESSAGE_LENGTH = 2000


def validate_contact(values: dict[str, str], topics: list[str]) -> dict[str, str]:
    """Field name -> error message; empty when the submission is acceptable."""
    errors = {}
    if not values["name"]:
        errors["name"] = "Please tell us your name."
    if "@" not in values["email"]:
        errors["email"] = "That does not look like an email address."
    if not values["message"]:
        errors["message"] = "The message is empty."
    elif len(values["message"]) > MAX_MESSAGE_LENGTH:
        errors["message"] = f"Keep it under {MAX_MESSAGE_LENGTH} characters."
    if not set(topics) <= set(CONTACT_TOPICS):
        errors["topics"] = "Pick topics from the list."
    return errors


@bp.route("/request/contact", methods=["GET", "POST"])
def request_contact() -> ResponseReturnValue:
    """Show the form; on POST validate `request.form`, then redirect (Post/Redirect/Get)."""
    values = {"name": "", "email": "", "message": ""}
    topics: list[str] = []
    errors: dict[str, str] = {}
    if request.method == "POST":
        # `.get()` with a default: a missing field is a validation error, not a 400.
        values = {field: request.form.get(field, "").strip() for field in values}
        topics = request.form.getlist("topics")  # checkboxes send the same name many times
        errors = validate_contact(values, topics)
        if not errors:
            flash(f"Thanks, {values['name']}: your message about {len(topics)} topic(s) arrived.")
            # 303 makes the browser GET the page, so a reload cannot submit the form twice.
            return redirect(url_for(".request_contact"), code=303)
    page = render_template(
        "fundamentals/request_contact.html",
        values=values,
        topics=topics,
        errors=errors,
        all_topics=CONTACT_TOPICS,
    )
    return page, 422 if errors else 200


# --- Q034: a cookie the app sets, reads and deletes -------------------------------------

THEME_COOKIE = "theme"
THEMES = ("light", "dark")
THEME_COOKIE_LIFETIME = timedelta(days=365)


def _theme_cookie_options() -> dict[str, Any]:
    # Same policy as the session cookie, so production (HTTPS) marks it Secure too;
    # deleting must repeat path and domain or the browser keeps the original.
    return {
        "httponly": True,  # only the server reads it, so scripts (and XSS) never need it
        "samesite": "Lax",
        "secure": current_app.config["SESSION_COOKIE_SECURE"],
    }


@bp.get("/request/theme")
def request_theme() -> Response:
    """The theme from `request.cookies`, falling back to the default for unknown values."""
    stored = request.cookies.get(THEME_COOKIE)
    # Cookies are client input: the browser (or anyone with curl) can send any value.
    known = stored in THEMES
    return jsonify(theme=stored if known else THEMES[0], from_cookie=known)


@bp.post("/request/theme")
def request_set_theme() -> Response:
    """Remember the chosen theme for a year in a cookie."""
    theme = request.form["theme"]  # a missing field raises BadRequestKeyError: a 400
    if theme not in THEMES:
        return error_response(400, {"theme": [f"must be one of {', '.join(THEMES)}"]})
    response = jsonify(theme=theme)
    response.set_cookie(
        THEME_COOKIE, theme, max_age=THEME_COOKIE_LIFETIME, **_theme_cookie_options()
    )
    return response


@bp.delete("/request/theme")
def request_forget_theme() -> Response:
    """Expire the cookie: Set-Cookie with an empty value and a date in the past."""
    response = jsonify(theme=THEMES[0])
    response.delete_cookie(THEME_COOKIE, **_theme_cookie_options())
    return response


# --- Q035: jsonify, and returning dicts and lists ---------------------------------------


@dataclass(frozen=True)
class Release:
    """A value `json.dumps` rejects but Flask's JSON provider serialises."""

    name: str
    released: date


@bp.get("/request/json/types")
def request_json_types() -> Response:
    """`jsonify` handles dates, UUIDs, decimals and dataclasses; plain `json.dumps` does not."""
    return jsonify(
        greeting="héllo",
        when=datetime(2024, 11, 13, 9, 30, tzinfo=UTC),
        request_uuid=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        price=Decimal("9.99"),
        release=Release("Flask 3.1", date(2024, 11, 13)),
    )


@bp.get("/request/json/dict")
def request_json_dict() -> dict[str, Any]:
    """Return a dict and Flask calls `jsonify` on it for you."""
    return {"zebra": 1, "apple": 2, "items": [1, 2, 3]}


@bp.get("/request/json/list")
def request_json_list() -> list[str]:
    """Lists are turned into JSON responses too (since Flask 2.2)."""
    return ["routing", "templates", "testing"]


# --- Q134: Flask's default session is a signed cookie ----------------------------------
# This app swaps in server-side sessions (Flask-Session, `demo.auth.sessions`) unless
# SESSION_BACKEND=cookie; the tests of these views use that setting to show Flask's own.


@bp.get("/request/session")
def request_session() -> Response:
    """What the session holds right now (in the cookie itself, with SESSION_BACKEND=cookie)."""
    return jsonify(session=dict(session), permanent=session.permanent)


@bp.post("/request/session/visit")
def request_session_visit() -> Response:
    """Count visits in the session; a permanent session outlives the browser window."""
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME, stored as `_permanent`
    session["visits"] = session.get("visits", 0) + 1
    return jsonify(visits=session["visits"])


@bp.delete("/request/session")
def request_session_clear() -> Response:
    """Empty the session; Flask answers with a Set-Cookie that deletes the cookie."""
    session.clear()
    return jsonify(session={})


# --- Q038/Q104: stream big responses instead of building them in memory ----------------

MAX_EXPORT_ROWS = 100_000


def square_rows(count: int) -> Iterator[str]:
    """CSV lines for 1..count, produced one at a time."""
    yield "n,square\r\n"
    for n in range(1, count + 1):
        yield f"{n},{n * n}\r\n"


@bp.get("/request/export.csv")
def request_export_csv() -> Response:
    """Stream up to 100,000 CSV rows; memory use stays flat whatever the size."""
    count = min(max(request.args.get("rows", default=1000, type=int), 0), MAX_EXPORT_ROWS)

    def generate() -> Iterator[str]:
        yield from square_rows(count)
        # This line runs after the view has returned: only `stream_with_context` keeps
        # the request (and app) context alive long enough for it.
        current_app.logger.info("export of %d rows to %s finished", count, request.remote_addr)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=squares.csv"},
    )
