"""Production monitoring: Prometheus metrics at /metrics and error tracking with Sentry (Q170).

The health probes live in `demo.health`; this package adds what answers "how is it doing"
(request rates, latencies, error ratios) and "what broke" (crash reports, Q164).
`init_observability(app)` is called once by the factory, after every blueprint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from demo.observability.errors_tracking import init_error_tracking
from demo.observability.metrics import DEFAULT_ALLOWED_NETWORKS, init_metrics

__all__ = ["init_observability", "observability_settings"]


def observability_settings(env: Mapping[str, str], *, testing: bool = False) -> dict[str, Any]:
    """The settings this package reads from the environment, as config keys.

    A test run never reports to the developer's Sentry project: under TESTING the DSN comes
    only from an explicit override, never from the environment or `.env`.
    """
    rate = env.get("SENTRY_TRACES_SAMPLE_RATE")
    return {
        # Who may scrape /metrics: addresses or networks, comma-separated, "*" for anyone.
        "METRICS_ALLOWED_IPS": [
            item.strip()
            for item in (env.get("METRICS_ALLOWED_IPS") or DEFAULT_ALLOWED_NETWORKS).split(",")
            if item.strip()
        ],
        # When set, a scrape must also send `Authorization: Bearer <token>`.
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "SENTRY_DSN": None if testing else env.get("SENTRY_DSN") or None,
        "SENTRY_ENVIRONMENT": env.get("SENTRY_ENVIRONMENT") or None,
        "SENTRY_RELEASE": env.get("SENTRY_RELEASE") or None,
        # Unset: no performance tracing at all, only errors (tracing costs per request).
        "SENTRY_TRACES_SAMPLE_RATE": float(rate) if rate else None,
    }


def init_observability(app: Flask) -> None:
    """Fill in unset settings from the environment, then wire metrics and error tracking.

    `setdefault` keeps whatever the config class, `instance/config.py` or a test's
    overrides already chose.
    """
    for key, value in observability_settings(os.environ, testing=app.testing).items():
        app.config.setdefault(key, value)
    init_metrics(app)
    init_error_tracking(app)
