"""Bring up what docker-compose.yml (or the Procfile) describes, on loopback (Q105, Q107, Q109).

`compose_stack()` starts web-1 and web-2 (gunicorn with gunicorn.conf.py, through
docker/entrypoint.sh, which waits for the database and migrates first), the Celery worker and
beat, then nginx with nginx/nginx.conf rewritten for loopback by bench/nginx_local.py.
`procfile_stack()` runs the Procfile's `release` line, then its `web` line with PORT set,
the way Heroku does. Both use the local PostgreSQL and Redis (scripts.smoke.backing), and
stop everything they started when the `with` block ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from bench.nginx_local import NGINX_CONF, nginx_binary, running_nginx, write_local_config
from scripts.smoke.backing import (
    DEFAULT_DATABASE_SERVER,
    DEFAULT_REDIS_URL,
    empty_redis_database,
    exclusive_lock,
    fresh_database,
)
from scripts.smoke.compose import (
    ROOT,
    ComposeError,
    app_services,
    example_environment,
    load_compose,
    procfile,
    published_port,
    service,
)
from scripts.smoke.processes import (
    READY_TIMEOUT,
    Launcher,
    Process,
    SmokeError,
    free_port,
    wait_until,
)

# The Dockerfile's step that writes content-hashed copies of the CSS/JS (static/dist/, Q071)
# for the app to link and nginx to serve; here it writes them into the repository's static/.
ASSETS_BUILD = ["flask", "--app", "demo", "assets-build"]


@dataclass
class Stack:
    """A running smoke deployment: its processes, URLs, logs and backing services."""

    workdir: Path
    database_url: str
    redis_url: str
    channel: str
    processes: dict[str, Process] = field(default_factory=dict)
    url: str = ""
    nginx_prefix: Path | None = None
    # The environment the app servers run with (after the loopback changes).
    app_environment: dict[str, str] = field(default_factory=dict)

    def web(self) -> list[Process]:
        """The app servers (compose's web-1, web-2; the Procfile's web)."""
        return [p for p in self.processes.values() if p.port is not None]

    def web_output(self) -> str:
        """Everything the app servers wrote: gunicorn's access log and the app's log."""
        return "".join(p.output() for p in self.web())

    def tails(self) -> str:
        """The last lines of every process, for failure messages."""
        return "\n".join(p.tail() for p in self.processes.values())

    def check_alive(self) -> None:
        """Fail if any process of the stack has exited."""
        for process in self.processes.values():
            process.check_alive()

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=5)


# --- Environments -------------------------------------------------------------------------


def _caller_environment() -> dict[str, str]:
    """This process's environment minus everything that configures the app or gunicorn."""
    documented = set(example_environment())
    return {
        name: value
        for name, value in os.environ.items()
        if name not in documented
        and not name.startswith(("FLASK_", "GUNICORN_", "CELERY_", "TEST_"))
        and name not in {"WEB_CONCURRENCY", "VIRTUAL_ENV"}
    }


def _path_with_venv() -> str:
    # The image has gunicorn, celery, flask and python on PATH; here they are in .venv/bin.
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def generated_secrets() -> dict[str, str]:
    """What .env must provide and compose refuses to start without (see ${...:?})."""
    return {"SECRET_KEY": secrets.token_hex(32), "JWT_SECRET_KEY": secrets.token_hex(32)}


# --- The compose deployment ---------------------------------------------------------------


def _nginx_upstreams(compose: dict[str, Any], ports: dict[str, int]) -> list[str]:
    """Loopback addresses for nginx.conf's upstream servers, which name the web services.

    Also holds the files to each other: nginx proxies to exactly the web services, on the
    port each one listens on, and listens on the port compose publishes.
    """
    text = NGINX_CONF.read_text()
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)\b", text, re.MULTILINE)
    if sorted(host for host, _ in servers) != sorted(ports):
        raise ComposeError(f"nginx.conf proxies to {servers}, compose runs web {sorted(ports)}")
    for host, port in servers:
        declared = service(compose, host, generated_secrets()).environment.get("PORT")
        if declared != port:
            raise ComposeError(f"nginx.conf proxies to {host}:{port}; it listens on {declared}")
    _, container_port = published_port(compose, "nginx")
    if not re.search(rf"^\s*listen\s+{container_port};", text, re.MULTILINE):
        raise ComposeError(f"compose publishes nginx's port {container_port}; nginx.conf differs")
    return [f"127.0.0.1:{ports[host]}" for host, _ in servers]


@contextlib.contextmanager
def _nginx_prefix(workdir: Path) -> Iterator[Path]:
    """A folder for nginx's config, logs and temp files, its logs copied to `workdir` after.

    Not inside `workdir`: run as root, nginx's workers become `nobody`, who must traverse
    every parent folder to reach their temp files, and pytest's and mkdtemp's are private.
    """
    prefix = Path(tempfile.mkdtemp(prefix="flaskproof-smoke-nginx-"))
    prefix.chmod(0o755)
    try:
        yield prefix
    finally:
        if (prefix / "logs").is_dir():
            shutil.copytree(prefix / "logs", workdir / "logs" / "nginx", dirs_exist_ok=True)
        shutil.rmtree(prefix, ignore_errors=True)


