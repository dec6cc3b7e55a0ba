"""Running the app: the development server's defaults and how `make run` starts it (Q008, Q132).

`flask run` and `python -m demo` (used by `make run`) both listen on 127.0.0.1:5000 unless
`--host/--port` or `HOST/PORT` say otherwise; production uses gunicorn instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def dev_server_address(environ: Mapping[str, str] | None = None) -> tuple[str, int]:
    """The address `python -m demo` binds: HOST/PORT when set, else Flask's defaults."""
    env = os.environ if environ is None else environ
    # Blank values (an empty `PORT=` line in .env) mean "use the default", not a crash.
    return env.get("HOST") or DEFAULT_HOST, int(env.get("PORT") or DEFAULT_PORT)
