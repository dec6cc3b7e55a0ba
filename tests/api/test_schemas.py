"""The marshmallow schemas on their own: loading, validating, dumping (Q149, Q150)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from demo.api.errors import validation_detail
from demo.api.schemas import (
    ArticleListQuery,
    MultipleArticlesResponse,
    NewArticleRequest,
    SingleArticleResponse,
    UtcTimestamp,
)
from demo.data.articles import ArticleRow, ArticleRowPage
from demo.models import Article, Tag, User

MOMENT = datetime(2016, 2, 18, 3, 22, 56, 637123, tzinfo=UTC)


def article_row() -> ArticleRow:
    """An unsaved article with tags and an author, as the data layer would return it."""
    author = User(username="jake", email="jake@example.com", password_hash="x", bio="hi")
    article = Article(
        slug="how-to",
        title="How to",
        description="d",
        body="b",
        author=author,
        tags=[Tag(name="training"), Tag(name="Dragons"), Tag(name="angular")],
    )
    article.created_at = MOMENT
    article.updated_at = MOMENT + timedelta(hours=1)
    return ArticleRow(article, favorites_count=3, favorited=True, following_author=False)


@pytest.mark.answers("Q150")
def test_load_turns_json_into_checked_python_values():
    """`load` unwraps nothing by magic: camelCase `tagList` arrives as `tag_list`, trimmed."""
    body = {
        "article": {
            "title": "  How to train  ",
            "description": "d",
            "body": "  indented body",
            "tagList": ["a", "b"],
        }
    }
    loaded = NewArticleRequest().load(body)
    assert loaded == {
        "article": {
            "title": "How to train",
            "description": "d",
            "body": "  indented body",  # bodies keep their whitespace
            "tag_list": ["a", "b"],
        }
    }


@pytest.mark.answers("Q149")
def test_load_reports_every_problem_at_once_keyed_by_field():
    """One ValidationError carries all the messages, nested as the input was."""
    with pytest.raises(ValidationError) as caught:
        NewArticleRequest().load({"article": {"title": "", "tagList": ["ok", 7]}})
    assert caught.value.messages == {
        "article": {
            "title": ["can't be blank"],
            "description": ["can't be blank"],
            "body": ["can't be blank"],
            "tagList": {1: ["must be a string"]},
        }
    }


@pytest.mark.answers("Q149")
def test_nested_messages_flatten_to_field_names_and_a_body_summary():
    """The 422 body: field keys clients know, plus the `body` list the spec requires."""
    detail = validation_detail(
        {"article": {"title": ["can't be blank"], "tagList": {1: ["must be a string"]}}}
    )
    assert detail == {
        "title": ["can't be blank"],
        "tagList": ["must be a string"],
        "body": ["tagList must be a string", "title can't be blank"],
    }
    assert validation_detail({"_schema": ["must be a JSON object"]}) == {
        "body": ["body must be a JSON object"]
    }


@pytest.mark.answers("Q149")
def test_unknown_keys_are_dropped_not_refused():
    """`unknown = EXCLUDE`: extra keys vanish from the loaded data instead of failing it."""
    loaded = NewArticleRequest().load(
        {"article": {"title": "t", "description": "d", "body": "b", "slug": "x"}, "extra": 1}
    )
    assert loaded == {"article": {"title": "t", "description": "d", "body": "b"}}


def test_query_parameters_are_typed_defaulted_and_clamped():
    """Strings from the URL become ints; defaults 20 and 0; a huge limit becomes 100."""
    schema = ArticleListQuery()
    assert schema.load({}) == {"limit": 20, "offset": 0}
    assert schema.load({"limit": "5", "tag": "x"}) == {"limit": 5, "offset": 0, "tag": "x"}
    assert schema.load({"limit": "5000"})["limit"] == 100


@pytest.mark.answers("Q150")
def test_dump_shapes_an_object_into_the_conduit_json():
    """`dump` reads attributes (dotted paths for nested objects) and renames to camelCase."""
    dumped = SingleArticleResponse().dump(article_row())
    assert dumped == {
        "article": {
            "slug": "how-to",
            "title": "How to",
            "description": "d",
            "body": "b",
            "tagList": ["angular", "Dragons", "training"],
            "createdAt": "2016-02-18T03:22:56.637Z",
            "updatedAt": "2016-02-18T04:22:56.637Z",
            "favorited": True,
            "favoritesCount": 3,
            "author": {"username": "jake", "bio": "hi", "image": None, "following": False},
        }
    }


@pytest.mark.answers("Q150")
def test_the_list_schema_reuses_the_article_schema_without_body():
    """`ArticleSummary` is `Article` with `Meta.exclude = ("body",)`: one definition, two shapes."""
    dumped = MultipleArticlesResponse().dump(ArticleRowPage([article_row()], total=7))
    assert dumped["articlesCount"] == 7
    assert "body" not in dumped["articles"][0]
    assert dumped["articles"][0]["slug"] == "how-to"


def test_timestamps_are_converted_to_utc_with_milliseconds():
    """An aware time in another zone is written as the same instant in UTC, ending in Z."""
    field = UtcTimestamp()
    tokyo = datetime(2024, 1, 1, 9, 0, 0, 5000, tzinfo=timezone(timedelta(hours=9)))
    assert field.serialize("at", {"at": tokyo}) == "2024-01-01T00:00:00.005Z"
    assert field.serialize("at", {"at": None}) is None
