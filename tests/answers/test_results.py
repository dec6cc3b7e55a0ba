"""The recorded test results: the pytest plugin writes and merges them, the pages read them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.answers.catalog import load_catalog
from demo.answers.results import (
    FAILED,
    NOT_RUN,
    PARTLY_RUN,
    PASSED,
    SKIPPED,
    TestResult,
    answer_status,
    read_results,
    record_results,
)

# Pytester runs a nested pytest in this process, so the plugin can be tested on a sample
# project without paying for a subprocess that imports the whole app again.
pytest_plugins = ["pytester"]

RECORDED = "2026-01-31T12:00:00+00:00"

SAMPLE_TESTS = """
import pytest

@pytest.mark.answers("Q001")
def test_passes():
    assert True

@pytest.mark.answers("Q002")
def test_fails():
    assert {outcome}

def test_unmarked():
    assert True

@pytest.mark.answers("Q003")
@pytest.mark.parametrize("n", [1, 2])
def test_one_parameter_fails(n):
    assert n == 1

@pytest.mark.answers("Q004")
def test_skipped():
    pytest.skip("not here")
"""


@pytest.fixture
def sample_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A throwaway project (its own rootdir) whose tests carry answers markers."""
    pytester.makeini("[pytest]\nmarkers =\n    answers(*ids): questions this test proves\n")
    pytester.makepyfile(test_sample=SAMPLE_TESTS.format(outcome="False"))
    return pytester


def run_pytest(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in the sample project with the plugin, as tests/conftest.py registers it."""
    return project.runpytest_inprocess("-p", "tests.support.answer_results", "-q", *args)


def recorded(project: pytest.Pytester) -> dict:
    """The plugin's file at its default place, instance/answer-results.json."""
    path = project.path / "instance" / "answer-results.json"
    return json.loads(path.read_text())["tests"]


def test_plugin_records_each_marked_tests_outcome(sample_project: pytest.Pytester):
    """A run writes passed/failed/skipped per marked test; unmarked tests are not recorded."""
    run = run_pytest(sample_project)
    run.assert_outcomes(passed=3, failed=2, skipped=1)  # test_fails fails on purpose
    tests = recorded(sample_project)
    outcomes = {node: entry["outcome"] for node, entry in tests.items()}
    assert outcomes == {
        "test_sample.py::test_passes": PASSED,
        "test_sample.py::test_fails": FAILED,
        # One failing parameter fails the test the catalog names.
        "test_sample.py::test_one_parameter_fails": FAILED,
        "test_sample.py::test_skipped": SKIPPED,
    }
    assert all(entry["recorded"].endswith("+00:00") for entry in tests.values())


def test_plugin_merges_a_partial_run_into_earlier_results(sample_project: pytest.Pytester):
    """Running one test updates its entry and keeps every other test's earlier result."""
    run_pytest(sample_project).assert_outcomes(passed=3, failed=2, skipped=1)
    before = recorded(sample_project)

    sample_project.makepyfile(test_sample=SAMPLE_TESTS.format(outcome="True"))
    run_pytest(sample_project, "-k", "test_fails").assert_outcomes(passed=1, deselected=5)
    after = recorded(sample_project)

    assert after["test_sample.py::test_fails"]["outcome"] == PASSED
    assert set(after) == set(before)
    for node in set(before) - {"test_sample.py::test_fails"}:
        assert after[node] == before[node], node
    # Atomic replacement leaves no temporary files behind.
    assert sorted(p.name for p in (sample_project.path / "instance").iterdir()) == [
        "answer-results.json",
        "answer-results.json.lock",
    ]


def test_plugin_location_comes_from_the_command_line(sample_project: pytest.Pytester):
    """`--answer-results PATH` moves the file; an empty value records nothing."""
    run_pytest(sample_project, "--answer-results", "out/results.json")
    assert (sample_project.path / "out" / "results.json").is_file()
    assert not (sample_project.path / "instance").exists()

    run_pytest(sample_project, "--answer-results", "")
    assert not (sample_project.path / "instance").exists()


def test_answer_status_combines_its_tests():
    """Any failure fails the answer; all passed passes it; nothing recorded is "not run yet"."""
    ok, bad = TestResult(PASSED, RECORDED), TestResult(FAILED, RECORDED)
    skipped = TestResult(SKIPPED, RECORDED)
    assert answer_status(["a", "b"], {}) == NOT_RUN
    assert answer_status(["a", "b"], {"a": ok, "b": ok}) == PASSED
    assert answer_status(["a", "b"], {"a": ok, "b": bad}) == FAILED
    assert answer_status(["a", "b"], {"a": ok}) == PARTLY_RUN
    assert answer_status(["a"], {"a": skipped}) == PARTLY_RUN


def test_an_unreadable_results_file_counts_as_no_results(tmp_path: Path, caplog):
    """A corrupt file is logged and read as empty, never an error."""
    path = tmp_path / "answer-results.json"
    path.write_text("{not json")
    assert read_results(path) == {}
    assert "ignoring unreadable test results" in caplog.text
    assert read_results(tmp_path / "missing.json") == {}


def test_answer_page_says_not_run_yet_then_passed(make_app, tmp_path: Path):
    """Without a results file the page says "not run yet"; after a recorded pass, "passed"."""
    path = tmp_path / "results.json"
    app = make_app(ANSWER_RESULTS_FILE=str(path))
    client = app.test_client()
    answer = load_catalog()["Q042"]

    html = client.get("/answers/Q042").get_data(as_text=True)
    assert 'class="status status-not-run-yet">not run yet</span>' in html
    assert "status-passed" not in html

    record_results(path, {test: TestResult(PASSED, RECORDED) for test in answer.tests})
    html = client.get("/answers/Q042").get_data(as_text=True)
    assert 'class="status status-passed">passed</span>' in html
    assert f'<time datetime="{RECORDED}">' in html
    assert "not run yet" not in html
    index = client.get("/answers/").get_data(as_text=True)
    assert 'id="Q042"' in index
    q042 = index[index.index('id="Q042"') :]
    assert q042[: q042.index("</article>")].count("status-passed") == 1


def test_answer_page_shows_a_failed_proof(make_app, tmp_path: Path):
    """One failing test makes the answer's proof "failed", and the page names which one."""
    path = tmp_path / "results.json"
    answer = load_catalog()["Q042"]
    first, *others = answer.tests
    record_results(path, {first: TestResult(FAILED, RECORDED)})
    record_results(path, {test: TestResult(PASSED, RECORDED) for test in others})
    html = make_app(ANSWER_RESULTS_FILE=str(path)).test_client().get("/answers/Q042").text
    proof = html[html.index('class="proof"') :]
    assert proof.startswith('class="proof">Proof in the last recorded test run:')
    assert 'status-failed">failed</span>' in proof[: proof.index("</p>")]
    assert html.count('status-failed">failed</span>') == 2  # the answer, and its one test


def test_results_file_is_written_atomically_as_json(tmp_path: Path):
    """record_results leaves one valid JSON file (format, updated, tests) and no temp files."""
    path = tmp_path / "nested" / "results.json"
    merged = record_results(path, {"t::a": TestResult(PASSED, RECORDED)})
    merged = record_results(path, {"t::b": TestResult(FAILED, RECORDED)})
    assert set(merged) == {"t::a", "t::b"}
    data = json.loads(path.read_text())
    assert data["format"] == 1 and data["updated"]
    assert data["tests"]["t::b"] == {"outcome": FAILED, "recorded": RECORDED}
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.json", "results.json.lock"]
    assert path.stat().st_mode & 0o777 == 0o644  # readable by a server running as another user
