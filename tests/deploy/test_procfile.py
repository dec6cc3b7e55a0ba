"""The Procfile run the way Heroku runs it: release phase, then `web` on $PORT (Q107).

`make smoke PORT=...` runs the same (scripts/smoke/stack.py:procfile_stack): the `release`
line (`flask db upgrade`) against a fresh PostgreSQL database given as a Heroku-style
postgres:// URL, then the `web` line through a shell with PORT set, production config and
the proxy settings a Heroku app needs. Missing PostgreSQL or Redis fails the test.
"""

from __future__ import annotations

import pytest

from scripts.smoke.checks import check_procfile_web
from scripts.smoke.processes import free_port
from scripts.smoke.session import Session
from scripts.smoke.stack import procfile_stack


@pytest.mark.answers("Q107", "Q111")
def test_procfile_release_migrates_and_web_serves_on_port(tmp_path):
    """`release` migrates; `web` binds 0.0.0.0:$PORT and answers /healthz, /readyz and the API."""
    with procfile_stack(tmp_path, free_port()) as stack:
        session = Session(stack)
        try:
            check_procfile_web(session)
        finally:
            session.close()
