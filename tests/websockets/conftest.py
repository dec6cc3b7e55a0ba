"""Fixtures for the Socket.IO tests: members with articles, tokens, logged-in browsers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask, session
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from flask_login import login_user
from flask_socketio import SocketIOTestClient

from demo.auth.passwords import hash_password
from demo.extensions import db, socketio
from demo.models import Article, User


def create_member(username: str) -> User:
    """A committed user `<username>@example.com`."""
    user = User(
        username=username,
        email=f"{username}@example.com",
        password_hash=hash_password(f"{username} password"),
    )
    db.session.add(user)
    db.session.commit()
    return user


def create_article(author: User, slug: str) -> Article:
    """A committed article with this slug, written by `author`."""
    article = Article(
        slug=slug, title=slug.replace("-", " ").title(), description="d", body="b", author=author
    )
    db.session.add(article)
    db.session.commit()
    return article


def access_token(user: User) -> str:
    """A valid access token for `user`, minted the way the token endpoint mints them."""
    return create_access_token(identity=user)


def log_in(app: Flask, client: FlaskClient, user: User) -> FlaskClient:
    """Give `client` the session cookie Flask-Login's `login_user` produces for `user`."""
    with app.test_request_context():
        login_user(user)
        data = dict(session)
    with client.session_transaction() as browser_session:
        browser_session.update(data)
    return client


@pytest.fixture
def ann(app: Flask) -> User:
    """A member who wrote the article `hello-world`."""
    user = create_member("ann")
    create_article(user, "hello-world")
    return user


@pytest.fixture
def bob(app: Flask) -> User:
    """A second member."""
    return create_member("bob")


@pytest.fixture
def connect(app: Flask) -> Iterator[Callable[..., SocketIOTestClient]]:
    """Open Flask-SocketIO test clients on this app: `connect("/chat", user=ann)`.

    `user=` connects with that user's session cookie (as the app's pages do), `token=` with
    a JWT in the `auth` payload (as API clients do), neither with no credentials at all.
    """

    opened: list[SocketIOTestClient] = []

    def open_client(
        namespace: str,
        *,
        user: User | None = None,
        token: str | None = None,
        auth: object = None,
    ) -> SocketIOTestClient:
        browser = log_in(app, app.test_client(), user) if user is not None else None
        if token is not None:
            auth = {"token": token}
        # A fresh app context, as a server gives each connection: inside the test's own one,
        # Flask-Login's user cached on `g` by an earlier connect would leak into this one.
        with app.app_context():
            client = socketio.test_client(
                app, namespace=namespace, auth=auth, flask_test_client=browser
            )
        opened.append(client)
        return client

    yield open_client
    # Flask-SocketIO files every test client in a class-level dict and never removes it,
    # even on disconnect: each one would keep its app (a few MB) alive for the whole run.
    for client in opened:
        SocketIOTestClient.clients.pop(client.eio_sid, None)
