"""Where the tests find the real services they talk to (they fail, never skip, without them)."""

from __future__ import annotations

import os

# Database 15 by default: the tests delete only their own keys there, never FLUSHDB.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
