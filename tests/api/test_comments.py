"""Comments: /api/articles/<slug>/comments[/<id>]."""

from __future__ import annotations

import re

import pytest

from tests.api.support import errors_of

COMMENT_KEYS = {"id", "createdAt", "updatedAt", "body", "author"}


@pytest.fixture
def slug(api_user, write_article) -> str:
    """The slug of an article by jake."""
    return write_article(api_user)["slug"]


def comment(client, user, slug: str, body: str = "His name was my name too."):
    """POST a comment as `user`."""
    return client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=user.headers
    )


def test_adding_a_comment_answers_200_with_it(client, other_user, slug):
    """POST .../comments: 200 (per openapi.yml) with id, timestamps, body and author profile."""
    response = comment(client, other_user, slug)
    assert response.status_code == 200
    created = response.get_json()["comment"]
    assert set(created) == COMMENT_KEYS
    assert isinstance(created["id"], int)
    assert created["body"] == "His name was my name too."
    assert created["author"]["username"] == "jane"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", created["createdAt"])


def test_comments_are_listed_newest_first_for_anyone(client, api_user, other_user, slug):
    """GET .../comments needs no token; newest first; `following` reflects the viewer."""
    first = comment(client, other_user, slug, "first").get_json()["comment"]
    second = comment(client, api_user, slug, "second").get_json()["comment"]
    response = client.get(f"/api/articles/{slug}/comments")
    assert response.status_code == 200
    listed = response.get_json()["comments"]
    assert [c["id"] for c in listed] == [second["id"], first["id"]]
    client.post("/api/profiles/jane/follow", headers=api_user.headers)
    as_jake = client.get(f"/api/articles/{slug}/comments", headers=api_user.headers)
    following = {c["body"]: c["author"]["following"] for c in as_jake.get_json()["comments"]}
    assert following == {"first": True, "second": False}


def test_comments_of_an_unknown_article_are_404(client, api_user):
    """Listing or adding comments on an unknown slug: 404."""
    assert client.get("/api/articles/nope/comments").status_code == 404
    assert comment(client, api_user, "nope").status_code == 404


def test_a_comment_needs_a_token_and_a_body(client, api_user, slug):
    """No token: 401; an empty body: 422 shaped exactly like the spec's example."""
    anonymous = client.post(f"/api/articles/{slug}/comments", json={"comment": {"body": "x"}})
    assert anonymous.status_code == 401
    response = comment(client, api_user, slug, "  ")
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"body": ["can't be blank"]}}


def test_the_author_deletes_a_comment_with_204(client, other_user, slug):
    """DELETE .../comments/<id> by its author: 204, empty body, and it is gone."""
    comment_id = comment(client, other_user, slug).get_json()["comment"]["id"]
    response = client.delete(
        f"/api/articles/{slug}/comments/{comment_id}", headers=other_user.headers
    )
    assert response.status_code == 204 and response.data == b""
    assert client.get(f"/api/articles/{slug}/comments").get_json()["comments"] == []


@pytest.mark.answers("Q085")
def test_only_the_comment_author_may_delete_it(client, api_user, other_user, slug):
    """Another user, even the article's author: 403; without a token: 401."""
    comment_id = comment(client, other_user, slug).get_json()["comment"]["id"]
    url = f"/api/articles/{slug}/comments/{comment_id}"
    assert client.delete(url).status_code == 401
    forbidden = client.delete(url, headers=api_user.headers)
    assert forbidden.status_code == 403
    assert errors_of(forbidden) == {
        "body": ["only the author may delete this comment"],
        "comment": ["forbidden"],
    }
    assert len(client.get(f"/api/articles/{slug}/comments").get_json()["comments"]) == 1


def test_deleting_an_unknown_comment_is_404(client, api_user, write_article, slug):
    """An unknown id, an id from another article, an unknown article: 404 each."""
    other_slug = write_article(api_user, title="Another one")["slug"]
    comment_id = comment(client, api_user, other_slug).get_json()["comment"]["id"]
    headers = api_user.headers
    unknown = client.delete(f"/api/articles/{slug}/comments/999999", headers=headers)
    assert unknown.status_code == 404
    assert unknown.get_json()["errors"]["comment"] == ["not found"]
    wrong_article = client.delete(f"/api/articles/{slug}/comments/{comment_id}", headers=headers)
    assert wrong_article.status_code == 404
    assert (
        client.delete(f"/api/articles/nope/comments/{comment_id}", headers=headers).status_code
        == 404
    )
    assert client.delete(f"/api/articles/{slug}/comments/abc", headers=headers).status_code == 404


def test_a_comment_id_beyond_the_integer_column_is_404_not_500(client, api_user, slug):
    """Ids past 2**31 - 1 cannot exist: routing answers 404 before the database overflows."""
    for comment_id in (2**31, 2**63, 10**30):
        response = client.delete(
            f"/api/articles/{slug}/comments/{comment_id}", headers=api_user.headers
        )
        assert response.status_code == 404
        assert errors_of(response)["body"]


def test_a_deleted_comments_id_is_never_given_to_another(client, api_user, slug):
    """Delete the newest comment, add one: it gets a new id (SQLite included, as PostgreSQL)."""
    first_id = comment(client, api_user, slug).get_json()["comment"]["id"]
    url = f"/api/articles/{slug}/comments/{first_id}"
    assert client.delete(url, headers=api_user.headers).status_code == 204
    second_id = comment(client, api_user, slug).get_json()["comment"]["id"]
    assert second_id > first_id
    assert client.delete(url, headers=api_user.headers).status_code == 404
