"""Real processes for the integration and browser tests: a small deployment on loopback (Q110).

`Deployment` starts what a scaled deployment runs, on this machine:

- app servers: the Socket.IO dev server (what `make run` serves) and gunicorn with one
  gthread worker (what the Procfile serves), each on its own loopback port;
- a Celery worker;

all with the same environment: one SQLite file, one Redis, one Socket.IO channel, the same
secrets. Only the load balancer is missing: the tests pick the server themselves. The
processes run `tests.websockets.deployment_app`, the project's factory with every Redis key
of the deployment under its own prefix, so test runs sharing a Redis never meet.

Nothing here skips: if Redis or a process cannot be reached, the test fails and says which.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
import socketio

from tests.support.services import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APP_MODULE = "tests.websockets.deployment_app"
# Deadlines, not sleeps: generous, because building an app imports a lot on a busy machine.
READY_TIMEOUT = 90.0
WAIT = 10.0


class LiveServerError(AssertionError):
    """A live process or Redis could not be reached: the test fails (it never skips)."""


def deployment_redis_url() -> str:
    """The suite's Redis: TEST_REDIS_URL, else the local server's database 15."""
    return REDIS_URL


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise LiveServerError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def require_redis(url: str) -> redis.Redis:
    """A client for the test Redis, or a failure explaining how to provide one."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise LiveServerError(
            f"Redis at {url} is unreachable ({exc}); the multi-process tests need it. "
            "Start redis-server, or point TEST_REDIS_URL at one."
        ) from exc
    return client


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    """One process of the deployment, its output kept in a log file."""

    name: str
    process: subprocess.Popen
    log_path: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise LiveServerError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log()}"
            )

    def is_ready(self) -> bool:
        """True once GET /healthz answers 200 (fails at once if the process died)."""
        self.check_alive()
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False


def server_command(kind: str, port: int, threads: int = 16) -> list[str]:
    """How each kind of app server is started ("dev" or "gunicorn"); PORT is its own."""
    if kind == "dev":
        return [sys.executable, "-m", APP_MODULE]
    if kind == "gunicorn":
        return [
            str(BIN / "gunicorn"),
            "--config",
            "gunicorn.conf.py",
            # One worker per process: a Socket.IO session lives in one process's memory.
            # gthread: each WebSocket holds one of the threads for as long as it is open.
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            f"{APP_MODULE}:app",
        ]
    raise ValueError(f"unknown server kind {kind!r}")


