"""Response caching with Flask-Caching, and conditional GETs with ETags (Q072, Q103).

**Where.** ``cache`` (demo.extensions) is a RedisCache on the shared ``REDIS_URL`` when there
is one, so every worker sees the same entries and an invalidation reaches all of them, and a
SimpleCache (this process's memory) in embedded mode and in tests.

**What.** `cached_response` stores the output of a GET list view (the tag list, the article
lists) under a key made of the path, the query string with its parameters sorted (so
``?tag=a&limit=5`` and ``?limit=5&tag=a`` share one entry), the list version, and, for
responses that differ per caller, the caller's verified user id. Article lists carry
``favorited`` and ``following`` flags, so one user's page must never be served to another:
those views use ``per_user=True`` and every caller (anonymous callers together) gets entries
of their own. Caching only anonymous pages would be the other safe choice; it gives up the
logged-in home page, the most requested page of all. The key uses the same signature check
as the rate limiter: an unverified token never selects a cache entry. The decorator goes
*under* the view's authentication decorator, so a revoked or expired token is still refused
before any cached page is served.

**Invalidation** is by namespace version rather than by finding keys: every key contains the
current value of the ``article-lists:version`` counter, and `invalidate_article_lists` bumps
it, which orphans every cached list at once (they expire on their own after
``CACHE_DEFAULT_TIMEOUT``). Call it after the commit of any write that changes what a list or
the tag list shows: an article created, updated or deleted, a favourite added or removed, a
follow or unfollow, a profile edit (lists embed the author). After, not before: a read
between a bump and the commit would cache the old rows under the new version.

**A cache failure is not an outage.** If Redis is unreachable, reads skip the cache (logged)
and views answer from the database.

**Conditional GETs.** `conditional` adds a strong ``ETag`` (a hash of the body) to 200
answers and turns a request whose ``If-None-Match`` matches into a ``304 Not Modified`` with
no body. That saves the transfer, not the work: the view still runs unless its output came
from the cache.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, current_app, request
from redis.exceptions import RedisError

from demo.api.ratelimits import verified_user_id
from demo.extensions import cache

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., Any])

LISTS_VERSION_KEY = "article-lists:version"
# Headers a cached answer must never replay to someone else.
_UNCACHEABLE_HEADERS = {"set-cookie", "content-length"}
# What is stored: (status, headers, body). Plain built-in types on purpose: entries are
# pickled, and a pickled class would tie every stored entry to this module's layout.
CachedResponse = tuple[int, list[tuple[str, str]], bytes]


def init_cache(app: Flask) -> None:
    """Bind Flask-Caching to `app` with the CACHE_* settings from its config."""
    cache.init_app(app)


def lists_version() -> int:
    """The current list namespace; started from the clock, so a lost counter never reuses one."""
    version = cache.get(LISTS_VERSION_KEY)
    if version is None:
        # `add` only writes if the key is still absent (SETNX): concurrent first readers agree.
        cache.add(LISTS_VERSION_KEY, time.time_ns(), timeout=0)
        version = cache.get(LISTS_VERSION_KEY)
    return int(version)


def invalidate_article_lists() -> None:
    """Make every cached article list and tag list stale. Call after the write commits."""
    try:
        if cache.get(LISTS_VERSION_KEY) is None:
            lists_version()
        # The backend's own increment: INCR on Redis, atomic across every worker.
        cache.cache.inc(LISTS_VERSION_KEY)
    except RedisError:
        # Nothing can be read from a cache that cannot be written either; entries written
        # before the outage still expire after CACHE_DEFAULT_TIMEOUT.
        log.warning("Could not invalidate the cached article lists", exc_info=True)


def list_cache_key(per_user: bool) -> str:
    """The key for this request's list: path, sorted query, list version, and maybe caller."""
    query = urlencode(sorted(request.args.items(multi=True)))
    caller = (verified_user_id() or "anonymous") if per_user else "everyone"
    return f"lists:v{lists_version()}:{caller}:{request.path}?{query}"


def cached_response(*, per_user: bool) -> Callable[[View], View]:
    """Serve a GET list view from the cache when its key is there, else store its 200 answer.

    ``per_user=True`` for views whose output depends on the caller. Put it below the
    authentication decorator, directly on the view function.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            if request.method not in ("GET", "HEAD"):
                return current_app.make_response(current_app.ensure_sync(view)(*args, **kwargs))
            try:
                key = list_cache_key(per_user)
                hit = cache.get(key)
            except RedisError:
                log.warning("Cache unreachable: answering %s uncached", request.path, exc_info=True)
                key, hit = None, None
            if hit is not None:
                return conditional_response(_replay(hit))
            response = current_app.make_response(current_app.ensure_sync(view)(*args, **kwargs))
            if key is not None and _cacheable(response):
                # Hash the body once, when it is stored: every hit replays this ETag (Q102).
                response.add_etag()
                _store(key, response)
            return conditional_response(response)

        return wrapper  # type: ignore[return-value]

    return decorator


def _cacheable(response: Response) -> bool:
    return (
        response.status_code == 200
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
    )


def _store(key: str, response: Response) -> None:
    headers = [
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in _UNCACHEABLE_HEADERS
    ]
    try:
        entry: CachedResponse = (response.status_code, headers, response.get_data())
        cache.set(key, entry)
    except RedisError:
        log.warning("Cache unreachable: %s not stored", request.path, exc_info=True)


def _replay(hit: CachedResponse) -> Response:
    status, headers, body = hit
    return Response(body, status=status, headers=headers)


def conditional_response(response: Response) -> Response:
    """Add a strong ETag to a 200 GET answer; 304 with no body if the client already has it."""
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.add_etag()
        # Clients may keep the body but must ask again each time; the body depends on the
        # caller's credentials, so shared caches keep one copy per Authorization header.
        response.cache_control.no_cache = True
        response.vary.add("Authorization")
        # Werkzeug dates the response here; `demo.middleware` drops that copy under the
        # one server that would send it beside its own, so clients see one Date header.
        response.make_conditional(request)
    return response


def conditional(view: View) -> View:
    """Decorator form of `conditional_response` for single-resource reads (one article)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        response = current_app.make_response(current_app.ensure_sync(view)(*args, **kwargs))
        return conditional_response(response)

    return wrapper  # type: ignore[return-value]