@contextlib.contextmanager
def compose_stack(
    workdir: Path,
    database_server: str = DEFAULT_DATABASE_SERVER,
    redis_url: str = DEFAULT_REDIS_URL,
) -> Iterator[Stack]:
    """Run docker-compose.yml's app services and nginx on loopback until the block ends."""
    nginx_binary()  # fail before starting anything if nginx is missing
    compose = load_compose()
    variables = generated_secrets()
    with contextlib.ExitStack() as cleanup:
        cleanup.enter_context(exclusive_lock())
        database_url = cleanup.enter_context(fresh_database(database_server))
        cleanup.enter_context(empty_redis_database(redis_url))
        stack = Stack(workdir, database_url, redis_url, f"flaskproof-smoke-{uuid.uuid4().hex}")
        launcher = Launcher(workdir)
        cleanup.callback(launcher.stop_all)
        data = workdir / "data"

        assets = launcher.start(
            "assets-build",
            ASSETS_BUILD,
            {
                **_caller_environment(),
                **example_environment(),
                "FLASK_CONFIG": "testing",
                "PATH": _path_with_venv(),
            },
            None,
        )
        web_ports: dict[str, int] = {}
        for name in app_services(compose):
            found = service(compose, name, variables)
            env = {
                **_caller_environment(),
                **found.environment,
                "PATH": _path_with_venv(),
                # Only what differs on one machine: addresses and paths.
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "SOCKETIO_CHANNEL": stack.channel,
                "UPLOAD_FOLDER": str(data / "uploads"),
                "EXPORT_FOLDER": str(data / "exports"),
            }
            port = None
            if "healthcheck" in found.definition:  # the web services: compose probes them
                port = free_port()
                env.update(PORT=str(port), GUNICORN_BIND=f"127.0.0.1:{port}")
                web_ports[name] = port
                stack.app_environment = env
            argv = [arg.replace("=/tmp/", f"={workdir}/") for arg in found.argv]
            stack.processes[name] = launcher.start(name, argv, env, port)

        for web in stack.web():
            try:
                wait_until(web.answers_healthz, READY_TIMEOUT, f"{web.name} /healthz")
            except SmokeError as exc:
                raise SmokeError(f"{exc}\n{stack.tails()}") from None

        if assets.popen.wait(timeout=READY_TIMEOUT) != 0:
            raise SmokeError(f"`{' '.join(ASSETS_BUILD)}` failed\n{assets.tail()}")
        nginx_port = free_port()
        prefix = cleanup.enter_context(_nginx_prefix(workdir))
        conf = write_local_config(
            prefix,
            listen_port=nginx_port,
            upstreams=_nginx_upstreams(compose, web_ports),
        )
        cleanup.enter_context(running_nginx(prefix, conf, nginx_port))
        stack.url = f"http://127.0.0.1:{nginx_port}"
        stack.nginx_prefix = prefix
        yield stack


# --- The Procfile (Heroku-style) ----------------------------------------------------------


def _run_release(command: str, env: dict[str, str], workdir: Path) -> None:
    done = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=READY_TIMEOUT,
        check=False,
    )
    (workdir / "logs" / "release.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SmokeError(f"release phase `{command}` failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def procfile_stack(
    workdir: Path,
    port: int,
    database_server: str = DEFAULT_DATABASE_SERVER,
    redis_url: str = DEFAULT_REDIS_URL,
) -> Iterator[Stack]:
    """Run the Procfile's release phase, then its web process on `port`, as Heroku would."""
    processes = procfile()
    for needed in ("release", "web"):
        if needed not in processes:
            raise ComposeError(f"the Procfile has no {needed!r} process")
    with contextlib.ExitStack() as cleanup:
        cleanup.enter_context(exclusive_lock())
        database_url = cleanup.enter_context(fresh_database(database_server))
        cleanup.enter_context(empty_redis_database(redis_url))
        stack = Stack(workdir, database_url, redis_url, f"flaskproof-smoke-{uuid.uuid4().hex}")
        launcher = Launcher(workdir)
        cleanup.callback(launcher.stop_all)
        env = {
            **_caller_environment(),
            **example_environment(),
            **generated_secrets(),
            "PATH": _path_with_venv(),
            # The config vars a Heroku app has: its add-ons' URLs (Heroku Postgres still
            # hands out postgres://), production mode, and the port the router connects to.
            "FLASK_CONFIG": "production",
            # Heroku's router is one proxy hop that sets X-Forwarded-For and -Proto.
            "PROXY_FIX_X_FOR": "1",
            "PROXY_FIX_X_PROTO": "1",
            "DATABASE_URL": database_url.replace("postgresql://", "postgres://", 1),
            "REDIS_URL": redis_url,
            "SOCKETIO_CHANNEL": stack.channel,
            "PORT": str(port),
            "UPLOAD_FOLDER": str(workdir / "data" / "uploads"),
            "EXPORT_FOLDER": str(workdir / "data" / "exports"),
        }
        stack.app_environment = env
        _run_release(processes["release"], env, workdir)
        # `exec`: the shell becomes the web process, as on a dyno, so signals reach gunicorn.
        web = launcher.start("web", ["/bin/sh", "-c", f"exec {processes['web']}"], env, port)
        stack.processes["web"] = web
        try:
            wait_until(web.answers_healthz, READY_TIMEOUT, "the Procfile's web process /healthz")
        except SmokeError as exc:
            raise SmokeError(f"{exc}\n{stack.tails()}") from None
        stack.url = web.url
        yield stack
