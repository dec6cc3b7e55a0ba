"""Several app processes behave as one: Socket.IO through Redis, Celery pushing progress
(Q070, Q110).

One deployment per module (see `tests.websockets.live`): the Socket.IO dev server that
`python -m demo` runs (server A), gunicorn with one gthread worker (server B) and a Celery
worker, all on one Redis and one Socket.IO channel. Clients talk to the servers over real
WebSockets with python-socketio. These tests fail (never skip) when Redis or a process is
unreachable.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import socketio
from flask_jwt_extended import create_access_token

from demo import create_app
from demo.extensions import db
from tests.websockets.conftest import access_token, create_article, create_member
from tests.websockets.live import Deployment, Listener, Process

pytestmark = pytest.mark.answers("Q110")


class Cluster:
    """The running deployment and what the tests need to talk to it."""

    def __init__(self, deployment: Deployment, processes: dict[str, Process]) -> None:
        self.deployment = deployment
        self.a, self.b = processes["a"], processes["b"]
        self.tokens: dict[str, str] = {}
        self.user_ids: dict[str, int] = {}
        self.expired_token = ""
        self.listeners: list[Listener] = []

    def listen(self, server: Process, namespace: str, **connect_args: object) -> Listener:
        listener = Listener(server.url, namespace, **connect_args).connect()
        self.listeners.append(listener)
        return listener

    def as_user(self, server: Process, namespace: str, username: str) -> Listener:
        return self.listen(server, namespace, auth={"token": self.tokens[username]})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two app servers and a Celery worker over one Redis, with two members and articles."""
    workdir: Path = tmp_path_factory.mktemp("deployment")
    deployment = Deployment(workdir, f"sqlite:///{workdir / 'deployment.db'}")
    setup = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=deployment.database_url,
        JWT_SECRET_KEY=deployment.jwt_secret_key,
    )
    tokens, user_ids = {}, {}
    with setup.app_context():
        db.create_all()
        for name in ("ann", "bob"):
            user = create_member(name)
            tokens[name], user_ids[name] = access_token(user), user.id
        ann = db.session.get(type(user), user_ids["ann"])
        for slug in ("hello-world", "second-post", "third-post"):
            create_article(ann, slug)
        expired = create_access_token(identity=ann, expires_delta=timedelta(seconds=-1))
        db.session.remove()
        db.engine.dispose()

    try:
        processes = deployment.start({"a": "dev", "b": "gunicorn"}, worker=True)
        running = Cluster(deployment, processes)
        running.tokens, running.user_ids, running.expired_token = tokens, user_ids, expired
        # Python-socketio subscribes a server to Redis at its first connection: make one
        # on each server and wait until both listen, so no test races the subscription.
        running.as_user(running.a, "/notifications", "bob")
        running.as_user(running.b, "/notifications", "bob")
        deployment.wait_for_subscribers(2)
        yield running
    finally:
        for listener in getattr(locals().get("running"), "listeners", []):
            listener.close()
        deployment.stop()


def test_a_chat_message_sent_to_one_process_reaches_a_client_of_the_other(cluster):
    """Ann on server A posts; Bob, connected to server B, receives it through Redis."""
    ann = cluster.as_user(cluster.a, "/chat", "ann")
    bob = cluster.as_user(cluster.b, "/chat", "bob")
    assert ann.call("join", {"slug": "hello-world"})["ok"]
    assert bob.call("join", {"slug": "hello-world"})["ok"]

    ack = ann.call("message", {"slug": "hello-world", "text": "hello from A"})

    assert ack["ok"] is True
    (received,) = bob.wait_for("message")
    assert (received["id"], received["text"], received["username"]) == (
        ack["id"],
        "hello from A",
        "ann",
    )
    assert ann.wait_for("message")[0]["id"] == ack["id"]  # the sender's room copy, on A


