"""Real workers in processes of their own: the entry point, time limits, workers that die.

These start ``celery worker`` subprocesses against the local Redis, so they prove what a
worker thread in the test process cannot: that ``celery -A demo.make_celery worker`` starts
and sends mail, that a soft time limit interrupts a task (prefork pool only), and that a
task acknowledged late survives the death of the process running it.

A test and its tasks synchronise through Redis lists (see `worker_tasks`): BLPOP blocks
until the other side pushes, so nothing here sleeps or polls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_retry

from demo.tasks.mail import send_email
from demo.tasks.registry import enqueue
from demo.tasks.status import failure_reason
from tests.tasks import worker_tasks
from tests.tasks.support import (
    SmtpServer,
    broker_settings,
    close_connections,
    free_port,
    ignore_redis_setex_warning,
    mail_settings,
    worker_thread,
)
from tests.tasks.worker_tasks import blocking_client

pytestmark = ignore_redis_setex_warning

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
TASK_SECONDS = 30


class WorkerProcess:
    """``celery worker`` in a subprocess, started and awaited without sleeping."""

    def __init__(self, app_module: str, queue: str, redis_url: str, log: Path, **env: str):
        self.queue = queue
        self.log = log
        ready_key = f"{queue}:ready"
        command = [
            sys.executable, "-m", "celery", "-A", app_module, "worker",
            "--pool", env.pop("POOL", "prefork"), "--concurrency", "1", "--queues", queue,
            "--hostname", f"{queue}@%h", "--include", worker_tasks.__name__,
            "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO",
        ]  # fmt: skip
        environment = {
            **os.environ,
            "REDIS_URL": redis_url,
            worker_tasks.READY_KEY_VARIABLE: ready_key,
            **env,
        }
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
            )
        client = blocking_client(redis_url)
        try:
            if client.blpop([ready_key], timeout=STARTUP_SECONDS) is None:
                self.stop()
                pytest.fail(f"the worker did not start:\n{self.output()}")
        finally:
            client.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, nothing acknowledged or given back on the way out."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=TASK_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()


def delete_keys(redis_url: str, token: str) -> None:
    client = redis.Redis.from_url(redis_url)
    stale = list(client.scan_iter(match=f"*{token}*", count=500))
    if stale:
        client.delete(*stale)
    client.close()


# --- one worker started from the project's entry point, shared by this module -------------


@pytest.fixture(scope="module")
def module_token() -> str:
    return f"tasks-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def module_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def entry_point_worker(
    redis_url: str, module_token: str, module_smtp: SmtpServer, tmp_path_factory
) -> Iterator[WorkerProcess]:
    """``celery -A demo.make_celery worker`` (prefork, one process) with real SMTP settings."""
    folder = tmp_path_factory.mktemp("entry-point-worker")
    worker = WorkerProcess(
        "demo.make_celery",
        f"{module_token}-queue",
        redis_url,
        folder / "worker.log",
        FLASK_CONFIG="development",
        DATABASE_URL=f"sqlite:///{folder / 'worker.db'}",
        **{key: str(value) for key, value in mail_settings(module_smtp.port).items()},
    )
    yield worker
    worker.stop()
    delete_keys(redis_url, module_token)


@pytest.fixture
def producer(make_app, redis_url, module_token):
    """An app that sends tasks to the entry-point worker and reads their results."""
    app = make_app(REDIS_URL=redis_url, SESSION_BACKEND="cookie")
    yield app
    close_connections(app)


def send(producer, worker, task, *args):
    """Queue `task` for `worker`, with an id the module's cleanup will find."""
    task_id = f"{worker.queue}-{uuid.uuid4()}"
    bound = producer.extensions["celery"].tasks[task.name]
    return bound.apply_async(args, queue=worker.queue, task_id=task_id)


@pytest.mark.answers("Q060", "Q166")
def test_the_entry_point_worker_sends_mail(producer, entry_point_worker, module_smtp):
    """A message queued by the web side is sent by the worker process, through Flask-Mail."""
    subject = f"From the worker {uuid.uuid4()}"
    result = send(producer, entry_point_worker, send_email, "ada@example.com", subject, "Body")

    assert result.get(timeout=TASK_SECONDS) == "sent", entry_point_worker.output()
    assert subject in [message["Subject"] for message in module_smtp.messages]


