"""Requests per second and latency of flaskproof under gunicorn, next to a bare Flask app (Q102).

    .venv/bin/python -m bench.throughput                    # SQLite file, in-process cache
    .venv/bin/python -m bench.throughput --through-nginx    # also through nginx/nginx.conf
    .venv/bin/python -m bench.throughput --redis-url redis://127.0.0.1:6379/14 \
        --database-url postgresql://postgres@127.0.0.1:5432/bench_throughput

What it does, all on loopback:

1. builds a production environment (FLASK_CONFIG=production, fresh secrets, JSON logs at
   INFO, a temporary SQLite file or the private database --database-url names), migrates
   it, runs `flask seed` and adds articles until the default page of /api/articles holds 20;
2. serves the app with `gunicorn -c gunicorn.conf.py demo.wsgi:app` (one gthread worker,
   32 threads, access log on) and fetches the answers of the measured URLs;
3. serves bench/bare_app.py with the same gunicorn.conf.py: Flask returning those same
   bodies, with nothing else around it;
4. with --through-nginx, runs the repository's nginx/nginx.conf (ports and paths rewritten
   by bench/nginx_local.py) in front of the app's gunicorn;
5. drives every server with wrk (keep-alive, fixed number of connections): one warm-up run
   per server and URL, then several rounds in which every server and URL takes its turn, so
   a load spike from elsewhere hits all of them alike; the table shows the median round.

The API rate limit stays on: every request is counted in the limiter's storage. Only its
ceiling is raised (RATELIMIT_API_DEFAULT), because a benchmark client is by design one
caller far above 300 requests a minute; a run with any non-2xx answer is reported as failed.

Exit status: 0 when /healthz reaches 0.8x and /api/articles 0.5x the bare app's requests
per second, 1 when a target is missed or any request failed, 2 when it could not run (wrk or
nginx missing, a server that did not start or answered wrongly).
wrk: `sudo apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.nginx_local import (
    NginxNotAvailableError,
    die_with_parent,
    free_port,
    local_nginx,
    nginx_binary,
    stop_process,
)
from bench.processes import children_of

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENDPOINTS = ("/healthz", "/api/tags", "/api/articles")
# Minimum share of the bare app's requests per second.
TARGETS = {"/healthz": 0.8, "/api/articles": 0.5}
PAGE_SIZE = 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Keys the app writes to Redis (cache, rate limits, sessions, Celery's broker bookkeeping);
# the ones a --redis-url run added are removed at the end.
REDIS_KEY_PATTERNS = ("flaskproof:*", "LIMITS*", "session:*", "_kombu.*")

# wrk calls done() once at the end; one JSON line is easier to read back than its report.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p90": %d, "p99": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99)))
end
"""

EXTRA_ARTICLES_SNIPPET = """
import sys
from datetime import timedelta
from sqlalchemy import select
from demo import create_app
from demo.extensions import db
from demo.models import Article, User, utcnow
from tests.data.builders import make_article

wanted = int(sys.argv[1])
tags = ("flask", "python", "performance", "sqlalchemy", "testing", "caching", "gunicorn")
app = create_app()
with app.app_context():
    users = list(db.session.scalars(select(User).order_by(User.id)))
    have = db.session.scalar(select(db.func.count()).select_from(Article))
    number = 0
    while have < wanted:
        number += 1
        slug = f"bench-article-{number:03d}"
        if db.session.scalar(select(Article.id).where(Article.slug == slug)) is not None:
            continue
        make_article(
            users[number % len(users)],
            slug,
            tags=[tags[number % len(tags)], tags[(number + 3) % len(tags)]],
            favorited_by=users[: number % (len(users) + 1)],
            created_at=utcnow() - timedelta(hours=number),
        )
        have += 1
    db.session.commit()
    print(have)
"""


class BenchError(RuntimeError):
    """The benchmark could not run (a server did not start, an answer was wrong)."""


@dataclass(frozen=True)
class Target:
    """One server the load generator is pointed at."""

    name: str
    port: int
    cpu_pids: tuple[int, ...]  # the processes that do its work, for the CPU column


@dataclass(frozen=True)
class Sample:
    """One wrk run against one URL of one server."""

    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    failures: int
    server_cpu: float  # share of one core used by the server's processes
    client_cpu: float  # share of one core used by wrk


