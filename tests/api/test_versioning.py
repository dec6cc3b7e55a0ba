"""API versioning: /api (v1, Conduit) and /api/v2 over the same services (Q126)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from demo.data.instrumentation import count_statements
from tests.api.support import errors_of
from tests.data.builders import make_article, make_user

T0 = datetime(2024, 1, 1, tzinfo=UTC)
# Newest first. a-2 and a-3 share a timestamp: the id decides their order, on every page.
NEWEST_FIRST = ["a-4", "a-3", "a-2", "a-1", "a-0"]


@pytest.fixture
def library(db):
    """Five articles: a-0 (oldest) .. a-4; ann wrote the even ones, bob the odd ones.

    Tags: every article "all", the even ones also "even". Bob favourited a-1 and a-3.
    """
    ann, bob = make_user("ann"), make_user("bob")
    for n in range(5):
        make_article(
            ann if n % 2 == 0 else bob,
            f"a-{n}",
            tags=["all", "even"] if n % 2 == 0 else ["all"],
            favorited_by=[bob] if n in (1, 3) else [],
            created_at=T0 + timedelta(hours=min(n, 2)) + timedelta(minutes=n // 4),
        )
    db.session.commit()


def ok_json(response: Any) -> dict[str, Any]:
    """The JSON body of a 200 answer (the body is shown when the status is wrong)."""
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def walk(client: Any, url: str, **kwargs: Any) -> list[list[str]]:
    """Follow `links.next` from `url` to the last page; the slugs of each page."""
    pages: list[list[str]] = []
    while url is not None:
        body = ok_json(client.get(url, **kwargs))
        assert body["meta"] == {"count": len(body["data"])}
        pages.append([article["slug"] for article in body["data"]])
        url = body["links"]["next"]
        assert len(pages) <= 10, "links.next never ends"
    return pages


def raw_cursor(text: str) -> str:
    """A cursor with the issued encoding around any text: what a tampering client sends."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.answers("Q126")
def test_v1_and_v2_serve_the_same_articles_each_in_its_own_shape(client, library):
    """Same rows, same article fields; v1 says articlesCount, v2 data/links/meta + API-Version."""
    v1 = client.get("/api/articles")
    v2 = client.get("/api/v2/articles")

    v1_body, v2_body = ok_json(v1), ok_json(v2)
    assert set(v1_body) == {"articles", "articlesCount"} and v1_body["articlesCount"] == 5
    assert set(v2_body) == {"data", "links", "meta"}
    assert v2_body["links"] == {"self": "/api/v2/articles?limit=20", "next": None}
    assert v2_body["meta"] == {"count": 5}
    # The article representation is v1's, plus its own v2 URL.
    for old, new in zip(v1_body["articles"], v2_body["data"], strict=True):
        assert new.pop("links") == {"self": f"/api/v2/articles/{old['slug']}"}
        assert new == old
    assert v2.headers["API-Version"] == "2"
    assert "API-Version" not in v1.headers


