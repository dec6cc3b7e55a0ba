"""Articles: create, read, update, delete, slugs, favourites (/api/articles...)."""

from __future__ import annotations

import re

import pytest

from demo.api import services
from tests.api.support import errors_of

ISO_UTC_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ARTICLE_KEYS = {
    "slug",
    "title",
    "description",
    "body",
    "tagList",
    "createdAt",
    "updatedAt",
    "favorited",
    "favoritesCount",
    "author",
}
PROFILE_KEYS = {"username", "bio", "image", "following"}


@pytest.mark.answers("Q081", "Q150")
def test_create_answers_201_with_the_whole_article(client, api_user):
    """POST /api/articles: 201, every spec key, sorted tags, UTC millisecond timestamps."""
    body = {
        "article": {
            "title": "How to train your dragon",
            "description": "Ever wonder how?",
            "body": "You have to believe",
            "tagList": ["reactjs", "angularjs", "dragons", "reactjs"],
        }
    }
    response = client.post("/api/articles", json=body, headers=api_user.headers)
    assert response.status_code == 201
    article = response.get_json()["article"]
    assert set(article) == ARTICLE_KEYS
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["tagList"] == ["angularjs", "dragons", "reactjs"]
    assert article["favorited"] is False and article["favoritesCount"] == 0
    assert set(article["author"]) == PROFILE_KEYS
    assert article["author"]["username"] == "jake" and article["author"]["following"] is False
    assert ISO_UTC_MS.match(article["createdAt"]) and ISO_UTC_MS.match(article["updatedAt"])


def test_articles_with_the_same_title_get_unique_slugs(client, api_user, write_article):
    """The second and third "How to train your dragon" get -2 and -3."""
    slugs = [write_article(api_user)["slug"] for _ in range(3)]
    assert slugs == [
        "how-to-train-your-dragon",
        "how-to-train-your-dragon-2",
        "how-to-train-your-dragon-3",
    ]
    for slug in slugs:
        assert client.get(f"/api/articles/{slug}").status_code == 200


def test_a_slug_lost_to_a_concurrent_insert_is_retried(
    client, api_user, write_article, monkeypatch
):
    """If another request takes the slug between check and INSERT, the unique index refuses
    ours and the retry picks a random suffix: still a 201."""
    write_article(api_user)
    real_unique_slug = services.unique_slug

    def stale_check(title, **kwargs):
        if kwargs.get("random_suffix"):
            return real_unique_slug(title, **kwargs)
        # As if the check ran before the other request committed: it reports the slug free.
        return services.slugify(title)

    monkeypatch.setattr(services, "unique_slug", stale_check)
    slug = write_article(api_user)["slug"]
    assert re.fullmatch(r"how-to-train-your-dragon-[0-9a-f]{6}", slug)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Crème Brûlée: 10 tips!", "creme-brulee-10-tips"),
        ("  --Hello__World--  ", "hello-world"),
        ("!!!", "article"),
        ("Über straße", "uber-straße"),
    ],
)
def test_slugify_keeps_letters_and_digits(title, slug):
    """Accents are dropped, other letters kept, everything else becomes single hyphens."""
    assert services.slugify(title) == slug


def test_a_title_that_would_shadow_the_feed_url_gets_another_slug(client, api_user, write_article):
    """An article titled "Feed" cannot take the slug of GET /api/articles/feed."""
    assert write_article(api_user, title="Feed")["slug"] == "feed-2"


def test_create_needs_a_token(client):
    """POST /api/articles without a token: 401."""
    body = {"article": {"title": "t", "description": "d", "body": "b"}}
    assert client.post("/api/articles", json=body).status_code == 401


@pytest.mark.answers("Q149")
def test_create_refuses_missing_and_mistyped_fields(client, api_user):
    """Missing title/description/body and a tagList that is not a list of strings: 422."""
    body = {"article": {"body": "   ", "tagList": "dragons"}}
    response = client.post("/api/articles", json=body, headers=api_user.headers)
    assert response.status_code == 422
    errors = errors_of(response)
    assert errors["title"] == ["can't be blank"]
    assert errors["description"] == ["can't be blank"]
    assert errors["tagList"] == ["must be a list of strings"]
    # `body` is the article's field and the summary: its own message first, then the rest.
    assert errors["body"][0] == "can't be blank"
    assert "title can't be blank" in errors["body"]