@dataclass(frozen=True)
class Summary:
    """The median of the rounds for one server and URL."""

    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    failures: int
    server_cpu: float
    client_cpu: float

    @property
    def cpu_per_request_us(self) -> float:
        """Server CPU time per answered request: unlike req/s, barely moved by other load."""
        return self.server_cpu / self.requests_per_second * 1e6


# --- processes -------------------------------------------------------------------------


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of these processes so far (utime and stime of /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET on loopback: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Poll /healthz until it answers 200; fail if the server dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"the server on port {port} exited with status {server.returncode}")
        with contextlib.suppress(OSError):
            if get(port, "/healthz")[0] == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"the server on port {port} did not become ready in {timeout:.0f}s")


@contextlib.contextmanager
def gunicorn(
    app: str, env: Mapping[str, str], log_path: Path
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`gunicorn -c gunicorn.conf.py <app>` on a free loopback port; stopped when done."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app]
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603
            command,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        try:
            wait_until_ready(port, server)
            yield port, server
        except Exception:
            # The server's last lines explain most failures; not on Ctrl-C or SIGTERM.
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
            raise
        finally:
            # SIGTERM is gunicorn's graceful shutdown; nginx_local escalates if it hangs.
            server.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=30)
            stop_process(server)


# --- the app's environment and data ----------------------------------------------------


def bench_environment(workdir: Path, database_url: str | None, redis_url: str | None) -> dict:
    """Production settings with throwaway secrets; embedded mode unless Redis is given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REDIS", "CELERY", "DATABASE", "GUNICORN", "FLASK", "RATELIMIT"))
    }
    env.update(
        FLASK_CONFIG="production",
        SECRET_KEY=secrets.token_hex(32),
        JWT_SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'bench.db'}",
        UPLOAD_FOLDER=str(workdir / "uploads"),
        EXPORT_FOLDER=str(workdir / "exports"),
        # The limiter still counts every request; only its ceiling is out of the way.
        RATELIMIT_API_DEFAULT="100000000 per minute",
        # As docker-compose.yml: one trusted proxy hop (nginx, when it is in front).
        PROXY_FIX_X_FOR="1",
        PROXY_FIX_X_PROTO="1",
        PYTHONPATH=str(ROOT),
    )
    if redis_url:
        env.update(REDIS_URL=redis_url, SOCKETIO_CHANNEL=f"bench-{uuid.uuid4().hex}")
    return env


def prepare_database(env: Mapping[str, str], articles: int) -> int:
    """Migrate, `flask seed`, then add articles up to `articles`; returns the article count."""

    def run(*command: str, **overrides: str) -> str:
        done = subprocess.run(  # noqa: S603
            command, env={**env, **overrides}, cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise BenchError(f"preparing the database failed:\n{done.stderr[-3000:]}")
        return done.stdout

    flask = str(BIN / "flask")
    run(flask, "--app", "demo.wsgi:app", "db", "upgrade")
    # `flask seed` refuses the production config (its users have known passwords), and the
    # data goes into the same database whichever config writes it. No Redis: nothing to share.
    seed_env = {"FLASK_CONFIG": "development", "REDIS_URL": ""}
    run(flask, "--app", "demo", "seed", **seed_env)
    output = run(sys.executable, "-c", EXTRA_ARTICLES_SNIPPET, str(articles), **seed_env)
    return int(output.strip().splitlines()[-1])


def fetch_bodies(port: int) -> dict[str, str]:
    """The app's answer to each measured URL; checks each is a 200 and the page is full."""
    bodies = {}
    for path in ENDPOINTS:
        status, body = get(port, path)
        if status != 200:
            raise BenchError(f"GET {path} answered {status}: {body[:300]!r}")
        bodies[path] = body.decode()
    listed = len(json.loads(bodies["/api/articles"])["articles"])
    if listed != PAGE_SIZE:
        raise BenchError(f"/api/articles lists {listed} articles, expected {PAGE_SIZE}")
    return bodies


