"""A pytest plugin recording how each test that proves an answer fared (answers browser, issue 9).

Registered by `tests/conftest.py` (``pytest_plugins``). At the end of a run it merges the
outcomes of the tests marked ``@pytest.mark.answers(...)`` into a JSON file, which the
answers pages read to say "passed", "failed" or "not run yet". A run of a few tests updates
those tests only. Where the file goes:

- ``--answer-results PATH`` on the command line, else
- the ``answer_results_file`` ini setting, else
- ``instance/answer-results.json`` under the rootdir (git-ignored, like all of `instance/`).

``--answer-results ""`` records nothing; so does ``-p no:tests.support.answer_results``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.answers.results import FAILED, PASSED, SKIPPED, TestResult, now, record_results

INI_NAME = "answer_results_file"
DEFAULT_PATH = "instance/answer-results.json"
# The worst outcome of a test's reports (setup, call, teardown, every parameter) is its result.
_RANK = {PASSED: 0, SKIPPED: 1, FAILED: 2}


def pytest_addoption(parser: pytest.Parser) -> None:
    """The file's location, as an ini setting and a command-line override."""
    parser.addini(INI_NAME, "JSON file recording the answer-proving tests' outcomes", "string")
    parser.addoption(
        "--answer-results",
        dest="answer_results",
        default=None,
        metavar="PATH",
        help=f"where to record answer-proving tests' outcomes (default: {DEFAULT_PATH})",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Start recording unless the location is set to an empty string."""
    option = config.getoption("answer_results")
    location = option if option is not None else (config.getini(INI_NAME) or DEFAULT_PATH)
    if location:
        config.pluginmanager.register(AnswerResultsRecorder(config.rootpath / location))


class AnswerResultsRecorder:
    """Collects the outcomes of marked tests during the run and writes them at its end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.marked: set[str] = set()
        self.outcomes: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # The catalog lists tests without parameters, so that is the key recorded here.
        self.marked = {
            _base_id(item.nodeid) for item in items if item.get_closest_marker("answers")
        }

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        node_id = _base_id(report.nodeid)
        if node_id not in self.marked:
            return
        if report.failed:
            outcome = FAILED
        elif report.skipped:
            outcome = SKIPPED
        elif report.when == "call":
            outcome = PASSED
        else:
            return  # a passing setup or teardown says nothing about the test itself
        previous = self.outcomes.get(node_id, PASSED)
        self.outcomes[node_id] = max(previous, outcome, key=_RANK.__getitem__)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.outcomes:
            recorded = now()
            latest = {
                node: TestResult(outcome, recorded) for node, outcome in self.outcomes.items()
            }
            record_results(self.path, latest)


def _base_id(node_id: str) -> str:
    return node_id.split("[", 1)[0]
