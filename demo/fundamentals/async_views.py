"""Async views under /async/ (Q124): concurrent awaits inside one request, and their limits.

Flask runs an `async def` view through asgiref's `async_to_sync`. Under a WSGI server that
starts an event loop for this one call (on a helper thread) while the worker thread waits.
Inside the view, awaits started together overlap; but the request holds its worker thread
until the coroutine returns, and the loop, with every task it spawned, is closed when the
view returns. (Behind `demo.asgi` the coroutine runs on the server's loop instead, so such
a task lives on, yet nothing tracks or retries it.) Work that must outlive the request
belongs in a task queue.
"""

from __future__ import annotations

import asyncio
import logging

from flask import Blueprint, Response, abort, jsonify, request

from demo.errors import error_response
from demo.fundamentals import bp

async_views = Blueprint("async_views", __name__, url_prefix="/async")
bp.register_blueprint(async_views)

# Seconds each side waits for its partner; only the sequential mode ever waits this long.
HANDSHAKE_TIMEOUT = 1.0
# Stands in for slow I/O (sending an email, calling a webhook) in the fire-and-forget demo.
BACKGROUND_JOB_SECONDS = 5.0
job_log = logging.getLogger("demo.async")


async def meet(mine: asyncio.Event, theirs: asyncio.Event, timeout: float) -> None:
    """Announce arrival, then wait for the partner: finishes only if the partner runs too."""
    mine.set()
    await asyncio.wait_for(theirs.wait(), timeout)


async def handshake(*, concurrently: bool, timeout: float) -> None:
    """Two coroutines that each need the other: `gather` completes, one-at-a-time deadlocks.

    In real code the two would be independent I/O calls (two HTTP APIs, a query and a cache
    read); the mutual wait makes overlap provable without measuring time.
    """
    first, second = asyncio.Event(), asyncio.Event()
    if concurrently:
        await asyncio.gather(meet(first, second, timeout), meet(second, first, timeout))
    else:
        await meet(first, second, timeout)  # nothing can set `second` while this waits
        await meet(second, first, timeout)


@async_views.get("/handshake")
async def handshake_view() -> Response:
    """`?mode=gather` (default) answers at once; `?mode=sequential` times out with 504."""
    mode = request.args.get("mode", "gather")
    if mode not in {"gather", "sequential"}:
        abort(400, description="mode must be 'gather' or 'sequential'.")
    try:
        await handshake(concurrently=mode == "gather", timeout=HANDSHAKE_TIMEOUT)
    except TimeoutError:
        return error_response(
            504, f"Awaited one at a time, each coroutine waited {HANDSHAKE_TIMEOUT}s for the other."
        )
    return jsonify(mode=mode, completed=True)


async def send_welcome_email(started: asyncio.Event) -> None:
    """A slow job, logging whether it finished or was cancelled."""
    started.set()
    try:
        await asyncio.sleep(BACKGROUND_JOB_SECONDS)
    except asyncio.CancelledError:
        job_log.warning("welcome email cancelled: the request's event loop closed")
        raise
    job_log.info("welcome email sent")


@async_views.post("/fire-and-forget")
async def fire_and_forget() -> tuple[Response, int]:
    """Anti-pattern, shown on purpose: a task spawned in a view dies with the request's loop."""
    started = asyncio.Event()
    job = asyncio.create_task(send_welcome_email(started))
    await started.wait()
    return jsonify(accepted=True, job_done=job.done()), 202
