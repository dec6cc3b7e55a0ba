"""`flask answers`: coverage, one answer with its code and test locations, the catalog as JSON."""

from __future__ import annotations

import json

from demo.answers.catalog import load_catalog
from demo.answers.results import PASSED, TestResult, record_results
from demo.answers.source import locate_reference, locate_test


def test_answers_prints_coverage_by_section(runner):
    """The plain command prints one `answered / total` line per section and a total of 172."""
    result = runner.invoke(args=["answers"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].split() == [str(len(load_catalog())), "/", "172", "answered"]
    assert any(line.endswith("Flask Basics") for line in lines)


def test_answers_json_lists_every_catalogued_id(runner):
    """`--json` prints every catalogued ID with its question, tests and code references."""
    result = runner.invoke(args=["answers", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == set(load_catalog())
    for qid, entry in data.items():
        assert entry["question"] and entry["tests"] and entry["code"], qid


def test_answers_unknown_id_is_a_clear_error(runner):
    """Asking for an ID that is not a question fails with a message, not a traceback."""
    result = runner.invoke(args=["answers", "Q999"])
    assert result.exit_code != 0
    assert "Q999 is not a question ID" in result.output


def test_answers_prints_one_answer_with_code_and_test_locations(runner):
    """`flask answers Q042` prints the answer, each code reference and test as file:line."""
    answer = load_catalog()["Q042"]
    result = runner.invoke(args=["answers", "q042"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Q042: {answer.question}")
    assert answer.short in result.output
    view = locate_reference("demo.auth.routes:session_info")
    assert f"demo.auth.routes:session_info\n      {view.location}\n" in result.output
    assert view.location.startswith("demo/auth/routes.py:")
    assert "flask/globals.py:" in result.output and "(installed package)" in result.output
    for node_id in answer.tests:
        assert f"{node_id}\n      {locate_test(node_id).location}  [" in result.output
    assert "Try:\n  /auth/session" in result.output


def test_answers_shows_the_recorded_outcome_of_each_test(make_app, tmp_path):
    """The terminal view says how each test fared in the last recorded run."""
    answer = load_catalog()["Q042"]
    path = tmp_path / "results.json"
    record_results(path, {answer.tests[0]: TestResult(PASSED, "2026-01-31T12:00:00+00:00")})
    app = make_app(ANSWER_RESULTS_FILE=str(path))
    output = app.test_cli_runner().invoke(args=["answers", "Q042"]).output
    assert "Tests (last recorded run: partly run):" in output
    assert f"{locate_test(answer.tests[0]).location}  [passed]" in output
    assert f"{locate_test(answer.tests[1]).location}  [not run yet]" in output


def test_answers_option_mistakes_are_usage_errors(runner):
    """`--check` alone, or `--markdown` with an ID, is refused with a message."""
    alone = runner.invoke(args=["answers", "--check"])
    assert alone.exit_code == 2 and "--check goes with --markdown" in alone.output
    mixed = runner.invoke(args=["answers", "Q042", "--markdown", "x.md"])
    assert mixed.exit_code == 2 and "--markdown writes the whole catalog" in mixed.output
