"""Helpers for tests of the account pages: submit real forms, with their CSRF tokens.

`AuthActions` is what the `auth` fixture returns (the Flask tutorial's pattern): each method
fetches the page that holds the form, reads the CSRF token out of the HTML, and posts the
form with it, exactly as a browser would.

`IsolatedClient` runs every request in a fresh `contextvars` context. The `app` fixture keeps
an app context pushed for the whole test, and a request made while one is pushed reuses it,
so `g` (and what extensions cache there: Flask-Login's user, Flask-WTF's token) would carry
over from one request to the next, even between two different clients. Under a real server
every request gets a fresh app context; this client restores that, so tests about sessions,
"remember me" and logging out see the app as browsers do.
"""

from __future__ import annotations

import contextvars
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

DEFAULT_PASSWORD = "correct-horse-battery"


class IsolatedClient(FlaskClient):
    """A test client whose requests each get their own app context, as under a server."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        return contextvars.Context().run(super().open, *args, **kwargs)


class _InputCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.inputs.append(dict(attrs))


def csrf_token_in(html: str, field: str = "csrf_token") -> str:
    """The value of the first hidden CSRF input (optionally prefixed, e.g. ``password-``)."""
    parser = _InputCollector()
    parser.feed(html)
    for attributes in parser.inputs:
        if attributes.get("name") == field and attributes.get("value"):
            return str(attributes["value"])
    raise AssertionError(f"no {field!r} input in the page")


class AuthActions:
    """Register, log in and log out through the real pages, CSRF tokens included."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def using(self, client: FlaskClient) -> AuthActions:
        """The same actions for another client (another browser)."""
        return AuthActions(client)

    def csrf_token(self, path: str = "/auth/login") -> str:
        """Load `path` (following redirects) and read the CSRF token from its HTML."""
        response = self.client.get(path, follow_redirects=True)
        return csrf_token_in(response.get_data(as_text=True))

    def register(
        self,
        username: str = "ada",
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        confirm: str | None = None,
    ) -> TestResponse:
        """Submit the registration form; logged in on success (a 303 to the profile)."""
        return self.client.post(
            "/auth/register",
            data={
                "csrf_token": self.csrf_token("/auth/register"),
                "username": username,
                "email": email or f"{username}@example.com",
                "password": password,
                "confirm": password if confirm is None else confirm,
            },
        )

    def login(
        self,
        email: str = "ada@example.com",
        password: str = DEFAULT_PASSWORD,
        *,
        remember: bool = False,
        next: str | None = None,
    ) -> TestResponse:
        """Submit the login form; a 303 on success, a 422 page on failure."""
        data = {"csrf_token": self.csrf_token(), "email": email, "password": password}
        if remember:
            data["remember"] = "y"
        query = {"next": next} if next is not None else None
        return self.client.post("/auth/login", data=data, query_string=query)

    def logout(self) -> TestResponse:
        """Press "Log out" in the navigation bar."""
        return self.client.post(
            "/auth/logout", data={"csrf_token": self.csrf_token("/auth/profile")}
        )
