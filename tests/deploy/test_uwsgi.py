"""uwsgi.ini really serves the app: uWSGI (pyuwsgi, a dev dependency) is started for real (Q171).

The test runs `uwsgi --ini uwsgi.ini` with only `PORT` changed, in production configuration
against a throwaway SQLite database, and talks to it over HTTP. A missing uwsgi binary or a
server that never answers fails the test; nothing here skips.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests

from tests.deploy.servers import free_port, live_server, production_env

UWSGI = Path(sys.executable).parent / "uwsgi"


@pytest.mark.answers("Q092", "Q171")
def test_uwsgi_ini_serves_the_app_and_stops_on_sigterm(tmp_path):
    """Under uWSGI the full app answers (probes, request ids, database, Socket.IO polling)."""
    assert os.access(UWSGI, os.X_OK), f"{UWSGI} is missing: `uv sync` installs pyuwsgi"
    port = free_port()
    env = production_env(tmp_path, PORT=str(port))
    with live_server([str(UWSGI), "--ini", "uwsgi.ini"], env, port, tmp_path) as server:
        health = requests.get(f"{server.url}/healthz", headers={"X-Request-ID": "uw-1"}, timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        # The app's own middleware ran: its request id came back.
        assert health.headers["X-Request-ID"] == "uw-1"

        ready = requests.get(f"{server.url}/readyz", timeout=5)
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok"}

        # uWSGI writes no Date of its own, so the app's (Werkzeug's send_file) is the one.
        static = requests.get(f"{server.url}/static/site.css", timeout=5)
        assert static.status_code == 200
        assert len(static.raw.headers.getlist("Date")) == 1

        # The Engine.IO handshake over long-polling, the transport uWSGI can serve here.
        handshake = requests.get(
            f"{server.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=5
        )
        assert handshake.status_code == 200
        assert handshake.text.startswith('0{"sid":')

        # die-on-term: SIGTERM stops uWSGI (instead of its historical "reload").
        assert server.stop(timeout=30) == 0, server.log()
