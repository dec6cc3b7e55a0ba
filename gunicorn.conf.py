"""gunicorn settings for flaskproof (Q105, Q111, Q113). Every value can be set from the environment.

Why this worker model: Socket.IO runs in Flask-SocketIO's "threading" mode with
simple-websocket, which gunicorn serves with its `gthread` worker. A Socket.IO client must
keep talking to the process that holds its session, so each gunicorn process runs ONE
worker with many threads, and scaling out means more processes (containers, pods) behind a
load balancer with sticky sessions, all sharing Redis. (gunicorn 26 removed the eventlet
worker; gevent would also work but monkey-patches the whole process, which Celery,
psycopg and the test-suite then have to live with.)

Run: gunicorn -c gunicorn.conf.py demo.wsgi:app
"""

from __future__ import annotations

import os

# `PORT` is what Heroku, Cloud Run, App Service and friends hand to the process.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
# One worker per process: see the module docstring. WEB_CONCURRENCY is honoured for plain
# HTTP deployments that turn Socket.IO off, but the default keeps Socket.IO correct.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "32"))

# A request that takes longer than this is killed and answered 502 by the proxy.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (a deploy, a scale-down), finish in-flight requests for this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Idle keep-alive connections from the proxy are held a little longer than nginx's.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle a worker after this many requests (with jitter) to contain slow leaks; 0 = never.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))

# Which proxies may set X-Forwarded-Proto/-For for gunicorn itself. The app trusts the
# same hop through ProxyFix (PROXY_FIX_X_FOR), which is what request.remote_addr uses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log on stdout with the request id, so a line can be joined with the app's logs.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s ua="%(a)s"'
# /dev/shm keeps the worker heartbeat file off slow container disks.
SHARED_MEMORY_DIR = "/dev/shm"  # noqa: S108 (a per-worker heartbeat file, not user data)
worker_tmp_dir = SHARED_MEMORY_DIR if os.path.isdir(SHARED_MEMORY_DIR) else None