@pytest.mark.answers("Q166")
def test_the_soft_time_limit_interrupts_the_task_which_cleans_up(
    producer, entry_point_worker, redis_db, run_token
):
    """0.5 s into a wait, SoftTimeLimitExceeded fires inside the task; it cleans up and fails."""
    key = f"{run_token}:overrun"
    result = send(producer, entry_point_worker, worker_tasks.overrun, redis_db_url(redis_db), key)

    result.get(timeout=TASK_SECONDS, propagate=False)
    assert result.state == "FAILURE", entry_point_worker.output()
    assert isinstance(result.result, SoftTimeLimitExceeded)
    assert redis_db.lrange(f"{key}:cleaned", 0, -1) == ["partial results removed"]
    assert failure_reason(result.result) == "The task took too long and was stopped."


@pytest.mark.answers("Q166")
def test_a_killed_pool_process_gives_its_task_back(
    producer, entry_point_worker, redis_db, run_token
):
    """reject_on_worker_lost: SIGKILL the child running the task; a new child runs it again."""
    key = f"{run_token}:child"
    result = send(producer, entry_point_worker, worker_tasks.hold, redis_db_url(redis_db), key)
    _, first = redis_db.blpop([f"{key}:started"], timeout=TASK_SECONDS)

    os.kill(int(first), signal.SIGKILL)  # the pool child, not the worker we started
    started_again = redis_db.blpop([f"{key}:started"], timeout=TASK_SECONDS)
    assert started_again is not None, entry_point_worker.output()
    redis_db.rpush(f"{key}:release", "go")

    second = int(started_again[1])
    assert second != int(first)
    assert result.get(timeout=TASK_SECONDS) == second


def redis_db_url(client: redis.Redis) -> str:
    """The URL a task in another process uses to reach the same Redis database."""
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"


# --- a worker that dies, and the one that takes over ------------------------------------------


@pytest.mark.answers("Q110", "Q166")
def test_a_task_outlives_the_worker_that_died_running_it(
    make_app, redis_url, redis_db, run_token, tmp_path
):
    """acks_late: SIGKILL the whole worker mid-task; a second worker gets the message again."""
    key = f"{run_token}:hold"
    first_worker = WorkerProcess(
        "tests.tasks.worker_app",
        f"{run_token}-queue",
        redis_url,
        tmp_path / "first-worker.log",
        POOL="solo",
        TEST_RUN_TOKEN=run_token,
    )
    # Redis gives an unacknowledged message to another consumer once it is older than the
    # visibility timeout: an hour by default, zero for the second worker, so the message the
    # first worker took is due the moment the second one starts (as if the hour had passed).
    app = make_app(**broker_settings(redis_url, run_token, broker={"visibility_timeout": 0}))
    try:
        result = enqueue(worker_tasks.hold, redis_url, key)
        _, pid = redis_db.blpop([f"{key}:started"], timeout=TASK_SECONDS)
        assert int(pid) == first_worker.pid  # the solo pool runs tasks in the worker itself
        first_worker.kill()
        redis_db.rpush(f"{key}:release", "go")

        with worker_thread(app):
            assert result.get(timeout=TASK_SECONDS) == os.getpid()
        assert redis_db.lrange(f"{key}:started", 0, -1) == [str(os.getpid())]
    finally:
        first_worker.stop()
        close_connections(app)


# --- retries with backoff against a mail server that comes up late ---------------------------


@pytest.mark.answers("Q060", "Q166")
def test_mail_is_retried_until_the_server_is_up(make_app, redis_url, redis_db, run_token):
    """Nothing listens at first: ConnectionRefusedError, a retry scheduled with backoff; the
    server starts before the retry runs, which delivers the mail once."""
    port = free_port()
    server = SmtpServer(port)
    app = make_app(**mail_settings(port), **broker_settings(redis_url, run_token))
    reasons = []

    def server_comes_up(request=None, reason=None, **_):
        reasons.append(reason.exc)  # `reason` is the Retry; `.exc` what caused it
        if not server.running:
            server.start()

    task_retry.connect(server_comes_up)
    try:
        with worker_thread(app):
            result = enqueue(send_email, "ada@example.com", "Late server", "Body")
            assert result.get(timeout=TASK_SECONDS) == "sent"
    finally:
        task_retry.disconnect(server_comes_up)
        if server.running:
            server.stop()
        close_connections(app)
    assert [type(reason) for reason in reasons] == [ConnectionRefusedError]
    assert [message["Subject"] for message in server.messages] == ["Late server"]
