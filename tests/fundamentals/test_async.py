"""Async views: awaits overlap inside one request, and the request's loop ends with it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from demo.fundamentals import async_views
from demo.fundamentals.async_views import handshake

SHORT_TIMEOUT = 0.05  # only ever waited out by the deliberately sequential case


@pytest.mark.answers("Q124")
def test_async_view_runs_its_coroutines_concurrently(client):
    """Two coroutines that each wait for the other both finish: gather ran them together."""
    response = client.get("/async/handshake")
    assert response.status_code == 200
    assert response.get_json() == {"mode": "gather", "completed": True}


@pytest.mark.answers("Q124")
def test_awaiting_one_at_a_time_deadlocks_the_same_coroutines():
    """The control case: awaited in turn, the first waits for a partner that never starts."""
    asyncio.run(handshake(concurrently=True, timeout=SHORT_TIMEOUT))
    with pytest.raises(TimeoutError):
        asyncio.run(handshake(concurrently=False, timeout=SHORT_TIMEOUT))


@pytest.mark.answers("Q124")
def test_sequential_mode_answers_504_instead_of_hanging(client, monkeypatch):
    """The view turns the deadlock into a 504 error in the project's JSON error shape."""
    monkeypatch.setattr(async_views, "HANDSHAKE_TIMEOUT", SHORT_TIMEOUT)
    response = client.get(
        "/async/handshake?mode=sequential", headers={"Accept": "application/json"}
    )
    assert response.status_code == 504
    assert "one at a time" in response.get_json()["errors"]["body"][0]


@pytest.mark.answers("Q124")
def test_task_spawned_in_an_async_view_is_cancelled_with_the_request(client, caplog):
    """Fire-and-forget work dies when the view returns: the per-request event loop is closed."""
    caplog.set_level(logging.INFO, logger="demo.async")
    response = client.post("/async/fire-and-forget")

    assert response.status_code == 202
    assert response.get_json() == {"accepted": True, "job_done": False}
    assert [r.getMessage() for r in caplog.records if r.name == "demo.async"] == [
        "welcome email cancelled: the request's event loop closed"
    ]
