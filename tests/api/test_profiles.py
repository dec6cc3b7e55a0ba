"""Profiles and following: /api/profiles/<username>[/follow]."""

from __future__ import annotations

import pytest

from tests.api.support import errors_of


def test_profile_is_public_and_not_followed_by_anonymous_viewers(client, api_user):
    """GET /api/profiles/<username> without a token: 200, `following` false."""
    response = client.get("/api/profiles/jake")
    assert response.status_code == 200
    assert response.get_json() == {
        "profile": {"username": "jake", "bio": None, "image": None, "following": False}
    }


def test_unknown_profile_is_404(client, api_user):
    """An unknown username: 404 in the Conduit error shape, for reads and for follows."""
    assert errors_of(client.get("/api/profiles/nobody")) == {
        "body": ["profile 'nobody' not found"],
        "profile": ["not found"],
    }
    assert client.post("/api/profiles/nobody/follow", headers=api_user.headers).status_code == 404
    assert client.delete("/api/profiles/nobody/follow", headers=api_user.headers).status_code == 404


def test_follow_and_unfollow_answer_200_with_the_profile_and_are_idempotent(
    client, api_user, other_user
):
    """POST then DELETE .../follow: 200 each time, twice in a row changes nothing."""
    url = "/api/profiles/jane/follow"
    for _ in range(2):
        response = client.post(url, headers=api_user.headers)
        assert response.status_code == 200
        assert response.get_json()["profile"] == {
            "username": "jane",
            "bio": None,
            "image": None,
            "following": True,
        }
    seen = client.get("/api/profiles/jane", headers=api_user.headers)
    assert seen.get_json()["profile"]["following"] is True
    assert (
        client.get("/api/profiles/jake", headers=other_user.headers).get_json()["profile"][
            "following"
        ]
        is False
    )  # following is one-way
    for _ in range(2):
        response = client.delete(url, headers=api_user.headers)
        assert response.status_code == 200
        assert response.get_json()["profile"]["following"] is False


@pytest.mark.parametrize("method", ["post", "delete"])
def test_follow_needs_a_token(client, other_user, method):
    """Following or unfollowing anonymously: 401."""
    assert getattr(client, method)("/api/profiles/jane/follow").status_code == 401


def test_following_yourself_is_422(client, api_user):
    """A user cannot follow themselves: 422 (a rule about the input, not a permission)."""
    response = client.post("/api/profiles/jake/follow", headers=api_user.headers)
    assert response.status_code == 422
    assert errors_of(response)["profile"] == ["cannot be followed by itself"]


def test_an_invalid_token_on_an_optional_route_is_still_401(client, api_user):
    """Optional auth tolerates no token, not a bad one: the client must learn it is stale."""
    response = client.get("/api/profiles/jake", headers={"Authorization": "Token not.a.jwt"})
    assert response.status_code == 401


def test_a_username_with_a_nul_character_is_404_not_500(client, api_user):
    """No stored username contains U+0000 (PostgreSQL cannot store it): 404, not a 500."""
    assert client.get("/api/profiles/a%00b").status_code == 404
    follow = client.post("/api/profiles/a%00b/follow", headers=api_user.headers)
    assert follow.status_code == 404
    assert errors_of(follow)["body"]
