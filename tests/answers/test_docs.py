"""docs/ANSWERS.md is generated from the catalog, reproducibly, and kept current."""

from __future__ import annotations

import re
from pathlib import Path

from demo.answers.catalog import load_catalog
from demo.answers.docs import COMMAND, answers_markdown
from demo.answers.results import FAILED, TestResult, now, record_results
from tests.support.answer_markers import ROOT

DOCUMENT = ROOT / "docs" / "ANSWERS.md"
LINK = re.compile(r"\]\((?P<target>[^)#]+)#L(?P<start>\d+)(?:-L(?P<end>\d+))?\)")


def test_committed_answers_document_is_current():
    """The committed docs/ANSWERS.md is exactly what the catalog and the code produce now."""
    assert DOCUMENT.is_file(), f"docs/ANSWERS.md is missing: run `{COMMAND}`"
    expected = answers_markdown(ROOT, DOCUMENT)
    assert DOCUMENT.read_text(encoding="utf-8") == expected, (
        f"docs/ANSWERS.md is stale: run `{COMMAND}` and commit the result"
    )


def test_generation_is_deterministic_and_has_no_run_state(make_app, tmp_path: Path):
    """Generating twice gives the same text, whatever the last test run recorded, and no date."""
    first = answers_markdown(ROOT, DOCUMENT)
    results = tmp_path / "results.json"
    failed = {test: TestResult(FAILED, now()) for a in load_catalog().values() for test in a.tests}
    record_results(results, failed)
    make_app(ANSWER_RESULTS_FILE=str(results))
    assert answers_markdown(ROOT, DOCUMENT) == first
    assert now()[:10] not in first  # today's date appears nowhere


def test_document_holds_every_answer_with_links_to_real_lines():
    """Every answer is there with its short text; every code/test link names existing lines."""
    text = answers_markdown(ROOT, DOCUMENT)
    for qid, answer in load_catalog().items():
        assert f"### {qid}: {answer.question}\n" in text, qid
        assert answer.short in text, qid
    links = list(LINK.finditer(text))
    assert len(links) >= len(load_catalog())
    for link in links:
        target = (DOCUMENT.parent / link["target"]).resolve()
        assert target.is_file(), link["target"]
        last = int(link["end"] or link["start"])
        assert last <= len(target.read_text(encoding="utf-8").splitlines()), link.group(0)


def test_markdown_command_writes_and_checks_the_document(runner, tmp_path: Path):
    """`flask answers --markdown PATH` writes the document; `--check` fails when it is stale."""
    path = tmp_path / "docs" / "ANSWERS.md"
    result = runner.invoke(args=["answers", "--markdown", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == answers_markdown(ROOT, path)

    ok = runner.invoke(args=["answers", "--markdown", str(path), "--check"])
    assert ok.exit_code == 0 and "is up to date" in ok.output

    path.write_text(path.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    stale = runner.invoke(args=["answers", "--markdown", str(path), "--check"])
    assert stale.exit_code == 1
    assert "is out of date" in stale.output
    assert path.read_text(encoding="utf-8").endswith("hand edit\n")  # --check never writes
