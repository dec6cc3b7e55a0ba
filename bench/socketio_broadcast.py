"""Broadcast latency across two Socket.IO server processes that share Redis (Q110).

Starts two app servers (gunicorn, one gthread worker each, by default) and connects N
python-socketio clients, spread evenly over both servers and over a few client processes,
to one /chat room. Two sender clients, one per server, take turns posting messages that
carry the monotonic time they were emitted; every receiver records emit-to-receipt latency.
A message posted on one server reaches the other server's clients through the Redis
pub/sub channel, so half of the samples cross processes. (CLOCK_MONOTONIC is one clock for
every process of a Linux machine, so times taken in different processes compare.)

    .venv/bin/python bench/socketio_broadcast.py              # 200 clients, 200 messages
    .venv/bin/python bench/socketio_broadcast.py --clients 50 --messages 50 --server dev

Runs on loopback only and is bounded in clients, messages and time; needs the local Redis
(TEST_REDIS_URL, default db 15; its keys are prefixed per run and deleted after). Target:
p99 below 100 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.queues import Queue
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.websockets.live import Deployment  # noqa: E402  (light: no app import)

ROOM = "bench-room"
TARGET_P99_MS = 100.0
DEADLINE_SECONDS = 60.0

Target = tuple[str, str]  # (server name, URL)


def percentile(values: list[int], fraction: float) -> float:
    """The `fraction` quantile in milliseconds (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] / 1e6


def prepare(deployment: Deployment) -> str:
    """Schema, one member with the room's article, and the token every client uses."""
    # Imported here: the client processes re-import this module and need none of the app.
    from demo import create_app
    from demo.extensions import db
    from tests.websockets.conftest import access_token, create_article, create_member

    setup = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=deployment.database_url,
        JWT_SECRET_KEY=deployment.jwt_secret_key,
        LOG_LEVEL="WARNING",
    )
    with setup.app_context():
        db.create_all()
        member = create_member("bench")
        create_article(member, ROOM)
        token = access_token(member)
        db.session.remove()
        db.engine.dispose()
    return token


def join(
    target: Target, token: str, on_message: Callable[[dict], None] | None = None
) -> socketio.Client:
    """A client connected to one server over WebSocket, in the room."""
    client = socketio.Client(reconnection=False)
    if on_message is not None:
        client.on("message", on_message, namespace="/chat")
    client.connect(
        target[1],
        namespaces=["/chat"],
        transports=["websocket"],
        auth={"token": token},
        wait_timeout=30,
    )
    ack = client.call("join", {"slug": ROOM}, namespace="/chat", timeout=30)
    if not ack.get("ok"):
        raise RuntimeError(f"could not join {ROOM}: {ack}")
    return client


def receive(targets: list[Target], token: str, expected: int, ready: Queue, results: Queue) -> None:
    """Client process: connect `targets`, report ready, collect latencies, send them back."""
    same: list[int] = []
    cross: list[int] = []
    arrived = threading.Condition()

    def recorder(server_name: str) -> Callable[[dict], None]:
        def on_message(message: dict) -> None:
            received = time.monotonic_ns()
            origin, sent = message["text"].split(":")
            with arrived:
                (same if origin == server_name else cross).append(received - int(sent))
                arrived.notify_all()

        return on_message

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda t: join(t, token, recorder(t[0])), targets))
    ready.put(len(clients))
    with arrived:
        arrived.wait_for(lambda: len(same) + len(cross) >= expected, timeout=DEADLINE_SECONDS)
    results.put((same, cross))
    for client in clients:
        client.disconnect()


def run(args: argparse.Namespace) -> int:
    per_server = args.clients // 2
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="socketio-bench-") as workdir:
        deployment = Deployment(
            Path(workdir),
            f"sqlite:///{workdir}/bench.db",
            gunicorn_threads=per_server + 32,  # one thread per open WebSocket, plus HTTP
        )
        token = prepare(deployment)
        receivers: list = []
        senders: dict[str, socketio.Client] = {}
        same: list[int] = []
        cross: list[int] = []
        try:
            started = time.monotonic()
            servers = deployment.start({"a": args.server, "b": args.server})
            print(f"2 servers ({args.server}) ready in {time.monotonic() - started:.1f}s")
            targets = [(s.name, s.url) for s in (servers["a"], servers["b"])] * per_server
            groups = [targets[i :: args.processes] for i in range(args.processes)]
            ready, results = context.Queue(), context.Queue()
            started = time.monotonic()
            for group in groups:
                expected = len(group) * args.messages
                process = context.Process(
                    target=receive, args=(group, token, expected, ready, results), daemon=True
                )
                process.start()
                receivers.append(process)
            connected = sum(ready.get(timeout=DEADLINE_SECONDS) for _ in groups)
            senders = {name: join((name, s.url), token) for name, s in servers.items()}
            deployment.wait_for_subscribers(2)
            print(
                f"{connected} receiving clients in {len(groups)} processes (+2 senders) "
                f"connected and joined in {time.monotonic() - started:.1f}s"
            )

            interval = 1 / args.rate
            started = time.monotonic()
            for seq in range(args.messages):
                origin = "a" if seq % 2 == 0 else "b"
                text = f"{origin}:{time.monotonic_ns()}"
                senders[origin].emit("message", {"slug": ROOM, "text": text}, namespace="/chat")
                # Pacing the load generator: this sleep is its clock, not a wait for a result.
                time.sleep(max(0.0, started + (seq + 1) * interval - time.monotonic()))
            for _ in groups:
                group_same, group_cross = results.get(timeout=DEADLINE_SECONDS)
                same += group_same
                cross += group_cross
            elapsed = time.monotonic() - started
        finally:
            for client in senders.values():
                client.disconnect()
            for process in receivers:
                process.join(timeout=10)
                if process.is_alive():
                    process.terminate()
            deployment.stop()

    everything = same + cross
    expected_total = args.messages * connected
    print(
        f"{args.messages} broadcasts at {args.rate:g}/s x {connected} clients: "
        f"{len(everything)}/{expected_total} deliveries in {elapsed:.1f}s "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    if not everything:
        return 1
    for label, values in (("all", everything), ("same server", same), ("via Redis", cross)):
        if values:
            print(
                f"  {label:<12} p50 {percentile(values, 0.50):7.2f} ms   "
                f"p90 {percentile(values, 0.90):7.2f} ms   "
                f"p99 {percentile(values, 0.99):7.2f} ms   "
                f"max {max(values) / 1e6:7.2f} ms   mean {statistics.fmean(values) / 1e6:7.2f} ms"
            )
    p99 = percentile(everything, 0.99)
    print(f"p99 < {TARGET_P99_MS:.0f} ms: {'yes' if p99 < TARGET_P99_MS else 'no'} ({p99:.2f} ms)")
    return 0 if len(everything) == expected_total and p99 < TARGET_P99_MS else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="receivers, split over 2 servers")
    parser.add_argument("--messages", type=int, default=200, help="broadcasts to send")
    parser.add_argument("--rate", type=float, default=10.0, help="broadcasts per second")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--server", choices=("gunicorn", "dev"), default="gunicorn")
    args = parser.parse_args()
    if args.clients < 2 or args.clients % 2:
        parser.error("--clients must be an even number, at least 2")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
