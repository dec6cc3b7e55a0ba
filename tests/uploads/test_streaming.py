"""Large uploads: streamed in chunks, hashed on the way, limited, atomic, also against a
real server on loopback (Q100)."""

from __future__ import annotations

import hashlib
import io
import socket
import time
from collections.abc import Callable

import pytest
from flask import Request, request_finished

from demo.extensions import db
from demo.models import UploadedFile
from demo.uploads import storage as storage_module
from tests.uploads.conftest import (
    assert_nothing_stored,
    auth_headers,
    files_in,
    make_article,
    multipart,
    upload_rows,
)

pytestmark = pytest.mark.answers("Q100")

MIB = 1024 * 1024


def text_body(size: int) -> bytes:
    """`size` bytes of valid UTF-8 text."""
    line = b"flaskproof streams this line to disk\n"
    return (line * (size // len(line) + 1))[:size]


class RecordingStream(io.BytesIO):
    """A request body that remembers how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.read_sizes.append(-1 if size is None else size)
        return super().read(size)

    def readinto(self, buffer) -> int:
        self.read_sizes.append(len(buffer))
        return super().readinto(buffer)


class UnreadableStream(io.BytesIO):
    """A body of a given length (the test client measures it) that fails the test if read."""

    def __init__(self, size: int) -> None:
        super().__init__(b"x" * size)

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")

    readinto = read1 = read


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `condition` until it holds or the deadline passes (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def test_streamed_upload_returns_the_sha256_of_what_arrived(client, alice, upload_dir):
    """3 MiB streamed: the response's checksum, the row and the bytes on disk all agree."""
    body = text_body(3 * MIB)
    response = client.post(
        "/api/uploads/stream?filename=big.txt",
        data=body,
        headers={**auth_headers(alice), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201
    upload = response.get_json()["upload"]
    assert upload["sha256"] == hashlib.sha256(body).hexdigest()
    assert upload["size"] == len(body) and upload["purpose"] == "file"
    row = db.session.get(UploadedFile, upload["id"])
    assert (upload_dir / row.stored_name).read_bytes() == body


def test_stream_is_read_in_chunks_never_as_a_whole(client, alice, monkeypatch):
    """The view copies request.stream chunk by chunk and never calls get_data or the parser."""

    def forbidden(*_args, **_kwargs):
        raise AssertionError("the whole body was buffered")

    monkeypatch.setattr(Request, "get_data", forbidden)
    monkeypatch.setattr(Request, "_load_form_data", forbidden)
    body = RecordingStream(text_body(5 * MIB))
    response = client.post(
        "/api/uploads/stream?filename=big.txt",
        input_stream=body,
        headers=auth_headers(alice),
    )
    assert response.status_code == 201
    assert len(body.read_sizes) >= 5  # 5 MiB in pieces of at most CHUNK_SIZE (1 MiB)
    assert 0 < max(body.read_sizes) <= storage_module.CHUNK_SIZE


def test_stream_can_attach_to_an_own_article(client, alice, bob, upload_dir):
    """`?article=<slug>` attaches the streamed file; someone else's article is 403."""
    make_article(alice, "mine")
    make_article(bob, "theirs")
    own = client.post(
        "/api/uploads/stream?filename=a.txt&article=mine", data=b"x\n", headers=auth_headers(alice)
    )
    assert own.status_code == 201 and own.get_json()["upload"]["article"] == "mine"
    other = client.post(
        "/api/uploads/stream?filename=a.txt&article=theirs",
        data=b"x\n",
        headers=auth_headers(alice),
    )
    assert other.status_code == 403
    assert upload_rows() == 1 and len(files_in(upload_dir)) == 1


def test_declared_length_over_the_limit_is_413_before_reading(app, client, alice, upload_dir):
    """A Content-Length above UPLOAD_STREAM_MAX_BYTES is refused without reading the body."""
    app.config["UPLOAD_STREAM_MAX_BYTES"] = MIB
    response = client.post(
        "/api/uploads/stream?filename=big.txt",
        input_stream=UnreadableStream(MIB + 1),
        headers=auth_headers(alice),
    )
    assert response.status_code == 413
    assert_nothing_stored(upload_dir)


def test_chunked_body_over_the_limit_is_413_while_streaming(
    app, client, alice, upload_dir, monkeypatch
):
    """Without a Content-Length, the limit is enforced as bytes arrive; the partial temp
    file that already holds the first megabyte is removed."""
    app.config["UPLOAD_STREAM_MAX_BYTES"] = MIB
    created = []
    real_mkstemp = storage_module.tempfile.mkstemp

    def recording_mkstemp(**kwargs):
        fd, name = real_mkstemp(**kwargs)
        created.append(name)
        return fd, name

    monkeypatch.setattr(storage_module.tempfile, "mkstemp", recording_mkstemp)
    response = client.post(
        "/api/uploads/stream?filename=big.txt",
        input_stream=io.BytesIO(text_body(3 * MIB)),
        headers={**auth_headers(alice), "Transfer-Encoding": "chunked"},
        # What a server that de-chunks the body itself (gunicorn, Werkzeug) tells the app.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert len(created) == 1
    assert_nothing_stored(upload_dir)


def test_validation_failure_after_the_bytes_arrived_leaves_nothing(
    client, alice, upload_dir, monkeypatch
):
    """2 MiB written to a temp file, then the content check fails: 415, temp file gone."""
    replaced = []
    monkeypatch.setattr(storage_module.os, "replace", lambda *a: replaced.append(a))
    body = text_body(2 * MIB) + b"\x00binary tail"
    response = client.post(
        "/api/uploads/stream?filename=notes.txt", data=body, headers=auth_headers(alice)
    )
    assert response.status_code == 415
    assert replaced == []  # never published under its final name
    assert_nothing_stored(upload_dir)


def test_commit_failure_after_the_write_removes_the_file(client, alice, upload_dir, monkeypatch):
    """The file is in place when the commit fails once: 500, and neither row nor file stays."""
    real_commit = db.session.commit
    calls = []

    def commit_fails_once():
        calls.append(files_in(upload_dir))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        real_commit()

    monkeypatch.setattr(db.session, "commit", commit_fails_once)
    response = client.post(
        "/api/uploads/stream?filename=a.txt", data=b"hello\n", headers=auth_headers(alice)
    )
    assert response.status_code == 500
    assert len(calls[0]) == 1 and calls[0][0].endswith(".txt")  # it had been written
    assert_nothing_stored(upload_dir)


@pytest.mark.answers("Q101")
def test_multipart_body_over_max_content_length_is_413(app, client, alice, upload_dir):
    """The multipart endpoint refuses a body over MAX_CONTENT_LENGTH with 413."""
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = client.post(
        "/api/uploads",
        data=multipart("big.txt", text_body(128 * 1024), article="x"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 413
    assert_nothing_stored(upload_dir)


def test_too_many_form_parts_is_413(app, client, alice, upload_dir):
    """MAX_FORM_PARTS caps how many parts a multipart body may have."""
    extra = {f"field{i}": "x" for i in range(app.config["MAX_FORM_PARTS"])}
    response = client.post(
        "/api/uploads",
        data=multipart("a.txt", b"hi\n", article="x", **extra),
        headers=auth_headers(alice),
    )
    assert response.status_code == 413
    assert_nothing_stored(upload_dir)


def test_oversized_text_field_is_413(app, client, alice, upload_dir):
    """MAX_FORM_MEMORY_SIZE caps each non-file field held in memory."""
    big_field = "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    response = client.post(
        "/api/uploads",
        data=multipart("a.txt", b"hi\n", article=big_field),
        headers=auth_headers(alice),
    )
    assert response.status_code == 413
    assert_nothing_stored(upload_dir)


def test_form_limits_are_set_deliberately(app):
    """The config sets both multipart limits well below Flask's defaults (500 kB, 1000)."""
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 64 * 1024
    assert app.config["MAX_FORM_PARTS"] == 50
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * MIB


# --- A real server on loopback ------------------------------------------------------------


def open_request(server, path: str, headers: dict[str, str]) -> socket.socket:
    """Connect to the live server and send a request line and headers, but no body."""
    sock = socket.create_connection(("127.0.0.1", server.server_port), timeout=5)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_status_line(sock: socket.socket) -> str:
    """The first line of the server's answer."""
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.split(b"\r\n", 1)[0].decode()


@pytest.mark.answers("Q101")
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/uploads", "multipart/form-data; boundary=x"),
        ("/api/uploads/stream?filename=huge.txt", "application/octet-stream"),
    ],
)
def test_live_server_answers_413_before_the_body_is_sent(
    live_server, alice, upload_dir, path, content_type
):
    """Headers announcing 10 GiB get a 413 while the client has sent no body byte at all."""
    headers = {
        **auth_headers(alice),
        "Content-Type": content_type,
        "Content-Length": str(10 * 1024**3),
    }
    with open_request(live_server, path, headers) as sock:
        assert read_status_line(sock) == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
    assert_nothing_stored(upload_dir)


def test_live_aborted_upload_leaves_no_file_and_no_row(app, live_server, alice, upload_dir):
    """A client that sends half of its body and hangs up leaves nothing behind."""
    statuses = []

    def on_finished(sender, response, **extra):
        statuses.append(response.status_code)

    headers = {
        **auth_headers(alice),
        "Content-Type": "application/octet-stream",
        "Content-Length": str(4 * MIB),
    }
    with request_finished.connected_to(on_finished, app):
        sock = open_request(live_server, "/api/uploads/stream?filename=half.txt", headers)
        sock.sendall(text_body(2 * MIB))
        # The server is writing the first half to its temporary file...
        assert wait_until(lambda: any(".upload-" in name for name in files_in(upload_dir)))
        sock.close()  # ...when the client goes away.
        assert wait_until(lambda: bool(statuses)), "the server never finished the request"
    # Werkzeug's ClientDisconnected (a 400) ended the view: the body stopped short.
    assert statuses == [400]
    assert_nothing_stored(upload_dir)
