"""Run the repository's nginx/nginx.conf on loopback, as an unprivileged child process (Q112, Q102).

`localize_config` rewrites only what must differ on a developer machine: the listen port,
the upstream servers, and every filesystem path (pid file, logs, temporary files, the static
folder). Everything else - proxy headers, timeouts, gzip, keep-alive to the upstream, the
static location - is the production file itself, so whatever runs through it measures or
tests the real configuration. Each rewrite must match what it expects in the file; if the
file changes shape, the rewrite fails loudly instead of silently running with production
paths.

`running_nginx` starts ``nginx -g 'daemon off;'`` with a private prefix (its config, pid
file, logs and temporary directories all inside it), waits until it accepts connections and
stops it when the ``with`` block ends, whatever ended it. `local_nginx` does all of it in
one call:

    with local_nginx(["127.0.0.1:8000"]) as nginx:
        requests.get(f"{nginx.url}/healthz")

The benchmark (bench/throughput.py --through-nginx) and tests/fundamentals/test_performance.py
use it; a smoke test can share it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = ROOT / "nginx" / "nginx.conf"
STATIC_DIR = ROOT / "demo" / "static"
NGINX_BINARY = "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")
TEMP_PATH_DIRECTIVES = (
    "client_body_temp_path",
    "proxy_temp_path",
    "fastcgi_temp_path",
    "uwsgi_temp_path",
    "scgi_temp_path",
)
_PR_SET_PDEATHSIG = 1


class NginxConfigError(RuntimeError):
    """nginx.conf no longer has the shape the loopback rewrite expects."""


class NginxNotAvailableError(RuntimeError):
    """The nginx binary is missing or did not start."""


def _replace(
    pattern: str,
    replacement: str | Callable[[re.Match[str]], str],
    text: str,
    *,
    expected: int | None = 1,
) -> str:
    """`re.subn` that insists on the number of matches (None: at least one)."""
    result, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if (expected is None and count == 0) or (expected is not None and count != expected):
        raise NginxConfigError(
            f"nginx.conf rewrite: {pattern!r} matched {count} times, expected "
            f"{'at least once' if expected is None else expected}"
        )
    return result


def _log_path(prefix: Path, original: str) -> str:
    return str(prefix / "logs" / Path(original).name)


def localize_config(
    text: str,
    *,
    listen_port: int,
    upstreams: Sequence[str],
    prefix: Path,
    static_dir: Path = STATIC_DIR,
    mime_types: Path = MIME_TYPES,
) -> str:
    """The production nginx.conf with loopback ports and paths under `prefix`.

    `upstreams` are ``host:port`` addresses of app servers; they replace the server lines
    of the (single) upstream block and keep the first line's parameters (max_fails, ...).
    """
    if not upstreams:
        raise ValueError("at least one upstream address is needed")
    text = _replace(r"^(\s*pid\s+)\S+;", rf"\g<1>{prefix / 'nginx.pid'};", text)
    text = _replace(
        r"^(\s*error_log\s+)(/\S+)",
        lambda m: m.group(1) + _log_path(prefix, m.group(2)),
        text,
        expected=None,
    )
    text = _replace(
        r"^(\s*access_log\s+)(/\S+)",
        lambda m: m.group(1) + _log_path(prefix, m.group(2)),
        text,
        expected=None,
    )
    text = _replace(r"^(\s*include\s+)\S*mime\.types;", rf"\g<1>{mime_types};", text)
    text = _replace(r"^(\s*listen\s+)\d+;", rf"\g<1>127.0.0.1:{listen_port};", text)
    text = _replace(r"^(\s*alias\s+)\S+;", rf"\g<1>{static_dir}/;", text)
    upstream_block = r"(?s)^(\s*upstream\s+\w+\s*\{)(.*?)^(\s*\})"
    text = _replace(upstream_block, _upstream_rewriter(upstreams), text)
    # nginx's compiled-in temporary directories (/var/lib/nginx/...) need root: keep them
    # inside the prefix as well.
    temp_paths = "".join(
        f"\n    {name} {prefix / 'temp' / name.removesuffix('_temp_path')};"
        for name in TEMP_PATH_DIRECTIVES
    )
    return _replace(r"^(http\s*\{)", rf"\g<1>{temp_paths}", text)


def _upstream_rewriter(upstreams: Sequence[str]) -> Callable[[re.Match[str]], str]:
    def rewrite(match: re.Match[str]) -> str:
        body = match.group(2)
        servers = list(re.finditer(r"^(\s*)server\s+\S+?(\s[^;]*)?;\n", body, re.MULTILINE))
        if not servers:
            raise NginxConfigError("nginx.conf rewrite: the upstream block has no server line")
        indent, parameters = servers[0].group(1), servers[0].group(2) or ""
        lines = "".join(f"{indent}server {address}{parameters};\n" for address in upstreams)
        kept = body[: servers[0].start()] + lines
        position = servers[0].end()
        for server in servers[1:]:
            kept += body[position : server.start()]
            position = server.end()
        kept += body[position:]
        return match.group(1) + kept + match.group(3)

    return rewrite


def write_local_config(
    prefix: Path,
    *,
    listen_port: int,
    upstreams: Sequence[str],
    source: Path = NGINX_CONF,
    static_dir: Path = STATIC_DIR,
) -> Path:
    """Create `prefix` (conf, logs/, temp/, static/) and write the localized nginx.conf.

    The static files are copied into the prefix, as the nginx image gets its own copy
    (Dockerfile): run as root, nginx's workers drop to `nobody`, who must be able to read
    them, and a checkout inside a private directory (``mktemp -d`` is 0700) is out of reach.
    """
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    (prefix / "temp").mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    served_static = prefix / "static"
    shutil.copytree(static_dir, served_static, dirs_exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        localize_config(
            source.read_text(),
            listen_port=listen_port,
            upstreams=upstreams,
            prefix=prefix,
            static_dir=served_static,
        )
    )
    return conf


def nginx_binary() -> str:
    """The nginx executable (/usr/sbin/nginx, else the one on PATH), or a clear error."""
    found = NGINX_BINARY if os.access(NGINX_BINARY, os.X_OK) else shutil.which("nginx")
    if not found:
        raise NginxNotAvailableError(
            "nginx is not installed: `sudo apt-get install nginx-light` (Debian/Ubuntu)"
        )
    return found


def die_with_parent() -> None:
    """In a child before exec: have the kernel SIGTERM it when its parent dies (Linux).

    So a benchmark or test killed outright (SIGKILL, a CI timeout) leaves no server behind.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_nginx(
    prefix: Path, conf: Path, listen_port: int, *, timeout: float = 20.0
) -> Iterator[subprocess.Popen[bytes]]:
    """nginx in the foreground with `prefix`; stopped (QUIT, then TERM, then KILL) on exit."""
    binary = nginx_binary()
    base = [binary, "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "logs" / "error.log")]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, check=False)  # noqa: S603
    if check.returncode != 0:
        raise NginxConfigError(f"nginx -t refused {conf}:\n{check.stderr}")
    log = (prefix / "logs" / "stderr.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [*base, "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
        # Safe here: the callers start nginx before they start any thread.
        preexec_fn=die_with_parent,
    )
    try:
        deadline = time.monotonic() + timeout
        while not _accepts(listen_port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise NginxNotAvailableError(
                    f"nginx did not start (status {process.poll()}): "
                    + (prefix / "logs" / "error.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.05)
        yield process
    finally:
        stop_process(process)
        log.close()


@dataclass(frozen=True)
class LocalNginx:
    """A running loopback nginx: where it listens and where its files are."""

    port: int
    prefix: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def local_nginx(upstreams: Sequence[str], *, source: Path = NGINX_CONF) -> Iterator[LocalNginx]:
    """The repository's nginx.conf in front of `upstreams`, on a free loopback port.

    Everything lives in a fresh directory under the system temp dir (not inside a private
    0700 one: run as root, nginx's workers drop to `nobody` and must reach their temp
    files); nginx is stopped and the directory removed when the block ends.
    """
    prefix = Path(tempfile.mkdtemp(prefix="flaskproof-nginx-"))
    try:
        port = free_port()
        conf = write_local_config(prefix, listen_port=port, upstreams=upstreams, source=source)
        with running_nginx(prefix, conf, port) as process:
            yield LocalNginx(port, prefix, process)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def free_port() -> int:
    """A loopback port the kernel just handed out (released for a server to bind)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Graceful stop first (SIGQUIT lets nginx finish requests), then TERM, then KILL."""
    for sig in (signal.SIGQUIT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
