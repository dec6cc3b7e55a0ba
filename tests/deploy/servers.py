"""Start a real app server on a loopback port for a test, and always stop it.

Used by the uWSGI and platform tests. The server runs the production configuration with
generated secrets and a throwaway SQLite database; empty values override a developer's
`.env`, so no Redis, broker, Sentry or mail server is involved. A server that dies or never
answers fails the test with the end of its log.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
# Importing the whole app on a busy two-core machine can take a while.
READY_TIMEOUT = 90.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process whose state lives in `workdir`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GUNICORN_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        # Empty wins over a developer's .env: gunicorn binds 0.0.0.0:$PORT.
        GUNICORN_BIND="",
        FLASK_CONFIG="production",
        SECRET_KEY=secrets.token_hex(32),
        JWT_SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{workdir / 'app.db'}",
        UPLOAD_FOLDER=str(workdir / "uploads"),
        EXPORT_FOLDER=str(workdir / "exports"),
        REDIS_URL="",
        CELERY_BROKER_URL="",
        SENTRY_DSN="",
        SESSION_BACKEND="",
        MAIL_SERVER="",
    )
    env.update(extra)
    return env


@dataclass
class LiveServer:
    """A started server: its base URL, process and log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self, timeout: float) -> int:
        """SIGTERM, then wait up to `timeout` seconds; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextlib.contextmanager
def live_server(
    argv: Sequence[str], env: dict[str, str], port: int, workdir: Path
) -> Iterator[LiveServer]:
    """Run `argv` from the project root until its /healthz answers; kill it afterwards."""
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not _answers(f"{server.url}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"{argv[0]} did not serve {server.url}/healthz "
                    f"(exit status {process.poll()}):\n{server.log()}"
                )
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
