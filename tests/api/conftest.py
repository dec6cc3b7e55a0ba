"""Fixtures for the Conduit API tests: users registered and articles written through the API.

Going through the HTTP API rather than the models keeps the fixtures honest: a fixture user
has a real password hash and a real token, exactly as a client would (Q086).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.support import ApiUser, new_user_body


@pytest.fixture
def register(client: FlaskClient) -> Callable[..., ApiUser]:
    """Register a user through POST /api/users and return it with its token."""

    def register_user(username: str, **fields: Any) -> ApiUser:
        body = new_user_body(username, **fields)
        response = client.post("/api/users", json=body)
        assert response.status_code == 201, response.get_json()
        user = response.get_json()["user"]
        return ApiUser(user["username"], user["email"], body["user"]["password"], user["token"])

    return register_user


@pytest.fixture
def api_user(register: Callable[..., ApiUser]) -> ApiUser:
    """ "jake", signed in."""
    return register("jake")


@pytest.fixture
def other_user(register: Callable[..., ApiUser]) -> ApiUser:
    """ "jane", a second signed-in user (for ownership and following)."""
    return register("jane")


@pytest.fixture
def write_article(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Publish an article through POST /api/articles as `author`; returns its JSON."""

    def write(author: ApiUser, title: str = "How to train your dragon", **fields: Any):
        article = {"title": title, "description": "Ever wonder how?", "body": "You have to believe"}
        response = client.post(
            "/api/articles", json={"article": {**article, **fields}}, headers=author.headers
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["article"]

    return write
