"""The WSGI entry point for production servers (Q106): `gunicorn demo.wsgi:app`.

A module-level object is what every WSGI server imports; building it with the factory keeps
one code path for tests, the CLI and servers. Each gunicorn worker imports this module and
so gets its own app and connection pools (with ``--preload`` the master imports it once and
the workers inherit the app through fork).
"""

from __future__ import annotations

from demo import create_app

app = create_app()