@pytest.mark.answers("Q126")
def test_v2_article_is_v1_article_in_a_data_envelope_with_an_etag(client, library):
    """/api/v2/articles/<slug> is v1's article (with body) under "data"; 304 when unchanged."""
    v1 = ok_json(client.get("/api/articles/a-2"))["article"]
    response = client.get("/api/v2/articles/a-2")
    v2 = ok_json(response)["data"]

    assert v2.pop("links") == {"self": "/api/v2/articles/a-2"}
    assert v2 == v1 and v2["body"] == "Body of a-2"
    again = client.get("/api/v2/articles/a-2", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["API-Version"] == "2"


@pytest.mark.answers("Q126")
@pytest.mark.parametrize(
    ("limit", "pages"),
    [
        (2, [["a-4", "a-3"], ["a-2", "a-1"], ["a-0"]]),
        (1, [[slug] for slug in NEWEST_FIRST]),
        (5, [NEWEST_FIRST]),  # exactly one full page: no empty page after it
    ],
)
def test_cursor_pages_walk_every_article_once_and_the_last_next_is_null(
    client, library, limit, pages
):
    """Following links.next visits each article once, newest first, then next is null."""
    walked = walk(client, f"/api/v2/articles?limit={limit}")

    assert walked == pages
    flat = [slug for page in walked for slug in page]
    assert flat == NEWEST_FIRST and len(set(flat)) == len(flat)


@pytest.mark.answers("Q126")
def test_next_link_is_root_relative_and_keeps_filters_and_limit(client, library):
    """links.next is /api/v2/articles?<same filters>&limit=..&after=<cursor>, not the Host's URL."""
    body = ok_json(client.get("/api/v2/articles?tag=all&limit=2", base_url="http://evil.test"))

    next_url = urlsplit(body["links"]["next"])
    assert (next_url.scheme, next_url.netloc, next_url.path) == ("", "", "/api/v2/articles")
    assert parse_qs(next_url.query).keys() == {"tag", "limit", "after"}
    assert parse_qs(next_url.query)["tag"] == ["all"] and parse_qs(next_url.query)["limit"] == ["2"]
    assert body["links"]["self"] == "/api/v2/articles?tag=all&limit=2"


@pytest.mark.answers("Q126")
def test_keyset_pages_stay_put_when_an_article_arrives_but_offset_pages_shift(
    client, library, api_user, write_article
):
    """A new article between page 1 and 2: v1's offset page 2 repeats one, v2's next does not."""
    v1_page_1 = [a["slug"] for a in ok_json(client.get("/api/articles?limit=2"))["articles"]]
    v2_page_1 = ok_json(client.get("/api/v2/articles?limit=2"))

    write_article(api_user, "Breaking news")

    v1_page_2 = [
        a["slug"] for a in ok_json(client.get("/api/articles?limit=2&offset=2"))["articles"]
    ]
    v2_page_2 = ok_json(client.get(v2_page_1["links"]["next"]))
    assert v1_page_1 == ["a-4", "a-3"] and v1_page_2 == ["a-3", "a-2"]  # a-3 shown twice
    assert [a["slug"] for a in v2_page_2["data"]] == ["a-2", "a-1"]
    # The newcomer is on a fresh first page, not wedged into the pages already handed out.
    assert ok_json(client.get("/api/v2/articles?limit=2"))["data"][0]["slug"] == "breaking-news"


@pytest.mark.answers("Q126")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tag=even", ["a-4", "a-2", "a-0"]),
        ("author=bob", ["a-3", "a-1"]),
        ("favorited=bob", ["a-3", "a-1"]),
        ("tag=even&author=ann", ["a-4", "a-2", "a-0"]),
        ("tag=nope", []),
    ],
)
def test_filters_give_v1s_matches_on_every_cursor_page(client, library, query, expected):
    """?tag, ?author and ?favorited match v1's results, and the cursor pages keep them."""
    v1 = [a["slug"] for a in ok_json(client.get(f"/api/articles?{query}"))["articles"]]

    pages = walk(client, f"/api/v2/articles?{query}&limit=1")

    assert v1 == expected
    assert [slug for page in pages for slug in page] == expected


@pytest.mark.answers("Q126")
def test_v2_reads_the_same_tokens_and_viewer_flags_as_v1(client, db, library, register):
    """Token or Bearer gives favorited/following, as in v1; a bad token is a JSON 401."""
    bob = register("bob-reader")
    client.post("/api/articles/a-1/favorite", headers=bob.headers)
    client.post("/api/profiles/ann/follow", headers=bob.headers)
    bearer = {"Authorization": f"Bearer {bob.token}"}

    for headers in (bob.headers, bearer):
        rows = {
            a["slug"]: a for a in ok_json(client.get("/api/v2/articles", headers=headers))["data"]
        }
        assert rows["a-1"]["favorited"] is True and rows["a-3"]["favorited"] is False
        assert rows["a-0"]["author"]["following"] is True
        assert rows["a-1"]["author"]["following"] is False
    anonymous = ok_json(client.get("/api/v2/articles"))["data"]
    assert not any(a["favorited"] or a["author"]["following"] for a in anonymous)

    refused = client.get("/api/v2/articles", headers={"Authorization": "Token not-a-jwt"})
    assert refused.status_code == 401 and errors_of(refused)["body"]


@pytest.mark.answers("Q126", "Q103")
def test_v2_pages_are_cached_and_a_write_drops_them_like_v1s(client, db, library, register):
    """A repeat v2 read costs no SQL; after a write (through v1) the next v2 read shows it."""
    reader = register("reader")
    url = "/api/v2/articles?author=ann"
    first = ok_json(client.get(url, headers=reader.headers))["data"]
    with count_statements(db.engine) as log:
        cached = ok_json(client.get(url, headers=reader.headers))["data"]
    assert cached == first and log.count == 0

    favourited = client.post("/api/articles/a-0/favorite", headers=reader.headers)
    assert favourited.status_code == 200

    after = {a["slug"]: a for a in ok_json(client.get(url, headers=reader.headers))["data"]}
    assert after["a-0"]["favorited"] is True and after["a-0"]["favoritesCount"] == 1
    anonymous = {a["slug"]: a for a in ok_json(client.get(url))["data"]}
    assert anonymous["a-0"]["favoritesCount"] == 1


