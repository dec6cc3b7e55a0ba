"""Cached API lists (Flask-Caching), invalidated by writes, and ETag/304 on reads (Q072, Q103)."""

from __future__ import annotations

import importlib.util
import logging
import socket
import uuid
from typing import Any

import pytest
from flask_caching.backends import SimpleCache

from demo.api.caching import LISTS_VERSION_KEY, invalidate_article_lists, lists_version
from demo.config import DevelopmentConfig
from demo.data.instrumentation import count_statements
from demo.extensions import cache, db
from tests.support.services import REDIS_URL


def statements_for(client: Any, url: str, **kwargs: Any) -> tuple[Any, int]:
    """A GET and the number of SQL statements it cost."""
    with count_statements(db.engine) as log:
        response = client.get(url, **kwargs)
    return response, log.count


@pytest.mark.answers("Q103", "Q072")
def test_a_cached_list_is_served_without_a_single_sql_statement(client, api_user, write_article):
    """The first GET queries the database; the same GET again is answered from the cache."""
    write_article(api_user, tagList=["dragons"])

    first, first_cost = statements_for(client, "/api/articles?limit=5")
    again, again_cost = statements_for(client, "/api/articles?limit=5")
    tags, _ = statements_for(client, "/api/tags")
    tags_again, tags_cost = statements_for(client, "/api/tags")

    assert first_cost > 0
    assert (again_cost, tags_cost) == (0, 0)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert tags_again.get_json() == tags.get_json() == {"tags": ["dragons"]}
    assert again.content_type == first.content_type


@pytest.mark.answers("Q103")
def test_the_query_string_is_part_of_the_key_in_any_order(client, api_user, write_article):
    """Different filters are different entries; the same filters in another order are one."""
    write_article(api_user, "Dragons", tagList=["dragons"])
    write_article(api_user, "Kittens", tagList=["kittens"])

    dragons = client.get("/api/articles?tag=dragons&limit=5").get_json()
    kittens, kittens_cost = statements_for(client, "/api/articles?tag=kittens&limit=5")
    reordered, reordered_cost = statements_for(client, "/api/articles?limit=5&tag=dragons")

    assert [a["title"] for a in dragons["articles"]] == ["Dragons"]
    assert [a["title"] for a in kittens.get_json()["articles"]] == ["Kittens"]
    assert kittens_cost > 0
    assert (reordered.get_json(), reordered_cost) == (dragons, 0)


@pytest.mark.answers("Q103")
def test_each_write_is_visible_on_the_next_read(client, api_user, other_user, write_article):
    """Creating, favouriting, following and deleting each invalidate the cached lists."""
    article = write_article(api_user, tagList=["dragons"])
    slug = article["slug"]
    as_jane = other_user.headers

    def listed() -> dict[str, Any]:
        return client.get("/api/articles", headers=as_jane).get_json()

    assert listed()["articlesCount"] == 1  # now cached for jane
    write_article(api_user, "Second", tagList=["kittens"])
    assert listed()["articlesCount"] == 2
    assert client.get("/api/tags").get_json() == {"tags": ["dragons", "kittens"]}

    client.post(f"/api/articles/{slug}/favorite", headers=as_jane)
    mine = {a["slug"]: a for a in listed()["articles"]}[slug]
    assert (mine["favorited"], mine["favoritesCount"]) == (True, 1)

    client.post(f"/api/profiles/{api_user.username}/follow", headers=as_jane)
    assert all(a["author"]["following"] for a in listed()["articles"])
    assert client.get("/api/articles/feed", headers=as_jane).get_json()["articlesCount"] == 2

    client.delete(f"/api/articles/{slug}", headers=api_user.headers)
    assert listed()["articlesCount"] == 1
    assert client.get("/api/tags").get_json() == {"tags": ["kittens"]}


@pytest.mark.answers("Q103")
def test_one_callers_cached_flags_are_never_served_to_another(
    client, api_user, other_user, write_article
):
    """Lists carry per-viewer flags, so each caller (and anonymous) has entries of their own."""
    slug = write_article(api_user)["slug"]
    client.post(f"/api/articles/{slug}/favorite", headers=other_user.headers)

    def favorited(headers: dict[str, str]) -> bool:
        return client.get("/api/articles", headers=headers).get_json()["articles"][0]["favorited"]

    # Twice each: the second answer of each caller comes from that caller's cache entry.
    assert [favorited(other_user.headers) for _ in "ab"] == [True, True]
    assert [favorited(api_user.headers) for _ in "ab"] == [False, False]
    assert [favorited({}) for _ in "ab"] == [False, False]