@contextlib.contextmanager
def redis_cleanup(url: str | None) -> Iterator[None]:
    """Delete the keys this run added to the Redis database (its cache, limits, sessions)."""
    if not url:
        yield
        return
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise BenchError(f"Redis at {url} does not answer: {exc}") from exc

    def matching() -> set[bytes]:
        return {key for pattern in REDIS_KEY_PATTERNS for key in client.scan_iter(match=pattern)}

    before = matching()
    try:
        yield
    finally:
        added = matching() - before
        if added:
            client.delete(*added)
        client.close()


# --- load generation -------------------------------------------------------------------


def require_wrk() -> str:
    """The wrk executable, or a BenchError saying how to install it."""
    found = shutil.which("wrk")
    if not found:
        raise BenchError(
            "wrk is not installed. Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install "
            "wrk. (The benchmark needs a load generator that is not itself Python.)"
        )
    return found


def run_wrk(
    wrk: str,
    script: Path,
    target: Target,
    path: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
) -> Sample:
    """One wrk run; CPU shares are measured over the same wall-clock window."""
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds:g}s",
        "--timeout=10s",
        f"--script={script}",
        f"http://127.0.0.1:{target.port}{path}",
    ]
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(target.cpu_pids)
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    wall = time.monotonic() - started
    server_used = cpu_seconds(target.cpu_pids) - server_before
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    report = json.loads(
        next(line for line in reversed(result.stdout.splitlines()) if line.startswith("{"))
    )
    client_used = (client_after.ru_utime - client_before.ru_utime) + (
        client_after.ru_stime - client_before.ru_stime
    )
    errors = sum(report[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Sample(
        requests_per_second=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50"] / 1000,
        p90_ms=report["p90"] / 1000,
        p99_ms=report["p99"] / 1000,
        failures=errors,
        server_cpu=server_used / wall,
        client_cpu=client_used / wall,
    )


def summarize(samples: Sequence[Sample]) -> Summary:
    """Median of each figure over the rounds; failures are added up."""

    def median(name: str) -> float:
        return statistics.median(getattr(sample, name) for sample in samples)

    return Summary(
        requests_per_second=median("requests_per_second"),
        p50_ms=median("p50_ms"),
        p90_ms=median("p90_ms"),
        p99_ms=median("p99_ms"),
        failures=sum(sample.failures for sample in samples),
        server_cpu=median("server_cpu"),
        client_cpu=median("client_cpu"),
    )


def measure(
    targets: Sequence[Target], script: Path, args: argparse.Namespace
) -> dict[tuple[str, str], Summary]:
    """Warm every (server, URL) up, then run the rounds, interleaved; median per pair."""
    wrk = require_wrk()
    options = {"connections": args.connections, "threads": args.wrk_threads}
    for path in ENDPOINTS:
        for target in targets:
            run_wrk(wrk, script, target, path, seconds=args.warmup, **options)
    samples: dict[tuple[str, str], list[Sample]] = {}
    for number in range(1, args.rounds + 1):
        print(f"round {number}/{args.rounds} ...", file=sys.stderr, flush=True)
        for path in ENDPOINTS:
            for target in targets:
                sample = run_wrk(wrk, script, target, path, seconds=args.duration, **options)
                samples.setdefault((target.name, path), []).append(sample)
    return {key: summarize(runs) for key, runs in samples.items()}


# --- report ----------------------------------------------------------------------------


def print_report(
    results: Mapping[tuple[str, str], Summary], targets: Sequence[Target], header: str
) -> bool:
    """Print the tables (Markdown); True when every target is met and nothing failed."""
    print(header)
    print()
    print(
        "| URL | server | req/s | p50 ms | p90 ms | p99 ms | failed | server CPU "
        "| CPU µs/req | wrk CPU |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for path in ENDPOINTS:
        for target in targets:
            s = results[(target.name, path)]
            print(
                f"| {path} | {target.name} | {s.requests_per_second:,.0f} | {s.p50_ms:.2f} | "
                f"{s.p90_ms:.2f} | {s.p99_ms:.2f} | {s.failures} | {s.server_cpu:.0%} | "
                f"{s.cpu_per_request_us:,.0f} | {s.client_cpu:.0%} |"
            )
    print()
    print("| URL | app / bare req/s | target | met | bare / app CPU per request |")
    print("| --- | ---: | ---: | --- | ---: |")
    all_met = not any(summary.failures for summary in results.values())
    for path in ENDPOINTS:
        app, bare = results[("app", path)], results[("bare", path)]
        ratio = app.requests_per_second / bare.requests_per_second
        target = TARGETS.get(path)
        met = target is None or ratio >= target
        all_met &= met
        shown = f">= {target:.1f}x" if target else "-"
        verdict = "-" if target is None else ("yes" if met else "NO")
        cpu_ratio = bare.cpu_per_request_us / app.cpu_per_request_us
        print(f"| {path} | {ratio:.2f}x | {shown} | {verdict} | {cpu_ratio:.2f}x |")
    if any(target.name == "nginx+app" for target in targets):
        print()
        print("| URL | nginx+app / app req/s | p50 added (ms) | p99 added (ms) |")
        print("| --- | ---: | ---: | ---: |")
        for path in ENDPOINTS:
            direct, proxied = results[("app", path)], results[("nginx+app", path)]
            print(
                f"| {path} | {proxied.requests_per_second / direct.requests_per_second:.2f}x | "
                f"{proxied.p50_ms - direct.p50_ms:+.2f} | {proxied.p99_ms - direct.p99_ms:+.2f} |"
            )
    print()
    print(f"targets met: {'yes' if all_met else 'NO'}")
    return all_met


# --- the whole run ---------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Set everything up, measure, report; returns the exit status."""
    require_wrk()
    if args.through_nginx:
        nginx_binary()
    with (
        tempfile.TemporaryDirectory(prefix="flaskproof-throughput-") as tmp,
        redis_cleanup(args.redis_url),
        contextlib.ExitStack() as servers,
    ):
        workdir = Path(tmp)
        env = bench_environment(workdir, args.database_url, args.redis_url)
        count = prepare_database(env, args.articles)
        app_port, app_server = servers.enter_context(
            gunicorn("demo.wsgi:app", env, workdir / "app.log")
        )
        bodies = fetch_bodies(app_port)
        bodies_file = workdir / "bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        bare_env = {**env, "BENCH_BODIES": str(bodies_file)}
        bare_port, bare_server = servers.enter_context(
            gunicorn("bench.bare_app:app", bare_env, workdir / "bare.log")
        )
        for path, body in bodies.items():
            if get(bare_port, path) != (200, body.encode()):
                raise BenchError(f"the bare app's answer to {path} differs from the app's")
        targets = [
            Target("bare", bare_port, tuple(children_of(bare_server.pid))),
            Target("app", app_port, tuple(children_of(app_server.pid))),
        ]
        if args.through_nginx:
            nginx = servers.enter_context(local_nginx([f"127.0.0.1:{app_port}"]))
            # Its workers, plus the app's worker behind them.
            pids = (*children_of(nginx.process.pid), *children_of(app_server.pid))
            targets.append(Target("nginx+app", nginx.port, pids))
        script = workdir / "report.lua"
        script.write_text(WRK_REPORT)
        load_before = os.getloadavg()[0]
        results = measure(targets, script, args)
        header = (
            f"flaskproof throughput: {os.cpu_count()} CPUs, load average "
            f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after; "
            f"gunicorn.conf.py (1 gthread worker, 32 threads); "
            f"database {'SQLite file' if not args.database_url else 'PostgreSQL'}, "
            f"cache {'Redis' if args.redis_url else 'in-process'}, {count} articles; "
            f"wrk {args.wrk_threads} thread, {args.connections} connections, "
            f"{args.warmup:g}s warm-up, {args.rounds} x {args.duration:g}s rounds (median)"
        )
        return 0 if print_report(results, targets, header) else 1


def main() -> int:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per URL")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs per server and URL")
    parser.add_argument("--connections", type=int, default=16, help="wrk keep-alive connections")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--articles", type=int, default=40, help="articles in the database")
    parser.add_argument("--database-url", help="a PRIVATE database (default: temp SQLite)")
    parser.add_argument("--redis-url", help="Redis for cache, limits, sessions (e.g. db 14)")
    parser.add_argument(
        "--through-nginx", action="store_true", help="also measure through nginx/nginx.conf"
    )
    args = parser.parse_args()
    # A plain `kill` should stop the servers too: turn SIGTERM into an exit that unwinds.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run(args)
    except (BenchError, NginxNotAvailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
