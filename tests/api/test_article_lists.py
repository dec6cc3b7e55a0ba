"""The article list and the feed: order, filters, paging, viewer flags, SQL cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from demo.data.instrumentation import count_statements
from demo.models import Article, User, favorites, follows
from tests.api.support import errors_of
from tests.data.builders import make_article, make_user

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def slugs(response) -> list[str]:
    """The slugs of a list response, in order."""
    assert response.status_code == 200, response.get_json()
    return [article["slug"] for article in response.get_json()["articles"]]


def user_id(db, username: str) -> int:
    """The id of the user called `username`."""
    return db.session.scalar(select(User.id).where(User.username == username))


@pytest.fixture
def library(db):
    """Five articles, an hour apart: a-0 (oldest) .. a-4 (newest); authors ann and bob.

    Tags: every article "all"; even ones "even". Bob favourited a-1 and a-3.
    """
    ann, bob = make_user("ann"), make_user("bob")
    for n in range(5):
        make_article(
            ann if n % 2 == 0 else bob,
            f"a-{n}",
            tags=["all", "even"] if n % 2 == 0 else ["all"],
            favorited_by=[bob] if n in (1, 3) else [],
            created_at=T0 + timedelta(hours=n),
        )
    db.session.commit()


@pytest.mark.answers("Q080", "Q086")
def test_list_is_newest_first_and_leaves_out_bodies(client, library):
    """GET /api/articles: newest first, `articlesCount`, and no `body` in list items."""
    response = client.get("/api/articles")
    assert slugs(response) == ["a-4", "a-3", "a-2", "a-1", "a-0"]
    payload = response.get_json()
    assert payload["articlesCount"] == 5
    assert all("body" not in article for article in payload["articles"])
    assert payload["articles"][0]["createdAt"] == "2024-01-01T04:00:00.000Z"


def test_articles_count_is_every_match_not_the_page(client, library):
    """?limit=2&offset=1 returns two articles, and articlesCount is still 5."""
    response = client.get("/api/articles?limit=2&offset=1")
    assert slugs(response) == ["a-3", "a-2"]
    assert response.get_json()["articlesCount"] == 5
    past_the_end = client.get("/api/articles?offset=50")
    assert slugs(past_the_end) == [] and past_the_end.get_json()["articlesCount"] == 5


def test_default_page_is_twenty_articles(client, db):
    """Without ?limit the page holds 20 articles."""
    author = make_user("prolific")
    for n in range(21):
        make_article(author, f"p-{n}", created_at=T0 + timedelta(minutes=n))
    db.session.commit()
    response = client.get("/api/articles")
    assert len(slugs(response)) == 20
    assert response.get_json()["articlesCount"] == 21


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tag=even", ["a-4", "a-2", "a-0"]),
        ("author=bob", ["a-3", "a-1"]),
        ("favorited=bob", ["a-3", "a-1"]),
        ("tag=even&author=ann&limit=1", ["a-4"]),
        ("tag=", ["a-4", "a-3", "a-2", "a-1", "a-0"]),
    ],
)
def test_filters_by_tag_author_and_favourites(client, library, query, expected):
    """?tag=, ?author= and ?favorited= filter, combine, and page; empty values filter nothing."""
    assert slugs(client.get(f"/api/articles?{query}")) == expected


@pytest.mark.parametrize("query", ["author=nobody", "favorited=nobody", "tag=nothing"])
def test_unknown_filter_values_give_an_empty_list_not_a_404(client, library, query):
    """An author, favouriting user or tag that does not exist: 200, no articles, count 0."""
    response = client.get(f"/api/articles?{query}")
    assert slugs(response) == []
    assert response.get_json()["articlesCount"] == 0


@pytest.mark.answers("Q149")
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("limit=0", "limit", "must be at least 1"),
        ("limit=-5", "limit", "must be at least 1"),
        ("limit=ten", "limit", "must be an integer"),
        ("offset=-1", "offset", "must be at least 0"),
        ("offset=1.5", "offset", "must be an integer"),
    ],
)
def test_bad_limit_or_offset_is_422(client, library, query, field, message):
    """Below the spec's minimums or not an integer: 422 naming the parameter."""
    response = client.get(f"/api/articles?{query}")
    assert response.status_code == 422
    assert errors_of(response)[field] == [message]


