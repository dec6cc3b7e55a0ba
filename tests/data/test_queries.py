"""Query patterns: a constant statement count, the N+1 anti-pattern, paging and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from demo.data.articles import (
    ArticleFilters,
    InvalidCursorError,
    decode_cursor,
    list_articles,
    list_articles_keyset,
    list_articles_naive,
)
from demo.data.instrumentation import count_statements
from tests.data.builders import make_article, make_user

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def add_articles(db, first: int, last: int) -> None:
    """Articles `first`..`last`-1, each by its own author, with tags and two favourites."""
    fans = [make_user(f"fan{first}a"), make_user(f"fan{first}b")]
    for n in range(first, last):
        make_article(
            make_user(f"author{n}"),
            f"article-{n}",
            tags=["common", f"only-{n}"],
            favorited_by=fans,
            created_at=T0 + timedelta(hours=n),
        )
    db.session.commit()
    # Start the measurement with an empty identity map, as a new request would.
    db.session.remove()


def statements_for(db, list_function) -> tuple[int, int]:
    """(statements run, articles returned) for one page of up to 20 articles."""
    with count_statements(db.engine) as log:
        page = list_function(limit=20)
    return log.count, len(page.articles)


@pytest.mark.answers("Q147")
def test_article_list_runs_the_same_few_statements_for_1_and_20_articles(db):
    """Authors, tags and favourite counts for 1 or 20 articles cost the same 3 statements."""
    add_articles(db, 0, 1)
    one = statements_for(db, list_articles)
    add_articles(db, 1, 20)
    twenty = statements_for(db, list_articles)
    assert one == (3, 1)
    assert twenty == (3, 20)


@pytest.mark.answers("Q147")
def test_naive_lazy_loading_grows_with_the_page_anti_pattern(db):
    """ANTI-PATTERN (N+1): lazy loads add about three statements per article on the page."""
    add_articles(db, 0, 1)
    one = statements_for(db, list_articles_naive)
    add_articles(db, 1, 20)
    twenty = statements_for(db, list_articles_naive)
    assert one == (5, 1)  # page + author + tags + favourites + total
    assert twenty == (3 * 20 + 2, 20)


@pytest.mark.answers("Q147")
def test_eager_and_naive_versions_return_the_same_data(db):
    """The N+1 version is not wrong, only slow: both produce identical JSON."""
    add_articles(db, 0, 5)
    eager = list_articles().as_json()
    db.session.remove()
    assert list_articles_naive().as_json() == eager
    first = eager["articles"][0]
    assert first["slug"] == "article-4" and first["favoritesCount"] == 2
    assert first["tagList"] == ["common", "only-4"]
    assert first["author"]["username"] == "author4"
    assert first["createdAt"] == "2024-01-01T04:00:00.000Z"


@pytest.mark.answers("Q147")
def test_limit_offset_pages_are_newest_first_and_count_everything(db):
    """Offset pages follow created_at DESC and articlesCount counts every match."""
    add_articles(db, 0, 5)
    pages = [list_articles(limit=2, offset=offset) for offset in (0, 2, 4)]
    slugs = [[a["slug"] for a in page.articles] for page in pages]
    assert slugs == [["article-4", "article-3"], ["article-2", "article-1"], ["article-0"]]
    assert {page.total for page in pages} == {5}


@pytest.mark.answers("Q147")
def test_keyset_pages_walk_ties_without_repeats_or_gaps(db):
    """Rows sharing one timestamp are ordered by id, so cursors never skip or repeat."""
    author = make_user("ann")
    for n in range(5):
        make_article(author, f"tied-{n}", created_at=T0)
    db.session.commit()
    seen, cursor = [], None
    for _ in range(3):
        page = list_articles_keyset(limit=2, after=cursor)
        seen += [a["slug"] for a in page.articles]
        cursor = page.next_cursor
    assert seen == [f"tied-{n}" for n in (4, 3, 2, 1, 0)]
    assert cursor is None


@pytest.mark.answers("Q147")
def test_keyset_is_stable_when_rows_arrive_but_offset_repeats_one(db):
    """A new article between page loads shifts OFFSET page 2 but not the keyset page 2."""
    add_articles(db, 0, 4)
    offset_page_1 = [a["slug"] for a in list_articles(limit=2).articles]
    keyset_page_1 = list_articles_keyset(limit=2)
    make_article(make_user("late"), "newest", created_at=T0 + timedelta(days=1))
    db.session.commit()
    offset_page_2 = [a["slug"] for a in list_articles(limit=2, offset=2).articles]
    keyset_page_2 = list_articles_keyset(limit=2, after=keyset_page_1.next_cursor)
    assert offset_page_1 == ["article-3", "article-2"]
    assert offset_page_2 == ["article-2", "article-1"]  # article-2 shown twice
    assert [a["slug"] for a in keyset_page_2.articles] == ["article-1", "article-0"]


@pytest.mark.answers("Q147")
def test_keyset_page_costs_two_statements_and_no_count(db):
    """A keyset page fetches limit+1 rows to learn if there is more: no COUNT query."""
    add_articles(db, 0, 3)
    with count_statements(db.engine) as log:
        page = list_articles_keyset(limit=2)
    page_query, tags_query = log.statements  # exactly two: no separate COUNT(*)
    assert "LIMIT" in page_query.upper() and "article_tags" in tags_query
    assert len(page.articles) == 2
    assert decode_cursor(page.next_cursor)[0] == T0 + timedelta(hours=1)


@pytest.mark.parametrize("cursor", ["not-base64!", "bm90IGEgY3Vyc29y", "MjAyNC0wMS0wMXwx"])
def test_a_cursor_we_did_not_issue_is_refused(db, cursor):
    """Garbage, a non-cursor and a naive timestamp all raise InvalidCursorError."""
    with pytest.raises(InvalidCursorError):
        list_articles_keyset(after=cursor)


@pytest.mark.answers("Q147")
def test_filters_by_tag_author_and_favouriting_user_combine(db):
    """?tag, ?author and ?favorited narrow the list (EXISTS, so no duplicate rows)."""
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    make_article(ann, "ann-flask", tags=["flask", "web"], favorited_by=[bob, cat])
    make_article(ann, "ann-orm", tags=["orm"], favorited_by=[cat])
    make_article(bob, "bob-flask", tags=["flask"])
    db.session.commit()

    def slugs(**filters: str) -> list[str]:
        page = list_articles(ArticleFilters(**filters))
        assert page.total == len(page.articles)
        return sorted(a["slug"] for a in page.articles)

    assert slugs(tag="flask") == ["ann-flask", "bob-flask"]
    assert slugs(author="ann") == ["ann-flask", "ann-orm"]
    assert slugs(favorited="cat") == ["ann-flask", "ann-orm"]
    assert slugs(tag="flask", author="ann", favorited="bob") == ["ann-flask"]
    assert slugs(tag="nope") == []


@pytest.mark.answers("Q147")
def test_list_urls_take_filters_and_page_arguments(client, db):
    """/data/articles answers the Conduit shape; bad paging arguments are a 400."""
    add_articles(db, 0, 3)
    body = client.get("/data/articles?tag=only-1&limit=5").get_json()
    assert body["articlesCount"] == 1 and body["articles"][0]["slug"] == "article-1"
    keyset = client.get("/data/articles/keyset?limit=2").get_json()
    after = client.get(f"/data/articles/keyset?limit=2&after={keyset['nextCursor']}")
    assert [a["slug"] for a in after.get_json()["articles"]] == ["article-0"]
    json_headers = {"Accept": "application/json"}
    for bad in ("limit=0", "limit=101", "limit=x", "limit=%C2%B2", "offset=-1"):
        response = client.get(f"/data/articles?{bad}", headers=json_headers)
        assert response.status_code == 400, bad
    response = client.get("/data/articles/keyset?after=zzz", headers=json_headers)
    assert response.status_code == 400
    assert "cursor" in response.get_json()["errors"]["body"][0]


@pytest.mark.answers("Q057", "Q075")
def test_first_or_404_turns_a_missing_row_into_a_404(client, db):
    """Flask-SQLAlchemy's db.first_or_404 answers 404 for an unknown slug, 200 otherwise."""
    make_article(make_user("ann"), "exists", tags=["flask"])
    db.session.commit()
    found = client.get("/data/articles/exists")
    assert found.status_code == 200
    assert found.get_json()["article"]["tagList"] == ["flask"]
    missing = client.get("/data/articles/missing", headers={"Accept": "application/json"})
    assert missing.status_code == 404
    assert missing.get_json() == {"errors": {"body": ["no article with slug 'missing'"]}}
