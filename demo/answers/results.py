"""The last recorded outcome of each answer's tests (the answers browser, issue 9).

The test suite writes the file (`tests/support/answer_results.py`, a pytest plugin) and the
answers pages read it, so a page can say whether its proof passed the last time it ran.
The file is a build artefact (it lives in the git-ignored `instance/` folder by default):

    {"format": 1, "updated": "2026-01-31T12:00:00+00:00",
     "tests": {"tests/x/test_y.py::test_z": {"outcome": "passed",
                                             "recorded": "2026-01-31T12:00:00+00:00"}}}

Running part of the suite updates only the tests that ran; the rest keep their last result.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, concurrent test runs may lose an update
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

FORMAT = 1
DEFAULT_FILENAME = "answer-results.json"
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
NOT_RUN, PARTLY_RUN = "not run yet", "partly run"


@dataclass(frozen=True)
class TestResult:
    """One test's outcome in the run that last executed it."""

    __test__ = False  # a data class, not a test case, whatever pytest thinks of its name

    outcome: str
    recorded: str  # ISO 8601, UTC


def now() -> str:
    """The current time in the file's timestamp format."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def results_path(app: Flask) -> Path:
    """`ANSWER_RESULTS_FILE`, else `answer-results.json` in the app's instance folder."""
    configured = app.config.get("ANSWER_RESULTS_FILE")
    return Path(configured) if configured else Path(app.instance_path, DEFAULT_FILENAME)


def read_results(path: Path) -> dict[str, TestResult]:
    """Node id -> last result; empty when the file is missing or unreadable (never an error)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            node_id: TestResult(str(entry["outcome"]), str(entry["recorded"]))
            for node_id, entry in data["tests"].items()
        }
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring unreadable test results in %s: %s", path, exc)
        return {}


def write_results(path: Path, results: Mapping[str, TestResult]) -> None:
    """Replace the file atomically: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "format": FORMAT,
        "updated": now(),
        "tests": {
            node_id: {"outcome": result.outcome, "recorded": result.recorded}
            for node_id, result in sorted(results.items())
        },
    }
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
    # NamedTemporaryFile creates 0600; the results are no secret, and a server running as
    # another user than the test suite must be able to read them.
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise read-merge-write between test runs working in the same tree at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def record_results(path: Path, latest: Mapping[str, TestResult]) -> dict[str, TestResult]:
    """Merge this run's results over the earlier ones and write them; return the merged set."""
    with _locked(path):
        merged = {**read_results(path), **latest}
        write_results(path, merged)
    return merged


def answer_status(tests: Iterable[str], results: Mapping[str, TestResult]) -> str:
    """One word for an answer's proof: failed, passed, partly run or not run yet."""
    outcomes = [results[test].outcome if test in results else None for test in tests]
    if FAILED in outcomes:
        return FAILED
    if outcomes and all(outcome == PASSED for outcome in outcomes):
        return PASSED
    if any(outcome is not None for outcome in outcomes):
        return PARTLY_RUN  # some tests never ran (or were skipped): not proven yet
    return NOT_RUN
