"""Static files through Flask's own `static` route: caching, validation, ranges, traversal."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask, request, url_for
from flask.testing import FlaskClient

from demo import create_app

pytestmark = pytest.mark.answers("Q140")

SITE_CSS = "/static/site.css"


def fetch(client: FlaskClient, path: str = SITE_CSS, **kwargs: object):
    """GET that reads the body and closes the file at once, as a WSGI server does."""
    return client.get(path, buffered=True, **kwargs)


def test_static_file_is_served_with_type_and_cache_headers(app: Flask, client: FlaskClient):
    """/static/site.css is the file's bytes as text/css, cacheable for SEND_FILE_MAX_AGE_DEFAULT."""
    response = fetch(client)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.data == Path(app.static_folder, "site.css").read_bytes()
    assert response.cache_control.public
    assert response.cache_control.max_age == app.config["SEND_FILE_MAX_AGE_DEFAULT"] == 3600
    assert response.headers["ETag"]
    assert response.last_modified is not None


@pytest.mark.parametrize(
    ("max_age", "cache_control"), [(60, "public, max-age=60"), (None, "no-cache")]
)
def test_cache_lifetime_follows_the_config(max_age: int | None, cache_control: str):
    """The max-age comes from config; Flask's own default (None) makes browsers revalidate."""
    other = create_app("testing", SEND_FILE_MAX_AGE_DEFAULT=max_age).test_client()
    assert fetch(other).headers["Cache-Control"] == cache_control


def test_conditional_get_answers_304_without_a_body(client: FlaskClient):
    """A client holding the current ETag or date gets 304 Not Modified and no bytes."""
    first = fetch(client)
    by_etag = fetch(client, headers={"If-None-Match": first.headers["ETag"]})
    assert (by_etag.status_code, by_etag.data) == (304, b"")
    by_date = fetch(client, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert (by_date.status_code, by_date.data) == (304, b"")
    stale = fetch(client, headers={"If-None-Match": '"some-old-version"'})
    assert stale.status_code == 200


def test_range_request_gets_partial_content(client: FlaskClient):
    """`Range: bytes=0-9` is answered 206 with exactly those ten bytes."""
    whole = fetch(client).data
    part = fetch(client, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.data == whole[:10]
    assert part.headers["Content-Range"] == f"bytes 0-9/{len(whole)}"


@pytest.mark.parametrize("path", ["/static/../config.py", "/static/%2e%2e/config.py"])
def test_path_traversal_out_of_the_static_folder_is_404(app: Flask, client: FlaskClient, path: str):
    """The `static` rule matches `../config.py`, but the file outside the folder is never sent."""
    assert Path(app.static_folder, "..", "config.py").is_file()  # there is something to steal
    with app.test_request_context(path):
        assert request.endpoint == "static"
        assert request.view_args == {"filename": "../config.py"}
    response = fetch(client, path)
    assert response.status_code == 404
    assert b"SECRET_KEY" not in response.data


def test_pages_link_static_files_through_url_for(app: Flask, client: FlaskClient):
    """Asset URLs come from `url_for('static', ...)`; a `?v=` cache-buster still gets the file."""
    with app.test_request_context():
        assert url_for("static", filename="site.css") == SITE_CSS
        versioned = url_for("static", filename="site.css", v="3f2a9c")
    assert versioned == f"{SITE_CSS}?v=3f2a9c"
    assert fetch(client, versioned).data == fetch(client).data

    page = client.get("/routing/").get_data(as_text=True)
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert stylesheet is not None
    assert urlsplit(stylesheet.group(1)).path == SITE_CSS
