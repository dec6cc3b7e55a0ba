"""Rate limits for the JSON API with Flask-Limiter (Q152, Q085).

**The budget.** Every blueprint serving under ``/api`` shares one budget per caller,
``RATELIMIT_API_DEFAULT`` (300 requests a minute unless configured), counted across all its
routes: a client cannot get more by spreading its calls. Routes with a limit of their own
(the token login endpoints) keep theirs instead. CORS preflights are not counted: the
browser sends them, not the client's code.

**Who is the caller.** An authenticated call counts against its user: the ``sub`` of a JWT
(``Authorization: Token|Bearer``, or the access-token cookie) whose signature and expiry
check out, or the owner of a valid ``X-API-Key``. Anything unverified counts against the
client address: if an unchecked token's ``sub`` were trusted, anyone could spend someone
else's budget, or get a fresh budget per request by inventing users. The address is
``request.remote_addr``, which ProxyFix has already set from ``X-Forwarded-For`` when
``PROXY_FIX_X_FOR`` says how many proxies to trust; with the default of 0 the header is
ignored, since any client can send one. A verified API key also has a quota of its own
(``API_KEY_RATE_LIMIT``), on top of its owner's share of the budget.

Both are blueprint limits, checked before the view runs, so a request refused with 401 has
already been counted. (A Flask-Limiter decorator on a view would make the limiter skip the
blueprint limits in ``before_request`` and check them only when the decorated function is
reached, which an unauthenticated call never does.)

**Where counters live.** ``RATELIMIT_STORAGE_URI``: Redis when configured, so every worker
and server shares the counters; ``memory://`` in embedded mode (one process, one count).

**When Redis is down** the API keeps answering, and keeps limiting: the in-memory fallback
(``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``). On the first storage error Flask-Limiter
switches to a per-process memory store with the same limits, logs one warning, and checks
Redis again with growing back-off (up to half a minute) until it answers. Failing open
(``RATELIMIT_SWALLOW_ERRORS``) was the alternative: requests pass unlimited, with a logged
traceback per request and a timed-out Redis call each time. The fallback keeps a brute-force
or scraping client throttled during the outage; the cost is that each worker counts on its
own, so the effective limit is at most limit x workers until Redis is back.

**The answer to a breach** is a 429 in the API's JSON error shape (``demo.errors``) with
``Retry-After``; every limited response carries ``X-RateLimit-Limit``, ``-Remaining`` and
``-Reset`` (``RATELIMIT_HEADERS_ENABLED``), so well-behaved clients can slow down before it.
Flask-Limiter would add ``Retry-After`` to served answers too; `retry_after_only_when_refused`
keeps it for refusals.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter.util import get_remote_address
from jwt import PyJWTError

from demo.auth.api_keys import API_KEY_HEADER, find_api_key
from demo.extensions import limiter
from demo.models import ApiKey

API_PATH_PREFIX = "/api/"
_TOKEN_SCHEMES = {"token", "bearer"}


def _api_limit() -> str:
    return current_app.config["RATELIMIT_API_DEFAULT"]


def _breach_message() -> str:
    return (
        f"Too many requests: the limit is {_api_limit()} per caller. "
        "Retry after the number of seconds in the Retry-After header."
    )


def _user_id_from_token() -> str | None:
    """The `sub` of a JWT from the header or the access cookie, only if it verifies."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    token = credentials.strip() if scheme.lower() in _TOKEN_SCHEMES else ""
    if not token and "cookies" in current_app.config["JWT_TOKEN_LOCATION"]:
        token = request.cookies.get(current_app.config["JWT_ACCESS_COOKIE_NAME"], "")
    if not token:
        return None
    try:
        # Checks the signature, `exp` and `nbf`: a forged or expired token names nobody.
        claims = decode_token(token)
    except (PyJWTError, JWTExtendedException):
        return None
    subject = claims.get(current_app.config["JWT_IDENTITY_CLAIM"])
    return str(subject) if subject else None


