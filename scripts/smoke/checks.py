"""What the smoke test checks, through nginx only (Q105, Q109, Q111, Q112, Q113; Q107 for the
Procfile).

Each `check_*` function takes a `Session` on a running stack (scripts.smoke.stack) and raises
`SmokeError` with the evidence when the deployment does not behave. Requests carry their own
`X-Request-ID`, so every claim about who served a request ("nginx, not gunicorn") is checked
in the processes' logs, not inferred.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
import socketio

from bench.nginx_local import NGINX_CONF, STATIC_DIR
from scripts.smoke.processes import SmokeError, wait_until
from scripts.smoke.session import (
    TIMEOUT,
    Session,
    app_log_records,
    assert_app_never_saw,
    expect,
    nginx_access_log,
    request_id,
    web_process_that_served,
)

FORWARDED_CLIENT = "127.0.0.5"


def check_pages(session: Session) -> None:
    """HTML pages answer through nginx, compressed by it."""
    home = session.get("/", headers={"Accept-Encoding": "gzip"})
    expect(home.status_code == 200, "GET / is not 200", home)
    expect(home.headers["Content-Type"].startswith("text/html"), "GET / is not HTML", home)
    expect(home.headers.get("Content-Encoding") == "gzip", "nginx did not gzip GET /", home)
    login = session.get("/auth/login")
    expect(login.status_code == 200, "GET /auth/login is not 200", login)
    expect('name="csrf_token"' in login.text, "the login page has no CSRF-protected form", login)


def check_api(session: Session) -> None:
    """The JSON API answers, and an account registered through it can log in and call it."""
    tags = session.get("/api/tags")
    expect(tags.status_code == 200 and isinstance(tags.json().get("tags"), list), "tags", tags)
    articles = session.get("/api/articles")
    expect(articles.status_code == 200, "GET /api/articles is not 200", articles)
    expect("articlesCount" in articles.json(), "GET /api/articles lacks articlesCount", articles)
    account = session.account()
    me = session.get("/api/user", headers=session.auth())
    expect(me.status_code == 200, "GET /api/user with the login token failed", me)
    expect(me.json()["user"]["username"] == account["username"], "a different user", me)


def check_readiness(session: Session) -> None:
    """/readyz is 200: the app reaches its database and Redis."""
    ready = session.get("/readyz")
    expect(ready.status_code == 200, "/readyz is not 200", ready)
    checks = ready.json()["checks"]
    expect(checks == {"database": "ok", "redis": "ok"}, f"/readyz checks: {checks}", ready)


def _expires_in(response: requests.Response) -> float:
    expires = email.utils.parsedate_to_datetime(response.headers["Expires"])
    return (expires - datetime.now(UTC)).total_seconds()


def check_static_files(session: Session) -> None:
    """nginx serves /static/ from disk with cache headers; gunicorn never sees those requests."""
    expected = (STATIC_DIR / "site.css").read_bytes()
    plain_rid, hashed_rid = request_id("static"), request_id("static-hashed")
    plain = session.get("/static/site.css", plain_rid)
    expect(plain.status_code == 200 and plain.content == expected, "site.css differs", plain)
    expect(plain.headers.get("X-Served-By") == "nginx", "not served by nginx", plain)
    expect(plain.headers["Content-Type"].startswith("text/css"), "not text/css", plain)
    # A plain URL may serve new bytes after a deploy: an hour, like the app's own setting.
    cache = plain.headers.get("Cache-Control", "")
    expect("max-age=3600" in cache and "public" in cache, f"Cache-Control {cache!r}", plain)
    expect(abs(_expires_in(plain) - 3600) < 120, "Expires is not an hour ahead", plain)

    # The pages link the fingerprinted copy, which never changes: a year, immutable.
    page = session.get("/")
    link = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    expect(link is not None, "the home page links no stylesheet", page)
    href = link[1] if link else ""
    expect(
        re.fullmatch(r"/static/dist/site\.[0-9a-f]{12}\.css", href) is not None,
        f"the page links {href!r}, not a fingerprinted copy: was `flask assets-build` run?",
    )
    hashed = session.get(href, hashed_rid)
    expect(hashed.content == expected, f"{href} differs from site.css", hashed)
    expect(hashed.headers.get("X-Served-By") == "nginx", "not served by nginx", hashed)
    cache = hashed.headers.get("Cache-Control", "")
    expect(
        "max-age=31536000" in cache and "immutable" in cache,
        f"a fingerprinted file should be cached for a year: Cache-Control {cache!r}",
        hashed,
    )
    expect(abs(_expires_in(hashed) - 365 * 86400) < 86400, "Expires is not a year", hashed)
    assert_app_never_saw(session, [plain_rid, hashed_rid], "/static/site.css", href)


def _body_limit() -> int:
    match = re.search(r"^\s{8}client_max_body_size\s+(\d+)m;", NGINX_CONF.read_text(), re.M)
    if match is None:
        raise SmokeError("nginx.conf has no server-wide client_max_body_size")
    return int(match[1]) * 1024 * 1024


def _multipart(fields: dict[str, str], filename: str, size: int) -> tuple[bytes, str]:
    """A multipart body whose file part pads the whole body to exactly `size` bytes."""
    boundary = f"smoke{uuid.uuid4().hex}"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        "\r\nContent-Type: text/plain\r\n\r\n"
    )
    tail = f"\r\n--{boundary}--\r\n"
    padding = size - len(head) - len(tail)
    body = head.encode() + b"a" * padding + tail.encode()
    return body, f"multipart/form-data; boundary={boundary}"


def check_upload_limits(session: Session) -> None:
    """An upload just under client_max_body_size passes; one byte over it nginx answers 413."""
    limit = _body_limit()
    app_limit = int(session.stack.app_environment.get("MAX_CONTENT_LENGTH") or 0)
    expect(limit == app_limit, f"nginx allows {limit} bytes, the app {app_limit}")
    fields = {"purpose": "attachment", "article": session.article()}

    # One byte under: behind gunicorn (which terminates wsgi.input) Werkzeug refuses a
    # multipart body of exactly MAX_CONTENT_LENGTH bytes too, when the parser reads for EOF.
    body, content_type = _multipart(fields, "just-under-the-limit.txt", limit - 1)
    under = session.post(
        "/api/uploads", data=body, headers={**session.auth(), "Content-Type": content_type}
    )
    expect(under.status_code == 201, f"a {limit - 1}-byte upload was refused", under)
    expect(under.json()["upload"]["size"] > limit - 1024, "the file was cut short", under)

    over_rid = request_id("too-large")
    body, content_type = _multipart(fields, "over-the-limit.txt", limit + 1)
    over = session.post(
        "/api/uploads",
        over_rid,
        data=body,
        headers={**session.auth(), "Content-Type": content_type},
    )
    expect(over.status_code == 413, "one byte over the limit was not 413", over)
    expect("413 Request Entity Too Large" in over.text, "the 413 is not nginx's own", over)
    assert_app_never_saw(session, [over_rid])

    # The streaming endpoint has a bigger limit (UPLOAD_STREAM_MAX_BYTES) in the app and in
    # nginx's location for it: a body over the general limit passes there.
    data = b"b" * (limit + 1024 * 1024)
    streamed = session.post(
        "/api/uploads/stream?filename=streamed.txt", data=data, headers=session.auth()
    )
    expect(streamed.status_code == 201, "the streaming upload was refused", streamed)
    upload = streamed.json()["upload"]
    expect(upload["sha256"] == hashlib.sha256(data).hexdigest(), "stream corrupted", streamed)


def check_request_id(session: Session) -> None:
    """An X-Request-ID sent in comes back, and gunicorn's and nginx's access lines carry it.

    One access line per hop: gunicorn writes the app server's, so the app writes none of its
    own (gunicorn.conf.py sets ACCESS_LOG=false).
    """
    rid = request_id("trace")
    answer = session.get("/api/tags", rid)
    expect(answer.headers.get("X-Request-ID") == rid, "the request id did not come back", answer)
    served_by = web_process_that_served(session.stack, rid)
    gunicorn_log = session.stack.processes[served_by].stdout_path
    wait_until(
        lambda: f"request_id={rid}" in gunicorn_log.read_text(),
        10,
        f"gunicorn's access line on {served_by}",
    )
    duplicates = [
        record
        for record in app_log_records(session.stack)
        if record.get("request_id") == rid and record.get("name") == "demo.access"
    ]
    expect(not duplicates, f"the app wrote a second access line: {duplicates}", answer)
    # nginx writes its access line after the response has gone out: wait for it.
    wait_until(
        lambda: f"request_id={rid}" in nginx_access_log(session.stack), 10, "nginx's log line"
    )

    # Without one, nginx mints an id; the app echoes the id it used, and it is nginx's.
    minted = session.get("/api/tags")
    minted_id = minted.headers.get("X-Request-ID", "")
    expect(re.fullmatch(r"[0-9a-f]{32}", minted_id) is not None, "no id minted", minted)
    wait_until(
        lambda: f"request_id={minted_id}" in nginx_access_log(session.stack),
        10,
        f"nginx's log line with the id it minted, {minted_id}",
    )


def check_client_address(session: Session) -> None:
    """The app sees the client's address that nginx forwarded, and not one the client made up."""
    seen = session.get("/routing/ip", source=FORWARDED_CLIENT)
    expect(seen.json() == {"ip": FORWARDED_CLIENT}, "the app saw another address", seen)
    spoofed = session.get(
        "/routing/ip", source=FORWARDED_CLIENT, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    expect(spoofed.json() == {"ip": FORWARDED_CLIENT}, "a forged X-Forwarded-For won", spoofed)


def check_sticky_balancing(session: Session) -> None:
    """Both web processes serve; each client address always reaches the same one."""
    placement: dict[str, str] = {}
    for last_octet in range(10, 60):
        source = f"127.0.0.{last_octet}"
        served = set()
        for _ in range(3):
            rid = request_id("sticky")
            answer = session.get("/healthz", rid, source=source)
            expect(answer.status_code == 200, f"/healthz from {source} failed", answer)
            served.add(web_process_that_served(session.stack, rid))
        if len(served) != 1:
            raise SmokeError(f"requests from {source} went to {sorted(served)}: not sticky")
        placement[source] = served.pop()
        if len(placement) >= 4 and len(set(placement.values())) == len(session.stack.web()):
            return
    raise SmokeError(f"not every web process served a client: {placement}")


@dataclass
class _Listener:
    """A python-socketio client recording one event's payloads."""

    event: str
    payloads: list[Any] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def record(self, data: Any) -> None:
        with self.arrived:
            self.payloads.append(data)
            self.arrived.notify_all()

    def wait_for(self, done: Callable[[list[Any]], bool], timeout: float) -> list[Any]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: done(self.payloads), timeout):
                raise SmokeError(f"{self.event!r} not received in {timeout:.0f}s: {self.payloads}")
            return list(self.payloads)


