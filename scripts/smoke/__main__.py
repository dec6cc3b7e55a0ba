"""`python -m scripts.smoke [--port N]`: bring the deployment up, check it, tear it down.

Without --port: docker-compose.yml's web-1, web-2, worker and beat behind nginx. With --port
(`make smoke PORT=N`): the Procfile's release phase, then its web process on $PORT.
Exit status 0 when every check passed; on failure the logs are kept and their folder named.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from bench.nginx_local import NginxConfigError, NginxNotAvailableError
from scripts.smoke.backing import DEFAULT_DATABASE_SERVER, DEFAULT_REDIS_URL
from scripts.smoke.checks import COMPOSE_CHECKS, PROCFILE_CHECKS, run_checks
from scripts.smoke.compose import ComposeError
from scripts.smoke.processes import SmokeError
from scripts.smoke.session import Session
from scripts.smoke.stack import compose_stack, procfile_stack


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwinds through every `with` block, so what was started is stopped and dropped.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the smoke test; 0 when it passed."""
    parser = argparse.ArgumentParser(prog="python -m scripts.smoke", description=__doc__)
    parser.add_argument("--port", type=int, help="run the Procfile's web process on this port")
    parser.add_argument("--database-server", default=DEFAULT_DATABASE_SERVER)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep", action="store_true", help="keep the logs even on success")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    workdir = Path(tempfile.mkdtemp(prefix="flaskproof-smoke-"))
    started = time.monotonic()
    mode = f"Procfile web on PORT={args.port}" if args.port else "docker-compose.yml behind nginx"
    print(f"smoke: {mode}", flush=True)
    try:
        if args.port:
            stack = procfile_stack(workdir, args.port, args.database_server, args.redis_url)
            checks = PROCFILE_CHECKS
        else:
            stack = compose_stack(workdir, args.database_server, args.redis_url)
            checks = COMPOSE_CHECKS
        with stack as running:
            print(f"smoke: up at {running.url} ({time.monotonic() - started:.1f}s)", flush=True)
            session = Session(running)
            try:
                run_checks(session, checks, lambda line: print(line, flush=True))
            finally:
                session.close()
    except (SmokeError, ComposeError, NginxConfigError, NginxNotAvailableError) as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        print(f"smoke: logs kept in {workdir}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, SystemExit) as stop:
        # Everything started was stopped on the way out of the `with` block.
        print(f"smoke: interrupted, everything stopped; logs kept in {workdir}", file=sys.stderr)
        return stop.code if isinstance(stop, SystemExit) and isinstance(stop.code, int) else 130
    print(f"smoke: passed, everything stopped ({time.monotonic() - started:.1f}s)")
    if args.keep:
        print(f"smoke: logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
