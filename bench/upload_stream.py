"""Stream a 200 MiB upload to the app under gunicorn; print throughput and memory growth (Q100).

What it does, all on loopback in a temporary directory:

1. builds a production-like environment (FLASK_CONFIG=production, fresh strong secrets, a
   SQLite file, its own UPLOAD_FOLDER), runs `flask db upgrade`, and creates one user and an
   access token with a small Python snippet;
2. starts `gunicorn -w 1 -b 127.0.0.1:<port> demo.wsgi:app` and finds its worker process
   (the master's child, read from /proc);
3. warms the worker up with a small upload, resets the worker's peak-RSS counter
   (`/proc/<pid>/clear_refs`), then sends the large file to POST /api/uploads/stream with
   `http.client`, 1 MiB at a time, under a Content-Length header;
4. reads the worker's VmRSS before and VmHWM (peak resident set) after from
   /proc/<pid>/status, checks the SHA-256 the server returns, and prints the figures.

Exit status 0 when the peak growth is under the target (32 MiB), 1 otherwise.

    .venv/bin/python bench/upload_stream.py
    .venv/bin/python bench/upload_stream.py --size-mib 50 --target-mib 32
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script: `python bench/upload_stream.py`

from bench.processes import children_of  # noqa: E402

BIN = Path(sys.executable).parent
MIB = 1024 * 1024

CREATE_USER_SNIPPET = """
import secrets
from flask_jwt_extended import create_access_token
from demo import create_app
from demo.auth.passwords import hash_password
from demo.extensions import db
from demo.models import User

app = create_app()
with app.app_context():
    user = User(username="bench", email="bench@example.test",
                password_hash=hash_password(secrets.token_urlsafe(16)))
    db.session.add(user)
    db.session.commit()
    print(create_access_token(identity=user))
"""


@dataclass(frozen=True)
class Memory:
    """Resident set now and its peak since the counter was last reset, in KiB."""

    rss_kib: int
    hwm_kib: int


def read_memory(pid: int) -> Memory:
    """VmRSS and VmHWM from /proc/<pid>/status (psutil is not needed for two numbers)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return Memory(rss_kib=fields["VmRSS"], hwm_kib=fields["VmHWM"])


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def free_port() -> int:
    """A port the kernel just handed out on loopback (released for gunicorn to bind)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_environment(workdir: Path, size: int) -> dict[str, str]:
    """Production settings with throwaway secrets, a SQLite file and a private upload folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "CELERY"))}
    env.update(
        FLASK_CONFIG="production",
        SECRET_KEY=secrets.token_hex(32),
        JWT_SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        UPLOAD_FOLDER=str(workdir / "uploads"),
        UPLOAD_STREAM_MAX_BYTES=str(size + MIB),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def make_payload(path: Path, size: int) -> str:
    """Write a `size`-byte file with a PDF signature and random content; return its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        head = b"%PDF-1.7\n"
        out.write(head)
        digest.update(head)
        remaining = size - len(head)
        while remaining:
            block = os.urandom(min(MIB, remaining))
            out.write(block)
            digest.update(block)
            remaining -= len(block)
    return digest.hexdigest()


def wait_until_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll /healthz until it answers 200, or fail if gunicorn dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not become ready in time")


def upload(port: int, token: str, path: Path, chunk_size: int) -> tuple[float, int, dict]:
    """Stream the file as the request body; return (seconds, status, JSON answer)."""
    size = path.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.putrequest("POST", f"/api/uploads/stream?filename={path.name}")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    with path.open("rb") as body:
        while chunk := body.read(chunk_size):
            conn.send(chunk)
    response = conn.getresponse()
    answer = json.loads(response.read() or b"{}")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, response.status, answer


def run(size_mib: int, chunk_kib: int, target_mib: float) -> int:
    """The whole benchmark; returns the process exit status."""
    size = size_mib * MIB
    with tempfile.TemporaryDirectory(prefix="flaskproof-bench-") as tmp:
        workdir = Path(tmp)
        env = bench_environment(workdir, size)
        flask_db = [str(BIN / "flask"), "--app", "demo.wsgi:app", "db", "upgrade"]
        subprocess.run(flask_db, env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
        token = subprocess.run(  # noqa: S603
            [sys.executable, "-c", CREATE_USER_SNIPPET],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

        payload = workdir / "bench.pdf"
        expected_sha256 = make_payload(payload, size)
        warmup = workdir / "warmup.pdf"
        make_payload(warmup, 64 * 1024)

        port = free_port()
        log_path = workdir / "gunicorn.log"
        command = [
            str(BIN / "gunicorn"),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "600",
            "demo.wsgi:app",
        ]
        with log_path.open("wb") as log:
            server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
            try:
                wait_until_ready(port, server)
                [worker] = children_of(server.pid)
                warm_status = upload(port, token, warmup, chunk_kib * 1024)[1]
                if warm_status != 201:
                    raise RuntimeError(f"warm-up upload answered {warm_status}")
                peak_was_reset = reset_peak(worker)
                before = read_memory(worker)
                elapsed, status, answer = upload(port, token, payload, chunk_kib * 1024)
                after = read_memory(worker)
            except Exception:
                sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
                raise
            finally:
                server.terminate()
                server.wait(timeout=30)

        stored = answer.get("upload", {})
        growth_mib = (after.hwm_kib - before.rss_kib) / 1024
        print(f"upload:          {size_mib} MiB in {chunk_kib} KiB chunks, HTTP {status}")
        print(f"time:            {elapsed:.2f} s")
        print(f"throughput:      {size_mib / elapsed:.1f} MiB/s")
        print(f"sha256 matches:  {stored.get('sha256') == expected_sha256}")
        print(
            f"worker RSS:      {before.rss_kib / 1024:.1f} MiB before, "
            f"{after.rss_kib / 1024:.1f} MiB after"
        )
        print(
            f"peak (VmHWM):    {after.hwm_kib / 1024:.1f} MiB"
            + ("" if peak_was_reset else " (peak counter could not be reset: upper bound)")
        )
        print(f"peak growth:     {growth_mib:.1f} MiB (target < {target_mib:g} MiB)")
        met = status == 201 and stored.get("sha256") == expected_sha256 and growth_mib < target_mib
        print(f"target met:      {'yes' if met else 'NO'}")
        return 0 if met else 1


def main() -> int:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200, help="upload size (MiB)")
    parser.add_argument("--chunk-kib", type=int, default=1024, help="client send size (KiB)")
    parser.add_argument("--target-mib", type=float, default=32, help="allowed peak growth")
    args = parser.parse_args()
    return run(args.size_mib, args.chunk_kib, args.target_mib)


if __name__ == "__main__":
    sys.exit(main())