_VERIFIED_KEY = "demo.ratelimits.api_key"


def verified_api_key() -> ApiKey | None:
    """The active key whose whole value this request presents in `X-API-Key`, else None.

    Read-only on purpose: the view's own authentication records `last_used_at`. Looked up
    once per request (the budget and the key quota both ask), cached in the WSGI environ.
    """
    if _VERIFIED_KEY not in request.environ:
        presented = request.headers.get(API_KEY_HEADER, "")
        request.environ[_VERIFIED_KEY] = find_api_key(presented) if presented else None
    return request.environ[_VERIFIED_KEY]


def verified_user_id() -> str | None:
    """The id of the user whose JWT or API key this request carries, once it checks out.

    Only the signature (or key digest) and expiry are checked, not the blocklist: enough to
    know who holds the credential, without a database query for token callers. Views still
    authenticate in full before they act.
    """
    user_id = _user_id_from_token()
    if user_id is None and (key := verified_api_key()) is not None:
        user_id = str(key.user_id)
    return user_id


def rate_limit_key() -> str:
    """Whose budget a request spends: ``user:<id>`` when verified, else ``ip:<address>``."""
    user_id = verified_user_id()
    if user_id is not None:
        return f"user:{user_id}"
    return f"ip:{get_remote_address()}"


# One object for the life of the process: Flask-Limiter registers limits on the (global)
# extension, keyed by blueprint name, so applying this same object again for each new app
# is a no-op rather than a second counter.
api_budget = limiter.shared_limit(
    _api_limit,
    scope="api",
    key_func=rate_limit_key,
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    error_message=_breach_message,
)


def _api_key_rate_limit() -> str:
    return current_app.config["API_KEY_RATE_LIMIT"]


def _quota_key() -> str:
    key = verified_api_key()
    return f"api-key:{key.prefix if key else ''}"


def _not_by_api_key() -> bool:
    return verified_api_key() is None


# A second, separate limit for key callers (Q098): one quota per verified key, counted on
# every /api route it calls, including the ones it may not use. Unverified keys are exempt
# (they spend their address's budget above), so knowing a key's public prefix cannot
# exhaust someone else's quota.
api_key_quota = limiter.shared_limit(
    _api_key_rate_limit,
    scope="api-key",
    key_func=_quota_key,
    exempt_when=_not_by_api_key,
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    error_message="Too many requests with this API key; slow down.",
)


# Where Retry-After means something (RFC 9110, 10.2.3): a refusal to come back later.
_RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_only_when_refused(response: Response) -> Response:
    """Drop the `Retry-After` Flask-Limiter adds to every limited answer, 200s included.

    `X-RateLimit-Reset` already tells a served client when its window ends; on a 200, 401 or
    404 "retry after 60 seconds" would tell it to wait for nothing.
    """
    if response.status_code not in _RETRY_AFTER_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def init_rate_limits(app: Flask) -> None:
    """Bind Flask-Limiter to `app`, with its `Retry-After` kept for refusals only."""
    # Registered first on purpose: Flask runs response hooks last-registered first, so this
    # one runs after the limiter's, and sees the headers it added.
    app.after_request(retry_after_only_when_refused)
    limiter.init_app(app)


def limit_api_blueprints(app: Flask) -> list[str]:
    """Put the API budget and the key quota on every blueprint serving a URL under ``/api``.

    Call after the blueprints are registered. Returns the blueprint names, sorted.
    """
    names = sorted(
        {
            rule.endpoint.split(".", 1)[0]
            for rule in app.url_map.iter_rules()
            if "." in rule.endpoint
            and (rule.rule == API_PATH_PREFIX.rstrip("/") or rule.rule.startswith(API_PATH_PREFIX))
        }
    )
    for name in names:
        api_budget(app.blueprints[name])
        api_key_quota(app.blueprints[name])
    return names