@dataclass
class Deployment:
    """App servers and a Celery worker sharing a database file, Redis and a channel."""

    workdir: Path
    database_url: str
    redis_url: str = field(default_factory=deployment_redis_url)
    deployment_id: str = field(default_factory=lambda: f"fp-deploy-{uuid.uuid4().hex[:12]}")
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    jwt_secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    gunicorn_threads: int = 16
    processes: list[Process] = field(default_factory=list)
    _redis: redis.Redis | None = None

    @property
    def redis(self) -> redis.Redis:
        """One client for the test's own Redis checks, closed by `stop`."""
        if self._redis is None:
            self._redis = require_redis(self.redis_url)
        return self._redis

    @property
    def channel(self) -> str:
        """The Socket.IO channel of this deployment."""
        return f"{self.deployment_id}-socketio"

    @property
    def env(self) -> dict[str, str]:
        """The environment every process of the deployment gets (servers, workers, scripts)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TEST_"))}
        env.update(
            FLASK_CONFIG="development",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SOCKETIO_CHANNEL=self.channel,
            DEPLOYMENT_ID=self.deployment_id,
            SECRET_KEY=self.secret_key,
            JWT_SECRET_KEY=self.jwt_secret_key,
            EXPORT_FOLDER=str(self.workdir / "exports"),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _spawn(self, name: str, command: list[str], port: int | None = None) -> Process:
        log_path = self.workdir / f"{name}.log"
        env = {**self.env, "HOST": "127.0.0.1", "PORT": str(port)} if port else self.env
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        started = Process(name, process, log_path, port)
        self.processes.append(started)
        return started

    def start(self, servers: dict[str, str], worker: bool = False) -> dict[str, Process]:
        """Start app servers ({name: "dev" | "gunicorn"}) and optionally a Celery worker,
        all at once; return when every server answers /healthz."""
        self.redis.ping()  # fail now, with advice, if Redis is not there
        started = {}
        for name, kind in servers.items():
            port = free_port()
            command = server_command(kind, port, self.gunicorn_threads)
            started[name] = self._spawn(name, command, port)
        if worker:
            started["worker"] = self._spawn(
                "worker",
                [
                    str(BIN / "celery"),
                    "--app",
                    f"{APP_MODULE}:celery_app",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
            )
        for name in servers:
            try:
                wait_until(started[name].is_ready, READY_TIMEOUT, f"server {name} /healthz")
            except LiveServerError as exc:
                raise LiveServerError(f"{exc}; its output:\n{started[name].log()}") from None
        return started

    def subscribers(self) -> int:
        """How many processes listen on the Socket.IO channel right now."""
        counts = dict(self.redis.pubsub_numsub(self.channel))
        return counts.get(self.channel.encode(), 0)

    def wait_for_subscribers(self, count: int) -> None:
        """Block until `count` servers listen on the channel.

        python-socketio subscribes a server to Redis when its first client connects, in a
        background thread; a message published before then never reaches that server.
        """
        wait_until(lambda: self.subscribers() >= count, WAIT, f"{count} channel subscribers")

    def run_script(self, code: str) -> subprocess.CompletedProcess:
        """Run `code` in a separate plain Python process with the deployment's environment."""
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def stop(self) -> None:
        """Terminate every process, wait for it, and delete the deployment's Redis keys."""
        for started in self.processes:
            if started.process.poll() is None:
                started.process.terminate()
        for started in self.processes:
            try:
                started.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                started.process.kill()
                started.process.wait()
        if self._redis is not None:
            # Only keys carrying this deployment's id: never anything another run may use.
            for key in self._redis.scan_iter(match=f"*{self.deployment_id}*", count=500):
                self._redis.delete(key)
            self._redis.close()
            self._redis = None


class Listener:
    """A real python-socketio client that records what it receives, per event name."""

    def __init__(self, url: str, namespace: str, **connect_args: object) -> None:
        self.url, self.namespace, self.connect_args = url, namespace, connect_args
        self.client = socketio.Client(reconnection=False)
        self.received: dict[str, list] = {}
        self.refusal: object = None
        self._arrived = threading.Condition()
        self.client.on("*", self._record, namespace=namespace)
        self.client.on("connect_error", self._refused, namespace=namespace)

    def _record(self, event: str, *args: object) -> None:
        with self._arrived:
            self.received.setdefault(event, []).append(args[0] if len(args) == 1 else list(args))
            self._arrived.notify_all()

    def _refused(self, data: object) -> None:
        self.refusal = data

    def connect(self) -> Listener:
        """Connect over WebSocket only (no long-polling, so no sticky session is needed)."""
        self.client.connect(
            self.url,
            namespaces=[self.namespace],
            transports=["websocket"],
            wait_timeout=WAIT,
            **self.connect_args,
        )
        return self

    def call(self, event: str, data: object) -> dict:
        """Emit and wait for the server's acknowledgement."""
        return self.client.call(event, data, namespace=self.namespace, timeout=WAIT)

    def wait_for(
        self, event: str, until: Callable[[list], bool] | None = None, timeout: float = WAIT
    ) -> list:
        """Every payload of `event` so far, once `until(payloads)` holds (default: one arrived)."""
        done = until or bool
        with self._arrived:
            if not self._arrived.wait_for(lambda: done(self.received.get(event, [])), timeout):
                raise LiveServerError(
                    f"{event!r} not received as expected within {timeout:.0f}s; "
                    f"got {self.received.get(event, [])!r}"
                )
            return list(self.received[event])

    def close(self) -> None:
        """Disconnect if still connected."""
        self.client.disconnect()