def test_notify_user_from_a_plain_process_reaches_the_user_on_every_server(cluster):
    """A script with no app publishes through Redis; each of Ann's connections gets it."""
    on_a = cluster.as_user(cluster.a, "/notifications", "ann")
    on_b = cluster.as_user(cluster.b, "/notifications", "ann")
    bob = cluster.as_user(cluster.b, "/notifications", "bob")
    done = cluster.deployment.run_script(
        "from demo.websockets.events import notify_user\n"
        f"notify_user({cluster.user_ids['ann']}, 'comment', {{'article': 'hello-world'}})\n"
    )

    assert done.returncode == 0, done.stderr
    assert on_a.wait_for("comment") == [{"article": "hello-world"}]
    assert on_b.wait_for("comment") == [{"article": "hello-world"}]
    assert "comment" not in bob.received  # same server as Ann's second tab, other room


def test_celery_export_progress_reaches_the_owner_on_another_process(cluster):
    """Export queued on A, run by the worker, progress pushed live to Ann's client on B."""
    watcher = cluster.as_user(cluster.b, "/notifications", "ann")
    response = requests.post(
        f"{cluster.a.url}/api/tasks/exports",
        json={"format": "json"},
        headers={"Authorization": f"Bearer {cluster.tokens['ann']}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    task_id = response.json()["task"]["id"]

    def finished(updates: list) -> bool:
        return any(u["task_id"] == task_id and u["state"] == "SUCCESS" for u in updates)

    updates = [
        u
        for u in watcher.wait_for("task_progress", finished, timeout=60)
        if u["task_id"] == task_id
    ]
    percents = [u["percent"] for u in updates]
    assert percents == sorted(percents) and percents[-1] == 100
    assert {u["state"] for u in updates[:-1]} <= {"PROGRESS"}
    download = requests.get(
        f"{cluster.b.url}/api{updates[-1]['result_url']}",
        headers={"Authorization": f"Bearer {cluster.tokens['ann']}"},
        timeout=10,
    )
    assert download.status_code == 200
    assert {row["slug"] for row in download.json()} == {"hello-world", "second-post", "third-post"}


def test_logging_in_on_one_process_authenticates_a_socket_on_the_other(cluster):
    """The session lives in Redis: a login through A's form is valid on B's Socket.IO too."""
    browser = requests.Session()
    form = browser.get(f"{cluster.a.url}/auth/login", timeout=10).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)[1]
    answer = browser.post(
        f"{cluster.a.url}/auth/login",
        data={"csrf_token": csrf, "email": "bob@example.com", "password": "bob password"},
        timeout=10,
    )
    assert answer.status_code == 200 and "Logged in as bob" in answer.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)

    bob = cluster.listen(cluster.b, "/chat", headers={"Cookie": cookie})
    assert bob.call("join", {"slug": "hello-world"}) == {"ok": True, "room": "hello-world"}
    ack = bob.call("message", {"slug": "hello-world", "text": "cookie works"})
    assert (
        bob.wait_for("message", lambda m: any(x["id"] == ack["id"] for x in m))[-1]["username"]
        == "bob"
    )


def test_rate_limit_counters_are_shared_by_the_processes(cluster):
    """Failed logins spread over A and B add up in Redis: the sixth is refused on either."""
    browser = requests.Session()
    form = browser.get(f"{cluster.a.url}/auth/login", timeout=10).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)[1]
    guess = {"csrf_token": csrf, "email": f"mallory-{uuid.uuid4().hex}@example.com"}
    statuses = []
    for attempt, server in enumerate([cluster.a, cluster.b] * 3):
        answer = browser.post(
            f"{server.url}/auth/login", data={**guess, "password": f"guess {attempt}"}, timeout=10
        )
        statuses.append((server.name, answer.status_code))

    # Five failures allowed per address and account per minute (3 on A, 2 on B), then 429:
    # neither process alone has seen more than three.
    assert statuses == [("a", 422), ("b", 422)] * 2 + [("a", 422), ("b", 429)]


@pytest.mark.answers("Q125")
@pytest.mark.parametrize(
    ("credentials", "reason"),
    [({}, "authentication required"), ({"auth": {"token": "expired"}}, "token expired")],
)
def test_refused_connects_over_the_wire_say_why(cluster, credentials, reason):
    """A real client without credentials, or with an expired token, is refused with a reason."""
    if credentials.get("auth"):
        credentials = {"auth": {"token": cluster.expired_token}}
    listener = Listener(cluster.b.url, "/chat", **credentials)
    with pytest.raises(socketio.exceptions.ConnectionError, match=r"failed to connect"):
        listener.connect()
    assert reason in listener.refusal["message"]
