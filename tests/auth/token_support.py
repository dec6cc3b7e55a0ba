"""Helpers shared by the token, permission and API-key tests (users, tokens, apps)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, session
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import select

from demo import create_app
from demo.auth.passwords import hash_password
from demo.extensions import db
from demo.models import Role, User

PASSWORD = "correct horse battery staple"


def create_user(username: str, *roles: str, password: str = PASSWORD) -> User:
    """A committed user `<username>@example.com` with the given roles."""
    user = User(
        username=username,
        email=f"{username}@example.com",
        password_hash=hash_password(password),
    )
    for name in roles:
        role = db.session.scalar(select(Role).where(Role.name == name))
        user.roles.append(role or Role(name=name))
    db.session.add(user)
    db.session.commit()
    return user


def get_tokens(client: FlaskClient, user: User, password: str = PASSWORD) -> dict[str, Any]:
    """Log in through POST /api/auth/token and return its JSON answer."""
    response = client.post("/api/auth/token", json={"email": user.email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    """The Authorization header carrying `token`."""
    return {"Authorization": f"{scheme} {token}"}


def log_in_browser(app: Flask, client: FlaskClient, user: User) -> None:
    """Give `client` the session cookie Flask-Login's `login_user` produces for `user`."""
    with app.test_request_context():
        login_user(user)
        data = dict(session)
    with client.session_transaction() as browser_session:
        browser_session.update(data)


@contextmanager
def built_app(**overrides: Any) -> Iterator[Flask]:
    """A testing app with config overrides and an empty schema, inside its app context."""
    app = create_app("testing", **overrides)
    with app.app_context():
        if not os.environ.get("TEST_DATABASE_URL"):
            db.create_all()
        yield app
        db.session.remove()
