"""Routing and views: rules, converters, methods, url_for, redirects, the client IP, and
what a view may return (Q014-Q023, Q123, Q131, Q133).

Every URL here lives under ``/routing/``; ``/routing/`` itself lists them from the live URL
map. The blueprint-specific parts (hooks, scoped error handlers, one blueprint registered
twice) are in `demo.fundamentals.blueprints_demo`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.routing import BaseConverter, Rule
from werkzeug.wrappers import Response as BaseResponse

from demo.fundamentals import bp

PREFIX = "/routing/"
GREETING_NAME_MAX = 50
_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"


class SlugListConverter(BaseConverter):
    """``<slugs:tags>`` matches ``flask,werkzeug`` and hands the view ``["flask", "werkzeug"]``.

    A converter works both ways: `to_python` for matching, `to_url` for `url_for`.
    """

    regex = rf"{_SLUG}(?:,{_SLUG})*"

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: list[str]) -> str:
        # Building does not re-check the regex: refuse values that would make a dead link.
        bad = [item for item in value if not re.fullmatch(_SLUG, item)]
        if not value or bad:
            raise ValueError(f"not a non-empty list of lowercase slugs: {value!r}")
        return ",".join(value)


@bp.record_once
def register_converters(state: BlueprintSetupState) -> None:
    """Add the custom converter to the app's URL map when the blueprint is registered.

    Converters belong to the app's `Map`, not to a blueprint, and must be present before the
    first rule using them is added: this deferred function is recorded before the routes
    below, so it runs first.
    """
    state.app.url_map.converters["slugs"] = SlugListConverter


def routing_rules() -> list[Rule]:
    """The rules of the live URL map that this module (and its blueprints) serve."""
    return sorted(
        (rule for rule in current_app.url_map.iter_rules() if rule.rule.startswith(PREFIX)),
        key=lambda rule: rule.rule,
    )


@bp.get(PREFIX)
def routing_index() -> str:
    """A page listing every /routing/ rule: its pattern, endpoint and methods."""
    return render_template("fundamentals/routing_index.html", rules=routing_rules())


# --- Dynamic segments and converters (Q017) ---------------------------------------------


@bp.get(f"{PREFIX}users/<int:user_id>")
def user_profile(user_id: int) -> dict[str, Any]:
    """`int` matches digits only and passes an int; anything else is a 404 before this runs."""
    return {"user_id": user_id, "type": type(user_id).__name__}


@bp.get(f"{PREFIX}pages/<slug>")
def page_by_slug(slug: str) -> dict[str, str]:
    """The default `string` converter: any text up to the next slash."""
    return {"slug": slug}


@bp.get(f"{PREFIX}files/<path:subpath>")
def file_by_path(subpath: str) -> dict[str, str]:
    """`path` is `string` that also accepts slashes."""
    return {"subpath": subpath}


@bp.get(f"{PREFIX}orders/<uuid:order_id>")
def order_by_uuid(order_id: UUID) -> dict[str, Any]:
    """`uuid` validates the format and passes a `uuid.UUID`."""
    return {"order_id": str(order_id), "version": order_id.version}


@bp.get(f"{PREFIX}tags/<slugs:tags>")
def articles_by_tags(tags: list[str]) -> dict[str, list[str]]:
    """The custom `slugs` converter turns ``a,b`` into a list."""
    return {"tags": tags}


# --- HTTP methods (Q018, Q019, Q133) -------------------------------------------------------


@bp.route(f"{PREFIX}default-method")
def default_method() -> dict[str, str]:
    """No ``methods=``: GET only (plus the HEAD and OPTIONS Flask adds to every rule)."""
    return {"method": request.method}


@bp.route(f"{PREFIX}methods", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def http_methods() -> dict[str, Any]:
    """Echo the method and any JSON body: one view for every verb the rule allows."""
    return {"method": request.method, "json": request.get_json(silent=True)}


@bp.route(f"{PREFIX}greeting", methods=["GET", "POST"])
def greeting() -> ResponseReturnValue:
    """GET shows the form (and a greeting after a redirect); POST validates and redirects.

    Post/Redirect/Get: a 303 after a successful POST means a browser refresh repeats the
    harmless GET, not the submission.
    """
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name or len(name) > GREETING_NAME_MAX:
            error = f"Give a name of 1 to {GREETING_NAME_MAX} characters."
            return render_template("fundamentals/routing_greeting.html", error=error), 400
        return redirect(url_for(".greeting", name=name), code=303)
    return render_template("fundamentals/routing_greeting.html", name=request.args.get("name"))


# --- url_for (Q020) ------------------------------------------------------------------------


@bp.get(f"{PREFIX}links")
def built_links() -> dict[str, str]:
    """URLs built from endpoint names, never hand-written: they follow the rules if they move."""
    return {
        "profile": url_for(".user_profile", user_id=42),
        "profile_external": url_for(".user_profile", user_id=42, _external=True),
        "profile_with_query": url_for(".user_profile", user_id=42, tab="posts & replies"),
        "profile_with_anchor": url_for(".user_profile", user_id=42, _anchor="bio"),
        "tags": url_for(".articles_by_tags", tags=["flask", "url-routing"]),
        "stylesheet": url_for("static", filename="site.css"),
    }


# --- Redirects (Q021, Q131) ----------------------------------------------------------------


@bp.get(f"{PREFIX}members/<int:user_id>")
def legacy_member_url(user_id: int) -> BaseResponse:
    """An old URL that moved for good: 301, so clients and search engines update."""
    return redirect(url_for(".user_profile", user_id=user_id), code=301)


@bp.route(f"{PREFIX}v1/methods", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def moved_methods() -> BaseResponse:
    """A moved API endpoint: 308 keeps the method and body (301/302 may turn POST into GET)."""
    return redirect(url_for(".http_methods"), code=308)


def is_local_path(target: str) -> bool:
    """True for a path on this site; false for anything a browser would send elsewhere.

    Browsers read ``\\`` as ``/``, treat ``//host`` and ``///host`` as another host and
    drop tabs and newlines, so each of those is refused, not just ``https://...``.
    """
    normalised = target.replace("\\", "/")
    return (
        normalised.startswith("/")
        and not normalised.startswith("//")
        and all(ch.isprintable() and not ch.isspace() for ch in target)
    )


@bp.get(f"{PREFIX}go")
def go_next() -> BaseResponse:
    """Redirect to ``?next=`` only when it stays on this site: no open redirect."""
    target = request.args.get("next", "")
    return redirect(target if is_local_path(target) else url_for(".routing_index"))


# --- The visitor's address (Q022) ----------------------------------------------------------


@bp.get(f"{PREFIX}ip")
def visitor_ip() -> dict[str, str | None]:
    """`remote_addr` is the TCP peer, rewritten by ProxyFix only for trusted proxy hops.

    `request.access_route` and raw `X-Forwarded-For` are client-controlled: never use them
    for rate limits or audit logs.
    """
    return {"ip": request.remote_addr}


# --- What a view may return (Q023, Q123) ---------------------------------------------------


@bp.get(f"{PREFIX}returns/<any(text, dict, list, tuple, response, stream):kind>")
def return_values(kind: str) -> ResponseReturnValue:
    """Each kind of return value `make_response` turns into a `Response`."""
    if kind == "text":
        return "A str becomes a text/html response."
    if kind == "dict":
        return {"converted": "a dict becomes JSON"}
    if kind == "list":
        return ["a", "list", "becomes", "JSON"]
    if kind == "tuple":
        created = url_for(".user_profile", user_id=7)
        return {"id": 7}, 201, {"Location": created}
    if kind == "response":
        return Response("Built by hand.\n", status=202, mimetype="text/plain")

    @stream_with_context
    def chunks() -> Iterator[str]:
        # The body is sent after the view returns; this keeps `request` usable meanwhile.
        for number in range(3):
            yield f"chunk {number} of {request.path}\n"

    # A generator becomes a streamed response: sent chunk by chunk, no Content-Length.
    return chunks()