def check_worker_pushes_over_websocket(session: Session) -> None:
    """A Socket.IO client on WebSocket through nginx receives progress the Celery worker emits."""
    stack = session.stack
    slug = session.article()
    client = socketio.Client(reconnection=False)
    progress = _Listener("task_progress")
    client.on("task_progress", progress.record, namespace="/notifications")
    try:
        client.connect(
            stack.url,
            namespaces=["/notifications"],
            transports=["websocket"],
            auth={"token": session.account()["token"]},
            wait_timeout=TIMEOUT,
        )
        expect(client.transport() == "websocket", f"transport is {client.transport()}")
        # A server subscribes to the Redis channel with its first connection, in a thread.
        with stack.redis() as redis_client:
            wait_until(
                lambda: (
                    dict(redis_client.pubsub_numsub(stack.channel)).get(stack.channel.encode())
                    or False
                ),
                TIMEOUT,
                "the web process to subscribe to the Socket.IO channel",
            )
        started = session.post(
            "/api/tasks/exports", json={"format": "json"}, headers=session.bearer()
        )
        expect(started.status_code == 202, "the export was not queued", started)
        task_id = started.json()["task"]["id"]

        def finished(payloads: list[Any]) -> bool:
            return any(p["task_id"] == task_id and p["state"] == "SUCCESS" for p in payloads)

        updates = [p for p in progress.wait_for(finished, 60) if p["task_id"] == task_id]
    finally:
        client.disconnect()
    expect(updates[-1]["percent"] == 100, f"progress did not reach 100: {updates}")
    worker = stack.processes["worker"]
    wait_until(lambda: task_id in worker.output(), 10, "the worker's log of the task")
    expect("succeeded" in worker.output(), "the worker did not log the task's success")
    # The SUCCESS push leaves the worker before Celery stores the task's result: a client
    # that wants the file asks the status endpoint until the task is ready, as pages do.
    status_path = f"/api/tasks/{task_id}"

    def stored_as_done() -> bool:
        status = session.get(status_path, headers=session.bearer())
        return status.status_code == 200 and status.json()["task"]["state"] == "SUCCESS"

    wait_until(stored_as_done, 15, f"GET {status_path} to say SUCCESS")
    download = session.get(f"{status_path}/download", headers=session.bearer())
    expect(download.status_code == 200, "the export did not download", download)
    expect(slug in {row["slug"] for row in download.json()}, "the export lacks the article")


