"""Fixtures for the article pages: browsers logged in through the real login form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from tests.support.accounts import AuthActions, IsolatedClient, csrf_token_in

Browser = IsolatedClient


def token_from(browser: Browser, path: str) -> str:
    """The CSRF token in the page at `path`, as a browser would submit it."""
    return csrf_token_in(browser.get(path).get_data(as_text=True))


def publish(browser: Browser, **fields: str) -> TestResponse:
    """Fill in and submit the "New article" form; `fields` override the defaults."""
    data = {"title": "Hello Flask", "description": "A first post", "body": "Some text.", "tags": ""}
    data.update(fields)
    data["csrf_token"] = token_from(browser, "/articles/new")
    return browser.post("/articles/new", data=data)


def press(browser: Browser, page: str, action: str, **fields: str) -> TestResponse:
    """Submit a form at `action` with the CSRF token of `page`, like pressing its button."""
    return browser.post(action, data={"csrf_token": token_from(browser, page), **fields})


@pytest.fixture
def log_in(new_client, make_user) -> Callable[[str], Browser]:
    """``log_in("ada")``: a new browser logged in as a new viewer-role user of that name."""

    def make(username: str) -> Browser:
        make_user(username)
        browser = new_client()
        response = AuthActions(browser).login(f"{username}@example.com")
        assert response.status_code == 303
        return browser

    return make


@pytest.fixture
def ada(log_in) -> Browser:
    """A browser logged in as ada, who only has the viewer role."""
    return log_in("ada")


@pytest.fixture
def bob(log_in) -> Browser:
    """A second browser, logged in as bob."""
    return log_in("bob")


@pytest.fixture
def slug(ada) -> str:
    """An article written by ada; its slug."""
    response = publish(ada, title="Hello Flask", tags="flask")
    assert response.status_code == 303
    return response.location.rsplit("/", 1)[1]
