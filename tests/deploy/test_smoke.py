"""docker-compose.yml run for real without Docker, checked through nginx only (Q105, Q109,
Q111, Q112, Q113).

The module starts the stack once (scripts/smoke/stack.py): web-1 and web-2 (gunicorn with
gunicorn.conf.py, through docker/entrypoint.sh), the Celery worker and beat, and nginx with
nginx/nginx.conf rewritten only for loopback ports and paths, on the local PostgreSQL (a
fresh `flaskproof_smoke` database) and Redis (database 13). Each test runs one of the checks
`make smoke` runs. Missing nginx, PostgreSQL or Redis fails the tests; nothing skips.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.smoke.checks import (
    check_api,
    check_client_address,
    check_pages,
    check_processes_alive,
    check_readiness,
    check_request_id,
    check_static_files,
    check_sticky_balancing,
    check_upload_limits,
    check_worker_pushes_over_websocket,
)
from scripts.smoke.session import Session
from scripts.smoke.stack import compose_stack

pytestmark = pytest.mark.answers("Q105", "Q109")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The compose stack behind nginx, up for the module, then stopped and its database dropped."""
    with compose_stack(tmp_path_factory.mktemp("smoke")) as stack:
        session = Session(stack)
        try:
            yield session
        finally:
            session.close()


@pytest.mark.answers("Q112")
def test_pages_answer_through_nginx_gzipped(smoke):
    """GET / and the login page answer 200 HTML through nginx, which gzips the page."""
    check_pages(smoke)


@pytest.mark.answers("Q111", "Q113")
def test_api_registers_and_logs_in_through_nginx(smoke):
    """/api/tags and /api/articles answer; an account registered via the API logs in and is used."""
    check_api(smoke)


def test_readyz_sees_the_database_and_redis(smoke):
    """/readyz through nginx is 200 with the database and Redis both ok."""
    check_readiness(smoke)


@pytest.mark.answers("Q112")
def test_nginx_serves_static_files_with_cache_headers_without_gunicorn(smoke):
    """/static/ is nginx's: an hour, or a year and immutable when fingerprinted; no app log line."""
    check_static_files(smoke)


@pytest.mark.answers("Q112")
def test_upload_just_under_the_body_limit_passes_and_one_over_is_refused_by_nginx(smoke):
    """Under client_max_body_size (= MAX_CONTENT_LENGTH): 201; one byte over: nginx's own 413."""
    check_upload_limits(smoke)


@pytest.mark.answers("Q111", "Q112")
def test_request_id_comes_back_and_is_in_every_log(smoke):
    """A sent X-Request-ID is echoed and logged by app, gunicorn and nginx; else nginx mints one."""
    check_request_id(smoke)


@pytest.mark.answers("Q112", "Q113")
def test_the_app_sees_the_client_address_nginx_forwarded(smoke):
    """From 127.0.0.5 the app sees 127.0.0.5 (ProxyFix, one hop), even with a forged header."""
    check_client_address(smoke)


@pytest.mark.answers("Q112")
def test_both_web_processes_serve_and_each_client_sticks_to_one(smoke):
    """Requests from many addresses reach web-1 and web-2; each address always the same one."""
    check_sticky_balancing(smoke)


@pytest.mark.answers("Q111", "Q112")
def test_socketio_over_nginx_websocket_receives_the_workers_progress(smoke):
    """A WebSocket-only client through nginx gets the export progress the Celery worker pushes."""
    check_worker_pushes_over_websocket(smoke)


def test_every_process_is_still_running(smoke):
    """After all of that, web-1, web-2, the worker and beat are alive, and beat has started."""
    check_processes_alive(smoke)