@pytest.mark.answers("Q085", "Q149")
def test_create_ignores_fields_the_client_may_not_set(client, api_user):
    """Unknown and read-only keys (slug, favoritesCount, author) are dropped, not obeyed:
    no mass assignment."""
    body = {
        "article": {
            "title": "Mine",
            "description": "d",
            "body": "b",
            "slug": "chosen-by-client",
            "favoritesCount": 99,
            "author": {"username": "admin"},
        }
    }
    response = client.post("/api/articles", json=body, headers=api_user.headers)
    assert response.status_code == 201
    article = response.get_json()["article"]
    assert (article["slug"], article["favoritesCount"]) == ("mine", 0)
    assert article["author"]["username"] == "jake"


@pytest.mark.answers("Q062", "Q084")
def test_article_resource_get_reads_one_article_with_its_body(client, api_user, write_article):
    """GET /api/articles/<slug> (the MethodView's `get`): 200 with the body, no token needed."""
    slug = write_article(api_user)["slug"]
    response = client.get(f"/api/articles/{slug}")
    assert response.status_code == 200
    article = response.get_json()["article"]
    assert article["body"] == "You have to believe"
    assert article["favorited"] is False


def test_unknown_slug_is_a_json_404(client):
    """GET /api/articles/<unknown>: 404 in the Conduit error shape."""
    response = client.get("/api/articles/no-such-article")
    assert response.status_code == 404
    assert errors_of(response) == {
        "body": ["article 'no-such-article' not found"],
        "article": ["not found"],
    }


@pytest.mark.answers("Q062", "Q084")
def test_article_resource_put_lets_the_author_edit_and_renames_the_slug(
    client, api_user, write_article
):
    """PUT by the author: 200, new title and slug; the old slug is gone; other fields kept."""
    created = write_article(api_user, tagList=["dragons"])
    body = {"article": {"title": "Did you train your dragon?", "tagList": ["b", "a"]}}
    response = client.put(f"/api/articles/{created['slug']}", json=body, headers=api_user.headers)
    assert response.status_code == 200
    article = response.get_json()["article"]
    assert article["slug"] == "did-you-train-your-dragon"
    assert article["title"] == "Did you train your dragon?"
    assert article["description"] == created["description"]
    assert article["tagList"] == ["a", "b"]
    assert article["updatedAt"] >= created["updatedAt"]
    assert client.get(f"/api/articles/{created['slug']}").status_code == 404


def test_an_update_that_keeps_the_slug_text_keeps_the_slug(client, api_user, write_article):
    """Changing only the case of a title, or only the body, leaves the slug (and URL) alone."""
    first = write_article(api_user)
    second = write_article(api_user)
    assert second["slug"] == "how-to-train-your-dragon-2"
    for change in ({"title": "HOW TO TRAIN YOUR DRAGON"}, {"body": "new"}, {}):
        response = client.put(
            f"/api/articles/{second['slug']}", json={"article": change}, headers=api_user.headers
        )
        assert response.status_code == 200
        assert response.get_json()["article"]["slug"] == second["slug"]
    assert first["slug"] == "how-to-train-your-dragon"


@pytest.mark.answers("Q149")
def test_a_null_tag_list_is_refused_on_create_and_update(client, api_user, write_article):
    """`tagList` is optional but typed as an array: `null` is a 422 and the tags stay."""
    slug = write_article(api_user, tagList=["dragons"])["slug"]
    for method, url in (("post", "/api/articles"), ("put", f"/api/articles/{slug}")):
        body = {"article": {"title": "T", "description": "D", "body": "B", "tagList": None}}
        response = getattr(client, method)(url, json=body, headers=api_user.headers)
        assert response.status_code == 422, method
        assert errors_of(response)["tagList"] == ["must be a list of strings"]
    assert client.get(f"/api/articles/{slug}").get_json()["article"]["tagList"] == ["dragons"]
    cleared = client.put(
        f"/api/articles/{slug}", json={"article": {"tagList": []}}, headers=api_user.headers
    )
    assert cleared.get_json()["article"]["tagList"] == []


def test_update_refuses_a_blank_title(client, api_user, write_article):
    """A title of only spaces is a 422, not an article with an empty title."""
    slug = write_article(api_user)["slug"]
    response = client.put(
        f"/api/articles/{slug}", json={"article": {"title": "  "}}, headers=api_user.headers
    )
    assert response.status_code == 422
    assert errors_of(response)["title"] == ["can't be blank"]


