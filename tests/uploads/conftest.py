"""Fixtures for the upload tests: an app whose UPLOAD_FOLDER is a fresh temporary directory,
users, tokens, a browser login, file builders, and the "nothing was written" check."""

from __future__ import annotations

import io
import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, session
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from flask_login import login_user
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import TestResponse

from demo import create_app
from demo.auth.passwords import hash_password
from demo.extensions import db
from demo.models import Article, UploadedFile, User

PASSWORD = "correct horse battery staple"


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    """The UPLOAD_FOLDER of this test's app (created by the first upload)."""
    return tmp_path / "uploads"


@pytest.fixture
def app(database_server: Engine | None, upload_dir: Path) -> Iterator[Flask]:
    """The testing app, storing uploads under this test's own temporary folder."""
    app = create_app("testing", UPLOAD_FOLDER=str(upload_dir))
    with app.app_context():
        if database_server is None:
            db.create_all()
        yield app
        db.session.remove()


@pytest.fixture
def make_uploader(app: Flask) -> Callable[[str], User]:
    """Create and commit a user who can log in with PASSWORD."""

    def make(username: str) -> User:
        user = User(
            username=username,
            email=f"{username}@example.test",
            password_hash=hash_password(PASSWORD),
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def alice(make_uploader: Callable[[str], User]) -> User:
    """The user who uploads in most tests."""
    return make_uploader("alice")


@pytest.fixture
def bob(make_uploader: Callable[[str], User]) -> User:
    """Another user, who must not see alice's private files."""
    return make_uploader("bob")


def auth_headers(user: User, scheme: str = "Bearer") -> dict[str, str]:
    """An Authorization header with a fresh access token for `user`."""
    return {"Authorization": f"{scheme} {create_access_token(identity=user)}"}


def log_in(app: Flask, client: FlaskClient, user: User) -> None:
    """Give `client` the session Flask-Login's `login_user` produces for `user`."""
    with app.test_request_context():
        login_user(user)
        data = dict(session)
    with client.session_transaction() as browser_session:
        browser_session.update(data)


def csrf_token(client: FlaskClient, page: str = "/uploads/") -> str:
    """The CSRF token from a rendered form (the session cookie it belongs to stays on client)."""
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token field"
    return match[1]


def make_article(author: User, slug: str) -> Article:
    """A committed article by `author`."""
    article = Article(
        slug=slug, title=slug.replace("-", " ").title(), description="d", body="b", author=author
    )
    db.session.add(article)
    db.session.commit()
    return article


def png_bytes(width: int = 64, height: int = 48, color: str = "teal") -> bytes:
    """A real, decodable PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48) -> bytes:
    """A real, decodable JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header *declares* width x height: a decompression bomb's shape.

    Only the IHDR chunk is meaningful; decoding it would fail, so a test that still passes
    proves that nothing tried to decode it.
    """

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def files_in(folder: Path) -> list[str]:
    """Every file under the upload folder, hidden temp and trash files included."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def upload_rows() -> int:
    """How many upload rows the database holds (a fresh query, not the session's cache)."""
    return db.session.scalar(select(func.count()).select_from(UploadedFile))


def assert_nothing_stored(folder: Path) -> None:
    """The refusal left no file (not even a temporary one) and no row."""
    db.session.rollback()  # end any transaction the failed request left on this session
    assert files_in(folder) == []
    assert upload_rows() == 0


def multipart(filename: str, content: bytes, **fields: str) -> dict[str, object]:
    """Form data for the test client: the file under `file`, plus other fields."""
    return {"file": (io.BytesIO(content), filename), **fields}


@pytest.fixture
def live_server(app: Flask) -> Iterator[BaseWSGIServer]:
    """The app behind a real threaded Werkzeug server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def fetch(client: FlaskClient, url: str, **kwargs: object) -> TestResponse:
    """GET that reads the body and closes the file at once, as a WSGI server does."""
    return client.get(url, buffered=True, **kwargs)
