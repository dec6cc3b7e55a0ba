"""`flask answers` reports coverage and prints the catalog as JSON."""

from __future__ import annotations

import json

from demo.answers.catalog import load_catalog


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