@pytest.mark.answers("Q103")
def test_an_article_read_has_an_etag_and_an_unchanged_one_is_a_304_without_body(
    client, api_user, write_article
):
    """If-None-Match with the current ETag gets 304 and no body; after an edit, 200 again."""
    slug = write_article(api_user)["slug"]
    url = f"/api/articles/{slug}"

    first = client.get(url)
    etag = first.headers["ETag"]
    unchanged = client.get(url, headers={"If-None-Match": etag})
    client.put(url, json={"article": {"description": "Edited"}}, headers=api_user.headers)
    changed = client.get(url, headers={"If-None-Match": etag})

    assert first.status_code == 200 and etag.startswith('"')
    assert "no-cache" in first.headers["Cache-Control"]
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert unchanged.headers["ETag"] == etag
    # One Date each (demo.middleware drops it under servers that write their own).
    assert len(first.headers.getlist("Date")) == len(unchanged.headers.getlist("Date")) == 1
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["article"]["description"] == "Edited"


@pytest.mark.answers("Q103")
def test_a_cached_list_can_be_revalidated_too(client, api_user, write_article):
    """A list replayed from the cache has the same ETag, so a 304 costs neither SQL nor body."""
    write_article(api_user)
    etag = client.get("/api/articles").headers["ETag"]

    unchanged, cost = statements_for(client, "/api/articles", headers={"If-None-Match": etag})

    assert (unchanged.status_code, unchanged.data, cost) == (304, b"", 0)


@pytest.mark.answers("Q103")
def test_invalidation_bumps_one_version_that_every_key_contains(app):
    """No key hunting: bumping the namespace version orphans every cached list at once."""
    with app.test_request_context("/api/tags"):
        before = lists_version()
        invalidate_article_lists()
        invalidate_article_lists()
        assert lists_version() == before + 2
        assert cache.get(LISTS_VERSION_KEY) == before + 2


@pytest.mark.answers("Q072")
def test_flask_caching_picks_redis_when_there_is_one_and_process_memory_otherwise(app):
    """Flask-Caching (not the dead Flask-Cache) with a backend chosen by REDIS_URL."""
    with_redis = DevelopmentConfig(environ={"REDIS_URL": "redis://cache.internal:6379/0"})
    embedded = DevelopmentConfig(environ={})

    assert (with_redis.CACHE_TYPE, with_redis.CACHE_REDIS_URL) == (
        "RedisCache",
        "redis://cache.internal:6379/0",
    )
    assert embedded.CACHE_TYPE == "SimpleCache"
    assert isinstance(cache.cache, SimpleCache)  # the testing app: no Redis
    assert importlib.util.find_spec("flask_cache") is None


@pytest.mark.answers("Q103", "Q072")
def test_the_redis_backed_cache_works_against_the_real_redis(make_app, redis_server):
    """With CACHE_TYPE=RedisCache the entries and the version counter are Redis keys."""
    prefix = f"test-cache-{uuid.uuid4().hex}:"
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
    client = app.test_client()
    try:
        first, first_cost = statements_for(client, "/api/tags")
        again, again_cost = statements_for(client, "/api/tags")
        keys = {key.decode() for key in redis_server.scan_iter(match=f"{prefix}*")}
        version = int(redis_server.get(f"{prefix}{LISTS_VERSION_KEY}"))
        with app.test_request_context():
            invalidate_article_lists()
        bumped = int(redis_server.get(f"{prefix}{LISTS_VERSION_KEY}"))
    finally:
        for key in redis_server.scan_iter(match=f"{prefix}*"):
            redis_server.delete(key)

    assert (first_cost > 0, again_cost) == (True, 0)
    assert again.get_json() == first.get_json() == {"tags": []}
    assert f"{prefix}{LISTS_VERSION_KEY}" in keys
    assert any(key.startswith(f"{prefix}lists:v{version}:everyone:/api/tags") for key in keys)
    assert bumped == version + 1


@pytest.mark.answers("Q103")
def test_an_unreachable_cache_is_skipped_not_an_outage(make_app, caplog):
    """If Redis is down the list is answered from the database and the failure logged."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")

    with caplog.at_level(logging.WARNING, logger="demo.api.caching"):
        answers = [app.test_client().get("/api/tags") for _ in "ab"]

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_json() == {"tags": []}
    assert "Cache unreachable" in caplog.text
