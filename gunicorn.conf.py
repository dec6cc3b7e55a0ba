"""gunicorn settings for flaskproof (Q105, Q111, Q113). Every value can be set from the environment.

Why this worker model: Socket.IO runs in Flask-SocketIO's "threading" mode with
simple-websocket, which gunicorn serves with its `gthread` worker. A Socket.IO client must
keep talking to the process that holds its session, so each gunicorn process runs ONE
worker with many threads, and scaling out means more processes (containers, pods) behind a
load balancer with sticky sessions, all sharing Redis. (gunicorn 26 removed the eventlet
worker; gevent would also work but monkey-patches the whole process, which Celery,
psycopg and the test-suite then have to live with.)

Run: gunicorn -c gunicorn.conf.py demo.wsgi:app   (the Procfile, the Dockerfile and
docker-compose.yml all do; `make smoke` runs them and checks the result through nginx).
"""

from __future__ import annotations

import os

from dotenv import load_dotenv

# The app reads .env when it is built (demo.create_app), after gunicorn has read this file:
# read it here too, so GUNICORN_* lines in .env work. Real environment variables still win.
load_dotenv(override=False)


def _env(name: str, default: str) -> str:
    # `or`: an empty `NAME=` line in .env means "the default", as in demo/config.py.
    return os.environ.get(name) or default


# `PORT` is what Heroku, Cloud Run, App Service and friends hand to the process.
bind = _env("GUNICORN_BIND", f"0.0.0.0:{_env('PORT', '8000')}")
worker_class = "gthread"
# One worker per process: see the module docstring. Not WEB_CONCURRENCY, which Heroku sets
# to several workers by itself and which would then split Socket.IO sessions over workers.
workers = int(_env("GUNICORN_WORKERS", "1"))
# Every open WebSocket holds one of these threads for as long as it stays open.
threads = int(_env("GUNICORN_THREADS", "32"))

# A request that takes longer than this is killed and answered 502 by the proxy.
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (a deploy, a scale-down), finish in-flight requests for this long.
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Idle keep-alive connections are kept open longer than the proxy keeps its end (nginx:
# keepalive_timeout 60s in the upstream block), so the proxy never sends a request down a
# connection gunicorn is closing at that moment (a 502 for a POST, which is not retried).
keepalive = int(_env("GUNICORN_KEEPALIVE", "75"))
# Recycle a worker after this many requests (with jitter) to contain slow leaks; 0 = never.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "0"))

# Which proxies may set X-Forwarded-Proto (https) for gunicorn itself. The app trusts the
# same hop through ProxyFix (PROXY_FIX_X_FOR), which is what request.remote_addr uses.
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log on stdout with the request id, so a line can be joined with the app's logs
# (which go to stderr, stamped with the same id).
accesslog = _env("GUNICORN_ACCESSLOG", "-")
# One access line per request, not two: while gunicorn writes its own, the app does not write
# its JSON one (ACCESS_LOG, see demo.middleware). Set GUNICORN_ACCESSLOG=off to keep the
# app's instead. The workers are forked from this process and inherit the variable; an
# empty ACCESS_LOG (as in .env.example) means "decide here", a set one is left alone.
if accesslog.lower() in {"off", "none", "0", "false"}:
    accesslog = None
elif not os.environ.get("ACCESS_LOG"):
    os.environ["ACCESS_LOG"] = "false"
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s ua="%(a)s"'

# gunicorn 25.1+ opens a control socket for `gunicornc`, by default at one path per user
# ($HOME/.gunicorn/gunicorn.ctl): two instances on one host would take it from each other.
# Processes are managed with signals here; name a path per instance to use it.
control_socket = _env("GUNICORN_CONTROL_SOCKET", "gunicorn.ctl")
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")

# /dev/shm keeps the worker heartbeat file off slow container disks.
SHARED_MEMORY_DIR = "/dev/shm"  # noqa: S108 (a per-worker heartbeat file, not user data)
worker_tmp_dir = SHARED_MEMORY_DIR if os.path.isdir(SHARED_MEMORY_DIR) else None