def check_processes_alive(session: Session) -> None:
    """Every process is still running (and beat, when there is one, has started)."""
    session.stack.check_alive()
    beat = session.stack.processes.get("beat")
    if beat is not None:
        wait_until(lambda: "beat: Starting" in beat.output(), 30, "celery beat to start")


COMPOSE_CHECKS: list[Callable[[Session], None]] = [
    check_pages,
    check_api,
    check_readiness,
    check_static_files,
    check_upload_limits,
    check_request_id,
    check_client_address,
    check_sticky_balancing,
    check_worker_pushes_over_websocket,
    check_processes_alive,
]


# --- The Procfile's web process, reached directly (no proxy on a dyno) ---------------------


def check_procfile_web(session: Session) -> None:
    """The release phase migrated; the web line binds $PORT on every interface and serves."""
    stack = session.stack
    release = (stack.workdir / "logs" / "release.log").read_text()
    expect("Running upgrade" in release, f"the release phase ran no migration:\n{release}")
    health = session.get("/healthz")
    expect(health.status_code == 200 and health.json() == {"status": "ok"}, "healthz", health)
    check_readiness(session)
    tags = session.get("/api/tags")
    expect(tags.status_code == 200 and tags.json() == {"tags": []}, "GET /api/tags", tags)
    web = stack.processes["web"]
    expect(
        f"Listening at: http://0.0.0.0:{web.port}" in web.output(),
        f"gunicorn is not listening on 0.0.0.0:$PORT:\n{web.tail()}",
    )


PROCFILE_CHECKS: list[Callable[[Session], None]] = [check_procfile_web, check_processes_alive]


def run_checks(
    session: Session, checks: list[Callable[[Session], None]], report: Callable[[str], None]
) -> None:
    """Run `checks` in order, reporting each one's first docstring line and duration."""
    for check in checks:
        started = time.monotonic()
        check(session)
        summary = (check.__doc__ or check.__name__).strip().splitlines()[0]
        report(f"ok  {summary} ({time.monotonic() - started:.1f}s)")
