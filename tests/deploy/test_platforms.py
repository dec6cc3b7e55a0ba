"""What container platforms (Cloud Run, App Service, Container Apps) expect, tried for real (Q169).

Such platforms start the image's command with `PORT` set, put their own HTTPS front end in
front (which sets X-Forwarded-For and X-Forwarded-Proto), and send SIGTERM with a short
grace period (10 s on Cloud Run) before they kill the instance. The test runs the image's
command, `gunicorn -c gunicorn.conf.py demo.wsgi:app`, the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from tests.deploy.servers import free_port, live_server, production_env

GUNICORN = Path(sys.executable).parent / "gunicorn"
CLOUD_RUN_GRACE_SECONDS = 10


@pytest.mark.answers("Q092", "Q169")
def test_gunicorn_binds_the_platform_port_trusts_its_front_end_and_stops_on_sigterm(tmp_path):
    """With only PORT and PROXY_FIX_* set, the app serves, sees https and the client, exits fast."""
    port = free_port()
    env = production_env(tmp_path, PORT=str(port), PROXY_FIX_X_FOR="1", PROXY_FIX_X_PROTO="1")
    argv = [str(GUNICORN), "-c", "gunicorn.conf.py", "demo.wsgi:app"]
    with live_server(argv, env, port, tmp_path) as server:
        seen = requests.get(
            f"{server.url}/hooks/client",
            headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"},
            timeout=5,
        )
        assert seen.status_code == 200
        assert seen.json()["scheme"] == "https"
        assert seen.json()["remote_addr"] == "198.51.100.7"
        assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 200
        # gunicorn replaces the app's Date (send_file's here) with its own: one, not two.
        static = requests.get(f"{server.url}/static/site.css", timeout=5)
        assert static.status_code == 200
        assert len(static.raw.headers.getlist("Date")) == 1

        assert server.stop(timeout=CLOUD_RUN_GRACE_SECONDS) == 0, server.log()
