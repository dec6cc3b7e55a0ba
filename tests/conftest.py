"""Shared fixtures, in the style of Flask's tutorial: small, one job each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from demo import create_app
from demo.extensions import db as _db


@pytest.fixture
def app() -> Iterator[Flask]:
    """A fresh app built by the factory with the testing config and an empty schema."""
    app = create_app("testing")
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that drives the app through WSGI without a server."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the app's `flask` CLI commands."""
    return app.test_cli_runner()
