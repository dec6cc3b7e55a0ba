"""The suite's database switch: TEST_DATABASE_URL selects the server, and an unreachable
server fails the run instead of quietly skipping the database tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_unreachable_test_database_fails_the_run_with_a_clear_message():
    """Pointing TEST_DATABASE_URL at a closed port makes pytest exit non-zero, naming why."""
    env = {**os.environ, "TEST_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/test"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/data/test_models.py::test_the_suite_runs_on_the_database_test_database_url_names",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stdout
    assert "database server cannot be reached" in completed.stdout
    assert "skipped" not in completed.stdout
    assert "nobody@127.0.0.1:1/test" in completed.stdout
