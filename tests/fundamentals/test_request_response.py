"""The request object, form data, cookies, JSON responses, debug mode and bounded memory."""

from __future__ import annotations

import io
import json
import logging
import uuid
from decimal import Decimal

import pytest
from flask import Flask, Response, request
from flask.cli import FlaskGroup, get_debug_flag, run_command
from werkzeug.debug import DebuggedApplication
from werkzeug.test import encode_multipart

from demo import create_app
from demo.fundamentals import requests_demo

STRONG_SECRETS = {"SECRET_KEY": "s" * 64, "JWT_SECRET_KEY": "j" * 64}


@pytest.mark.answers("Q032")
class TestRequestObject:
    def test_query_string_keeps_repeated_keys_and_converts_types(self, client):
        """`request.args` is a MultiDict: repeated keys survive and `type=int` converts."""
        response = client.get(
            "/request/echo?tag=flask&tag=wsgi&page=3", headers={"User-Agent": "pytest-agent/1.0"}
        )
        report = response.get_json()
        assert report["method"] == "GET"
        assert report["path"] == "/request/echo"
        assert report["args"] == {"tag": ["flask", "wsgi"], "page": ["3"]}
        assert report["page"] == 3
        assert report["user_agent"] == "pytest-agent/1.0"
        assert report["json"] is None

    def test_unconvertible_query_value_falls_back_to_the_default(self, client):
        """`request.args.get("page", default=1, type=int)` ignores a value that is not an int."""
        assert client.get("/request/echo?page=abc").get_json()["page"] == 1

    def test_json_body_is_parsed(self, client):
        """A JSON body arrives as Python data in `request.get_json()`."""
        report = client.post("/request/echo", json={"title": "Hi", "tags": ["a"]}).get_json()
        assert report["json"] == {"title": "Hi", "tags": ["a"]}
        assert report["is_json"] is True
        assert report["mimetype"] == "application/json"
        assert report["form"] == {}

    def test_multipart_form_fields_and_files_are_separated(self, client):
        """Multipart fields land in `request.form`, uploads in `request.files`."""
        response = client.post(
            "/request/echo",
            data={"title": "Report", "attachment": (io.BytesIO(b"hello"), "hello.txt")},
            content_type="multipart/form-data",
        )
        report = response.get_json()
        assert report["form"] == {"title": ["Report"]}
        assert report["files"] == {
            "attachment": {"filename": "hello.txt", "content_type": "text/plain", "size": 5}
        }

    def test_strict_json_endpoint_accepts_a_valid_body(self, client):
        """`request.get_json()` returns the parsed object for a JSON request."""
        response = client.post("/request/greeting", json={"name": " Ada "})
        assert response.status_code == 200
        assert response.get_json() == {"greeting": "Hello, Ada!"}

    def test_strict_json_refuses_a_form_body_with_415(self, client):
        """Without a JSON Content-Type, `get_json()` answers 415 Unsupported Media Type."""
        response = client.post(
            "/request/greeting", data={"name": "Ada"}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 415
        assert "Content-Type" in response.get_json()["errors"]["body"][0]

    def test_strict_json_refuses_malformed_json_with_400(self, client):
        """A body that claims to be JSON but does not parse is a 400 Bad Request."""
        response = client.post(
            "/request/greeting", data="{not json", content_type="application/json"
        )
        assert response.status_code == 400
        assert response.is_json

    def test_strict_json_reports_a_bad_shape_as_422(self, client):
        """Valid JSON of the wrong shape is the view's own 422 with the field named."""
        response = client.post("/request/greeting", json=["Ada"])
        assert response.status_code == 422
        assert response.get_json()["errors"]["name"] == ["must be a non-empty string"]


@pytest.mark.answers("Q033")
class TestFormData:
    def test_form_page_renders(self, client):
        """GET shows an empty form that posts back to the same URL."""
        response = client.get("/request/contact")
        assert response.status_code == 200
        assert b'<form method="post" action="/request/contact"' in response.data

    def test_valid_post_redirects_with_303_and_flashes(self, client):
        """A valid POST redirects (Post/Redirect/Get); the next page shows the flash."""
        form = {
            "name": "Ada",
            "email": "ada@example.com",
            "message": "Hello",
            "topics": ["routing", "testing"],
        }
        response = client.post("/request/contact", data=form)
        assert response.status_code == 303
        assert response.headers["Location"] == "/request/contact"
        page = client.get("/request/contact").get_data(as_text=True)
        assert "Thanks, Ada: your message about 2 topic(s) arrived." in page

    def test_invalid_post_rerenders_with_errors_and_keeps_values(self, client):
        """An invalid POST answers 422 with the messages and the user's input, escaped."""
        form = {"name": "<b>Ada</b>", "email": "not-an-email", "message": ""}
        response = client.post("/request/contact", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "That does not look like an email address." in page
        assert "The message is empty." in page
        assert 'value="&lt;b&gt;Ada&lt;/b&gt;"' in page
        assert "<b>Ada</b>" not in page

    def test_missing_fields_are_validation_errors_not_crashes(self, client):
        """`request.form.get()` with a default turns absent fields into messages, not 400s."""
        response = client.post("/request/contact", data={})
        assert response.status_code == 422
        assert "Please tell us your name." in response.get_data(as_text=True)

    def test_unknown_checkbox_value_is_refused(self, client):
        """`request.form.getlist()` values are checked against the allowed choices."""
        form = {"name": "Ada", "email": "a@b.c", "message": "x", "topics": ["routing", "admin"]}
        response = client.post("/request/contact", data=form)
        assert response.status_code == 422
        assert "Pick topics from the list." in response.get_data(as_text=True)


@pytest.mark.answers("Q034")
class TestCookies:
    def test_set_cookie_sends_the_attributes(self, client):
        """`set_cookie` emits Max-Age, HttpOnly, SameSite and Path in the Set-Cookie header."""
        response = client.post("/request/theme", data={"theme": "dark"})
        header = response.headers["Set-Cookie"]
        assert header.startswith("theme=dark;")
        assert "Max-Age=31536000" in header
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert "Path=/" in header
        assert "Secure" not in header  # the testing config serves plain HTTP

    def test_cookie_is_secure_when_the_config_says_https(self):
        """With SESSION_COOKIE_SECURE (production) the theme cookie is marked Secure as well."""
        app = create_app("testing", SESSION_COOKIE_SECURE=True)
        header = app.test_client().post("/request/theme", data={"theme": "dark"}).headers
        assert "; Secure" in header["Set-Cookie"]

    def test_browser_sends_the_cookie_back(self, client):
        """The next request carries the cookie and the view reads it from `request.cookies`."""
        client.post("/request/theme", data={"theme": "dark"})
        assert client.get_cookie("theme").value == "dark"
        assert client.get("/request/theme").get_json() == {"theme": "dark", "from_cookie": True}

    def test_delete_cookie_expires_it(self, client):
        """`delete_cookie` sends an empty value that expired in 1970, and the browser drops it."""
        client.post("/request/theme", data={"theme": "dark"})
        header = client.delete("/request/theme").headers["Set-Cookie"]
        assert header.startswith("theme=;")
        assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
        assert "Max-Age=0" in header
        assert client.get_cookie("theme") is None
        assert client.get("/request/theme").get_json() == {"theme": "light", "from_cookie": False}

    def test_forged_cookie_value_is_not_trusted(self, client):
        """A value the app never set is ignored: cookies are client input."""
        client.set_cookie("theme", "<script>")
        assert client.get("/request/theme").get_json() == {"theme": "light", "from_cookie": False}

    def test_bad_or_missing_choice_is_a_400(self, client):
        """An unknown theme is refused; a missing field makes `request.form[...]` raise a 400."""
        assert client.post("/request/theme", data={"theme": "neon"}).status_code == 400
        assert client.post("/request/theme", data={}).status_code == 400
        assert client.get_cookie("theme") is None


@pytest.mark.answers("Q035")
class TestJsonify:
    def test_jsonify_serialises_types_json_dumps_refuses(self, client):
        """Dates, UUIDs, decimals and dataclasses come out as HTTP dates and strings."""
        with pytest.raises(TypeError):
            json.dumps({"price": Decimal("9.99"), "id": uuid.uuid4()})
        response = client.get("/request/json/types")
        assert response.mimetype == "application/json"
        assert response.get_json() == {
            "greeting": "héllo",
            "when": "Wed, 13 Nov 2024 09:30:00 GMT",
            "request_uuid": "12345678-1234-5678-1234-567812345678",
            "price": "9.99",
            "release": {"name": "Flask 3.1", "released": "Wed, 13 Nov 2024 00:00:00 GMT"},
        }

    def test_non_ascii_is_escaped_and_keys_sorted(self, client):
        """The default provider escapes non-ASCII (`ensure_ascii`) and sorts keys."""
        raw = client.get("/request/json/types").get_data(as_text=True)
        assert '"greeting":"h\\u00e9llo"' in raw
        assert raw.index('"greeting"') < raw.index('"price"') < raw.index('"when"')

    def test_returning_a_dict_or_list_is_the_same_as_jsonify(self, client):
        """A returned dict or list becomes an application/json response via `app.json`."""
        as_dict = client.get("/request/json/dict")
        assert as_dict.mimetype == "application/json"
        assert as_dict.get_data(as_text=True) == '{"apple":2,"items":[1,2,3],"zebra":1}\n'
        as_list = client.get("/request/json/list")
        assert as_list.mimetype == "application/json"
        assert as_list.get_json() == ["routing", "templates", "testing"]

    def test_provider_settings_change_the_output(self, app, client):
        """`app.json` is the provider to configure: turning off `sort_keys` keeps dict order."""
        app.json.sort_keys = False
        raw = client.get("/request/json/dict").get_data(as_text=True)
        assert raw == '{"zebra":1,"apple":2,"items":[1,2,3]}\n'

    def test_jsonify_takes_positional_values_as_a_list(self, app):
        """`jsonify(1, 2)` makes a JSON array; keyword arguments make an object."""
        from flask import jsonify

        assert jsonify(1, 2).get_json() == [1, 2]
        assert jsonify(ok=True).get_json() == {"ok": True}


@pytest.mark.answers("Q036")
class TestDebugMode:
    def test_debug_follows_the_config_class(self):
        """development turns debug (and template auto-reload) on; testing and production don't."""
        development = create_app("development")
        testing = create_app("testing")
        production = create_app("production", **STRONG_SECRETS)
        assert (development.debug, testing.debug, production.debug) == (True, False, False)
        assert development.jinja_env.auto_reload is True
        assert production.jinja_env.auto_reload is False

    def test_debug_mode_pretty_prints_json(self):
        """In debug mode the JSON provider indents its output for reading."""
        raw = create_app("development").test_client().get("/request/json/dict").get_data()
        assert raw.startswith(b'{\n  "apple": 2,')

    def test_flask_cli_has_a_debug_switch(self, monkeypatch):
        """`flask run --debug` (or `flask --debug run`, or FLASK_DEBUG=1) turns debug mode on."""
        assert "debug" in {param.name for param in run_command.params}
        assert "debug" in {param.name for param in FlaskGroup().params}
        # --debugger and --reload default to "whatever debug mode says".
        defaults = {param.name: param.default for param in run_command.params}
        assert defaults["debugger"] is None
        assert defaults["reload"] is None
        monkeypatch.setenv("FLASK_DEBUG", "1")
        assert get_debug_flag() is True
        monkeypatch.setenv("FLASK_DEBUG", "0")
        assert get_debug_flag() is False

    @pytest.mark.parametrize(("config", "debug"), [("development", True), ("production", False)])
    def test_debugger_sees_exceptions_only_in_debug_mode(self, config, debug):
        """In debug mode an unhandled error reaches the Werkzeug debugger's traceback page."""
        app = create_app(config, **STRONG_SECRETS)

        @app.get("/boom")
        def boom() -> str:
            raise ValueError("detail only a developer should see")

        # What `flask run --debug` wraps around the app (without the in-browser console).
        app.wsgi_app = DebuggedApplication(app.wsgi_app, evalex=False)
        response = app.test_client().get("/boom")
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert ("detail only a developer should see" in body) is debug
        assert ("Traceback" in body) is debug

    def test_production_500_hides_the_exception(self, caplog):
        """With debug off the client gets a generic 500; the traceback goes to the log only."""
        app = create_app("production", **STRONG_SECRETS)

        @app.get("/boom")
        def boom() -> str:
            raise RuntimeError("database password is hunter2")

        response = app.test_client().get("/boom")
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "hunter2" not in body
        assert "Traceback" not in body
        logged = [record.exc_info[1] for record in caplog.records if record.exc_info]
        assert any("hunter2" in str(error) for error in logged)


@pytest.mark.answers("Q038", "Q104")
class TestBoundedMemory:
    def test_export_is_streamed(self, client):
        """The CSV export is a streamed response with the full body delivered."""
        response = client.get("/request/export.csv?rows=3")
        assert response.is_streamed
        assert response.mimetype == "text/csv"
        assert response.get_data(as_text=True) == "n,square\r\n1,1\r\n2,4\r\n3,9\r\n"

    def test_export_is_produced_lazily_with_its_context_alive(self, client, caplog):
        """Rows are generated as the client reads; the final log line still sees the request."""
        caplog.set_level(logging.INFO)
        response = client.get("/request/export.csv?rows=1000", buffered=False)
        chunks = iter(response.response)
        assert next(chunks) == b"n,square\r\n"
        finished = "export of 1000 rows to 127.0.0.1 finished"
        assert finished not in caplog.messages
        rest = b"".join(chunks)
        response.close()
        assert rest.count(b"\r\n") == 1000
        assert finished in caplog.messages

    def test_export_size_is_capped(self, client, monkeypatch):
        """However many rows are asked for, no more than MAX_EXPORT_ROWS are produced."""
        monkeypatch.setattr(requests_demo, "MAX_EXPORT_ROWS", 10)
        body = client.get("/request/export.csv?rows=1000000000").get_data(as_text=True)
        assert body.count("\r\n") == 11

    def test_generator_without_stream_with_context_loses_the_request(self):
        """A plain generator runs after the request context is gone: the pitfall it avoids."""
        app = Flask("streaming_pitfall")

        @app.get("/plain")
        def plain() -> Response:
            def generate():
                yield "start\n"
                yield request.args.get("name", "")

            return Response(generate())

        with pytest.raises(RuntimeError, match="outside of request context"):
            app.test_client().get("/plain?name=ada").get_data()

    def test_request_body_is_capped_by_max_content_length(self):
        """MAX_CONTENT_LENGTH refuses a body that is too big with 413, before reading it."""
        app = create_app("testing", MAX_CONTENT_LENGTH=1024)
        response = app.test_client().post("/request/echo", data={"blob": "x" * 2048})
        assert response.status_code == 413

    def test_multipart_text_fields_are_capped_in_memory(self, client):
        """MAX_FORM_MEMORY_SIZE (500 kB by default in Flask 3.1) caps a non-file form field."""
        # Encoded in memory: the test client would otherwise spool the body to a temp file.
        boundary, body = encode_multipart({"note": "x" * 600_000})
        response = client.post(
            "/request/echo",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert response.status_code == 413