def test_a_huge_limit_or_offset_is_clamped_not_refused(client, library):
    """The spec sets no maximum: ?limit=10**6 is served (at most 100 rows), as is a huge offset."""
    assert len(slugs(client.get("/api/articles?limit=1000000"))) == 5
    assert slugs(client.get(f"/api/articles?offset={10**30}")) == []


def test_list_flags_favourites_and_follows_for_the_viewer(client, db, library, register):
    """Signed in, `favorited` and `author.following` describe the viewer; anonymous, both false."""
    viewer = register("viewer")
    viewer_id = user_id(db, "viewer")
    db.session.execute(
        insert(follows).values(follower_id=viewer_id, followed_id=user_id(db, "ann"))
    )
    a0 = db.session.scalar(select(Article.id).where(Article.slug == "a-0"))
    db.session.execute(insert(favorites).values(user_id=viewer_id, article_id=a0))
    db.session.commit()
    signed_in = client.get("/api/articles", headers=viewer.headers).get_json()["articles"]
    flags = {a["slug"]: (a["favorited"], a["author"]["following"]) for a in signed_in}
    assert flags == {
        "a-0": (True, True),
        "a-1": (False, False),
        "a-2": (False, True),
        "a-3": (False, False),
        "a-4": (False, True),
    }
    anonymous = client.get("/api/articles").get_json()["articles"]
    assert not any(a["favorited"] or a["author"]["following"] for a in anonymous)


@pytest.mark.answers("Q086")
def test_list_runs_the_same_statements_for_1_and_20_articles(client, db, register):
    """Signed in, with both flags, the list costs the same few SQL statements at any size."""
    viewer = register("viewer")
    viewer_id = user_id(db, "viewer")

    def add(first: int, last: int) -> None:
        for n in range(first, last):
            author = make_user(f"author{n}")
            make_article(author, f"s-{n}", tags=["x", f"t{n}"], created_at=T0 + timedelta(hours=n))
            db.session.flush()
            db.session.execute(insert(follows).values(follower_id=viewer_id, followed_id=author.id))
        db.session.commit()

    def measure(size: int) -> int:
        db.session.remove()  # a new request starts with an empty identity map
        with count_statements(db.engine) as log:
            response = client.get(f"/api/articles?limit={size}", headers=viewer.headers)
        assert len(slugs(response)) == size
        assert all(a["author"]["following"] for a in response.get_json()["articles"])
        return log.count

    add(0, 1)
    one = measure(1)
    add(1, 20)
    # token user + page (with both flags as EXISTS columns) + tags + count
    assert one == measure(20) == 4


@pytest.mark.answers("Q085")
def test_feed_needs_a_token(client):
    """GET /api/articles/feed without a token: 401."""
    response = client.get("/api/articles/feed")
    assert response.status_code == 401
    assert errors_of(response)["body"]


def test_feed_lists_followed_authors_newest_first(client, db, library, register):
    """Only articles by followed users, newest first, paged, with the total count."""
    viewer = register("viewer")
    assert slugs(client.get("/api/articles/feed", headers=viewer.headers)) == []
    client.post("/api/profiles/bob/follow", headers=viewer.headers)
    response = client.get("/api/articles/feed", headers=viewer.headers)
    assert slugs(response) == ["a-3", "a-1"]
    assert response.get_json()["articlesCount"] == 2
    assert all(a["author"]["following"] for a in response.get_json()["articles"])
    paged = client.get("/api/articles/feed?limit=1&offset=1", headers=viewer.headers)
    assert slugs(paged) == ["a-1"] and paged.get_json()["articlesCount"] == 2
    assert client.get("/api/articles/feed?limit=0", headers=viewer.headers).status_code == 422


@pytest.mark.answers("Q149")
@pytest.mark.parametrize("name", ["tag", "author", "favorited"])
def test_a_filter_with_a_nul_character_is_422_not_500(client, library, name):
    """A filter value PostgreSQL could not even compare (U+0000) is refused by the schema."""
    response = client.get(f"/api/articles?{name}=a%00b")
    assert response.status_code == 422
    assert errors_of(response)[name] == ["must not contain NUL characters"]