@pytest.mark.answers("Q126")
@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("zzz", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param("not-base64!", id="not-base64"),
        pytest.param(raw_cursor("not a cursor"), id="not-a-position"),
        pytest.param(raw_cursor("2024-01-01T00:00:00|1"), id="naive-timestamp"),
        pytest.param(raw_cursor("2024-01-01T00:00:00+00:00|0"), id="id-zero"),
        pytest.param(raw_cursor("2024-01-01T00:00:00+00:00|-1"), id="id-negative"),
        pytest.param(raw_cursor("2024-01-01T00:00:00+00:00|99999999999999999999"), id="id-huge"),
        # One past PostgreSQL's INTEGER: the driver would fail on it.
        pytest.param(raw_cursor("2024-01-01T00:00:00+00:00|2147483648"), id="id-past-int4"),
        # int() accepts "1_0", but no issued cursor looks like that.
        pytest.param(raw_cursor("2024-01-01T00:00:00+00:00|1_0"), id="id-not-canonical"),
        # Dates that leave the calendar once moved to UTC.
        pytest.param(raw_cursor("0001-01-01T00:00:00+14:00|1"), id="before-year-1-in-utc"),
        pytest.param(raw_cursor("9999-12-31T23:59:59-14:00|1"), id="after-year-9999-in-utc"),
        pytest.param(raw_cursor("2024-01-01T00:00:00+00:00|1") + "==", id="padded"),
    ],
)
def test_a_cursor_this_api_did_not_issue_is_a_422_in_the_api_error_shape(client, library, cursor):
    """Garbage, tampered or out-of-range cursors are a JSON 422 on `after`, never a 500."""
    response = client.get(f"/api/v2/articles?after={cursor}")

    assert response.status_code == 422, response.get_data(as_text=True)
    assert errors_of(response)["after"] == ["is not a cursor issued by this API"]
    assert response.headers["API-Version"] == "2"


@pytest.mark.answers("Q126")
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("offset=2", "offset", "is not supported in v2: follow links.next"),
        ("limit=0", "limit", "must be at least 1"),
        ("limit=x", "limit", "must be an integer"),
    ],
)
def test_offset_and_bad_limits_are_422_in_v2(client, library, query, field, message):
    """v2 refuses ?offset= (it pages by cursor) and limits v1 refuses, with v1's error shape."""
    response = client.get(f"/api/v2/articles?{query}")

    assert response.status_code == 422
    assert errors_of(response)[field] == [message]


@pytest.mark.answers("Q126")
def test_unknown_versions_and_routes_are_json_404s_and_wrong_methods_405(client, library):
    """/api/v3 does not exist, v2 has no /tags, an unknown slug is a 404: all JSON."""
    for url in ("/api/v3/articles", "/api/v2/tags", "/api/v2/articles/no-such-article"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.is_json and errors_of(response)["body"], url
    assert client.get("/api/v2/articles/no-such-article").headers["API-Version"] == "2"

    post = client.post("/api/v2/articles", json={})
    assert post.status_code == 405
    assert set(post.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert errors_of(post)["body"]


@pytest.mark.answers("Q126")
def test_v1_still_answers_as_the_conduit_spec_says(client, library):
    """v1 keeps articles/articlesCount, offset paging, its charset and no version headers."""
    response = client.get("/api/articles?limit=2&offset=1")

    body = ok_json(response)
    assert set(body) == {"articles", "articlesCount"}
    assert [a["slug"] for a in body["articles"]] == ["a-3", "a-2"] and body["articlesCount"] == 5
    assert response.content_type == "application/json; charset=utf-8"
    # Not deprecated: no Deprecation or Sunset header, and no v2 marker.
    assert {"API-Version", "Deprecation", "Sunset"}.isdisjoint(response.headers.keys())


@pytest.mark.answers("Q126", "Q152")
def test_v2_spends_the_same_rate_limit_budget_as_v1(make_app):
    """One budget per caller across /api and /api/v2: switching versions buys no extra calls."""
    client = make_app(RATELIMIT_API_DEFAULT="2/minute").test_client()

    answers = [client.get(url) for url in ("/api/articles", "/api/v2/articles", "/api/v2/articles")]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert errors_of(answers[2])["body"] and answers[2].headers["API-Version"] == "2"
    assert "Retry-After" in answers[2].headers


@pytest.mark.answers("Q126", "Q151")
def test_each_version_has_its_own_generated_document(client):
    """/api/v2/openapi.json describes v2's two operations with v2's shapes; v1's has none."""
    v1 = ok_json(client.get("/api/openapi.json"))
    answer = client.get("/api/v2/openapi.json")
    v2 = ok_json(answer)

    assert answer.headers["API-Version"] == "2"
    assert set(v2["paths"]) == {"/api/v2/articles", "/api/v2/articles/{slug}"}
    assert not any(path.startswith("/api/v2") for path in v1["paths"])
    listed = v2["paths"]["/api/v2/articles"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"tag", "author", "favorited", "after"}
    assert "offset" not in {p["name"] for p in listed["parameters"]}
    envelope = listed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(v2["components"]["schemas"][envelope.rsplit("/", 1)[1]]["properties"]) == {
        "data",
        "links",
        "meta",
    }
