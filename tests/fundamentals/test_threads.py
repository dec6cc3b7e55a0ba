"""Context-locals under real threads, and an operation that stays correct under contention."""

from __future__ import annotations

import threading

import pytest
from flask import g, has_app_context, request
from werkzeug.local import LocalProxy

from demo import create_app
from demo.fundamentals.contexts import HitCounter

# Long enough never to fire on a slow CI runner, short enough that a broken test ends.
BARRIER_TIMEOUT = 10


def run_in_threads(count: int, target, *args) -> None:
    """Start `count` threads on `target(index, *args)` and wait for all of them."""
    threads = [threading.Thread(target=target, args=(index, *args)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.answers("Q037", "Q129")
def test_concurrent_requests_each_see_their_own_g_and_request():
    """Two requests in flight at once on two threads: each reads back only its own values."""
    app = create_app("testing")
    both_in_flight = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    seen = {}

    @app.after_request
    def rendezvous(response):
        # Both views have already written g.caller; if g were one shared object, the
        # second write would have replaced the first and one thread would read it here.
        both_in_flight.wait()
        seen[request.args["name"]] = {
            "g": g.caller.name,
            "request": id(request._get_current_object()),
            "thread": threading.get_ident(),
        }
        return response

    names = ["alice", "bob"]
    greetings = {}

    def call(index: int) -> None:
        response = app.test_client().get(f"/contexts/whoami?name={names[index]}")
        greetings[names[index]] = response.get_json()["greeting"]

    run_in_threads(2, call)
    assert greetings == {"alice": "Hello, alice!", "bob": "Hello, bob!"}
    assert seen["alice"]["g"] == "alice"
    assert seen["bob"]["g"] == "bob"
    assert seen["alice"]["request"] != seen["bob"]["request"]
    assert seen["alice"]["thread"] != seen["bob"]["thread"]


@pytest.mark.answers("Q037", "Q129")
def test_flask_globals_are_proxies_to_the_current_context(app):
    """`request`, `g`, `current_app` are LocalProxy objects; a new thread sees no context."""
    assert isinstance(request, LocalProxy)
    assert isinstance(g, LocalProxy)
    assert has_app_context()  # the `app` fixture pushed one in this thread
    in_new_thread = {}

    def look() -> None:
        in_new_thread["has_app_context"] = has_app_context()

    worker = threading.Thread(target=look)
    worker.start()
    worker.join(BARRIER_TIMEOUT)
    assert in_new_thread == {"has_app_context": False}


@pytest.mark.answers("Q037", "Q129")
def test_background_thread_needs_the_request_context_copied(client):
    """A plain thread started by a view has no request; `copy_current_request_context` gives one."""
    response = client.get("/contexts/background?name=ada")
    assert response.get_json() == {
        "plain_has_request": False,
        "copied_has_request": True,
        "copied_sees_name": "ada",
    }


@pytest.mark.answers("Q128")
def test_locked_counter_loses_no_increment_under_contention():
    """8 threads x 2,000 increments at once: exact total, and every value handed out once."""
    counter = HitCounter()
    threads, per_thread = 8, 2000
    start = threading.Barrier(threads, timeout=BARRIER_TIMEOUT)
    handed_out: list[list[int]] = [[] for _ in range(threads)]

    def hammer(index: int) -> None:
        start.wait()
        handed_out[index].extend(counter.increment() for _ in range(per_thread))

    run_in_threads(threads, hammer)
    total = threads * per_thread
    assert counter.value == total
    assert sorted(value for values in handed_out for value in values) == list(range(1, total + 1))


@pytest.mark.answers("Q128")
def test_unlocked_read_modify_write_can_lose_an_update():
    """The race the lock prevents: two threads read, then both write, and one update is lost."""
    shared = {"hits": 0}
    both_have_read = threading.Barrier(2, timeout=BARRIER_TIMEOUT)

    def unsafe_increment(index: int) -> None:
        current = shared["hits"]  # read
        both_have_read.wait()  # force the unlucky interleaving deterministically
        shared["hits"] = current + 1  # write back a stale value + 1

    run_in_threads(2, unsafe_increment)
    assert shared["hits"] == 1  # two increments ran; one was lost


@pytest.mark.answers("Q128", "Q129")
def test_hits_endpoint_counts_every_concurrent_request():
    """Concurrent POSTs through the app all count; each app built by the factory starts at 0."""
    app = create_app("testing")
    threads, per_thread = 4, 25
    start = threading.Barrier(threads, timeout=BARRIER_TIMEOUT)

    statuses: list[int] = []

    def post_hits(index: int) -> None:
        client = app.test_client()
        start.wait()
        statuses.extend(client.post("/contexts/hits").status_code for _ in range(per_thread))

    run_in_threads(threads, post_hits)
    assert statuses == [200] * threads * per_thread
    assert app.test_client().get("/contexts/hits").get_json() == {"hits": threads * per_thread}
    assert create_app("testing").test_client().get("/contexts/hits").get_json() == {"hits": 0}
