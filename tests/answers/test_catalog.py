"""The catalog keeps its promise: every answer names real code and is proven by a test."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from demo.answers.catalog import (
    CATALOG_FILE,
    load_catalog,
    load_questions,
    parse_catalog,
    resolve_reference,
)
from tests.support.answer_markers import collect_test_functions, marked_tests

ID_PATTERN = re.compile(r"^Q\d{3}$")


def test_question_list_has_172_stable_ids():
    """The shipped question list holds Q001-Q172 once each, every one with a section and text."""
    questions = load_questions()
    assert list(questions) == [f"Q{n:03d}" for n in range(1, 173)]
    assert all(q.section and q.text for q in questions.values())


def test_catalog_entries_are_complete():
    """Every catalog entry has its question's exact text, both answers, code and tests."""
    questions = load_questions()
    raw = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    for qid, answer in load_catalog().items():
        assert ID_PATTERN.match(qid), qid
        assert answer.question == questions[qid].text, qid
        assert len(answer.short) >= 40, f"{qid}: the 30-second answer is missing or too thin"
        assert len(answer.long) > len(answer.short), f"{qid}: the explanation is too thin"
        assert answer.code, f"{qid}: names no code"
        assert answer.tests, f"{qid}: names no tests"
        assert set(raw[qid]) <= {"question", "short", "long", "code", "try", "tests"}, qid


def test_every_code_reference_exists():
    """A catalog entry that names a module or object that does not exist fails here."""
    missing = []
    for qid, answer in load_catalog().items():
        for reference in answer.code:
            try:
                resolve_reference(reference)
            except (ImportError, AttributeError) as exc:
                missing.append(f"{qid}: {reference} ({exc})")
    assert not missing, "\n".join(missing)


def test_resolve_reference_refuses_a_missing_object():
    """The reference check really fails for a name that is not there."""
    assert resolve_reference("demo:create_app").__name__ == "create_app"
    with pytest.raises(AttributeError):
        resolve_reference("demo:no_such_factory")
    with pytest.raises(ImportError):
        resolve_reference("demo.no_such_module:thing")


def test_every_marker_names_a_catalogued_question():
    """`@pytest.mark.answers("Qnnn")` may only name questions that the catalog answers."""
    catalog = load_catalog()
    stray = {qid: sorted(t) for qid, t in marked_tests().items() if qid not in catalog}
    assert not stray, f"markers name uncatalogued questions: {stray}"


def test_every_catalogued_question_has_a_marked_test():
    """A question enters the catalog only together with at least one test marked for it."""
    marked = marked_tests()
    unproven = [qid for qid in load_catalog() if not marked.get(qid)]
    assert not unproven, f"catalogued without a marked test: {unproven}"


def test_catalog_lists_exactly_the_marked_tests():
    """The catalog's `tests` for a question are the tests carrying its marker, no more, no less."""
    marked = marked_tests()
    drift = {
        qid: {
            "missing_from_catalog": sorted(marked.get(qid, set()) - set(answer.tests)),
            "not_marked_or_not_found": sorted(set(answer.tests) - marked.get(qid, set())),
        }
        for qid, answer in load_catalog().items()
        if set(answer.tests) != marked.get(qid, set())
    }
    assert not drift, json.dumps(drift, indent=2)


def test_every_test_says_what_it_proves():
    """Each test function carries a docstring stating the behaviour it proves."""
    undocumented = [node for node, (_, doc) in collect_test_functions().items() if not doc]
    assert not undocumented, undocumented


def test_parse_catalog_sorts_and_strips():
    """The parser orders entries by ID and trims the text blocks."""
    text = """
[Q002]
question = "b"
short = "  second  "
long = "longer second"
code = ["demo:create_app"]
tests = ["t"]

[Q001]
question = "a"
short = "first"
long = "longer first"
code = []
tests = []
try = ["/"]
"""
    answers = parse_catalog(text)
    assert list(answers) == ["Q001", "Q002"]
    assert answers["Q002"].short == "second"
    assert answers["Q001"].try_urls == ("/",)