@pytest.mark.answers("Q085")
def test_only_the_author_may_update_or_delete(client, api_user, other_user, write_article):
    """PUT or DELETE by another user: 403, and the article is unchanged."""
    slug = write_article(api_user)["slug"]
    put = client.put(
        f"/api/articles/{slug}", json={"article": {"title": "Hijacked"}}, headers=other_user.headers
    )
    delete = client.delete(f"/api/articles/{slug}", headers=other_user.headers)
    assert put.status_code == delete.status_code == 403
    assert errors_of(put) == errors_of(delete)
    assert errors_of(put) == {
        "body": ["only the author may change or delete this article"],
        "article": ["forbidden"],
    }
    assert client.get(f"/api/articles/{slug}").get_json()["article"]["title"] != "Hijacked"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_update_and_delete_need_a_token_and_an_existing_article(
    client, api_user, write_article, method
):
    """No token: 401; an unknown slug: 404."""
    slug = write_article(api_user)["slug"]
    call = getattr(client, method)
    body = {"article": {"title": "x"}}
    assert call(f"/api/articles/{slug}", json=body).status_code == 401
    assert call("/api/articles/nope", json=body, headers=api_user.headers).status_code == 404


@pytest.mark.answers("Q062", "Q084")
def test_article_resource_delete_answers_204_with_an_empty_body(client, api_user, write_article):
    """DELETE by the author: 204, no body, no Content-Type; the article is gone."""
    slug = write_article(api_user)["slug"]
    response = client.delete(f"/api/articles/{slug}", headers=api_user.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert client.get(f"/api/articles/{slug}").status_code == 404


def test_favourite_and_unfavourite_are_idempotent(client, api_user, other_user, write_article):
    """POST/DELETE .../favorite: 200 with the article; twice counts once; removal twice is fine."""
    slug = write_article(api_user)["slug"]
    url = f"/api/articles/{slug}/favorite"
    for _ in range(2):
        response = client.post(url, headers=other_user.headers)
        assert response.status_code == 200
        article = response.get_json()["article"]
        assert (article["favorited"], article["favoritesCount"]) == (True, 1)
    client.post(url, headers=api_user.headers)
    seen_by_author = client.get(f"/api/articles/{slug}", headers=api_user.headers)
    assert seen_by_author.get_json()["article"]["favoritesCount"] == 2
    for _ in range(2):
        response = client.delete(url, headers=other_user.headers)
        assert response.status_code == 200
        article = response.get_json()["article"]
        assert (article["favorited"], article["favoritesCount"]) == (False, 1)


@pytest.mark.parametrize("method", ["post", "delete"])
def test_favourite_needs_a_token_and_an_existing_article(client, api_user, method):
    """No token: 401; an unknown slug: 404."""
    call = getattr(client, method)
    assert call("/api/articles/nope/favorite").status_code == 401
    assert call("/api/articles/nope/favorite", headers=api_user.headers).status_code == 404


@pytest.mark.answers("Q149")
def test_text_with_a_nul_character_is_422_not_500(client, api_user, write_article):
    """U+0000, which PostgreSQL text cannot store, is refused per field on create and update."""
    article = {"title": "a\x00b", "description": "d", "body": "b", "tagList": ["t\x00"]}
    response = client.post("/api/articles", json={"article": article}, headers=api_user.headers)
    assert response.status_code == 422
    assert errors_of(response)["title"] == ["must not contain NUL characters"]
    assert errors_of(response)["tagList"] == ["must not contain NUL characters"]
    slug = write_article(api_user)["slug"]
    update = {"article": {"body": "\x00"}}
    response = client.put(f"/api/articles/{slug}", json=update, headers=api_user.headers)
    assert response.status_code == 422
    assert errors_of(response)["body"] == ["must not contain NUL characters"]


def test_a_slug_with_a_nul_character_is_404_not_500(client, api_user):
    """No stored slug contains U+0000, so every article route answers 404 for one."""
    url = "/api/articles/a%00b"
    calls = [
        client.get(url),
        client.put(url, json={"article": {"title": "t"}}, headers=api_user.headers),
        client.delete(url, headers=api_user.headers),
        client.post(f"{url}/favorite", headers=api_user.headers),
        client.get(f"{url}/comments"),
    ]
    assert [response.status_code for response in calls] == [404] * len(calls)
