"""`docs/ANSWERS.md`: the whole catalog as one Markdown file for reading on a code host.

Generated, never edited: `flask --app demo answers --markdown docs/ANSWERS.md` writes it and
tests/answers/test_docs.py fails when the committed file differs from what the catalog and
the code produce now. The output depends only on the catalog and the source files (no
dates, no test results, paths relative to the document), so regenerating an unchanged tree
gives the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from demo.answers.catalog import Answer, Question, load_catalog, sections, slug
from demo.answers.render import curl_command
from demo.answers.source import SourceBlock, SourceUnavailable, locate_reference, locate_test

COMMAND = "flask --app demo answers --markdown docs/ANSWERS.md"
DEMO_URL = "http://127.0.0.1:5000"  # where `make run` serves the app


def _link(block: SourceBlock, root: Path, document: Path) -> str:
    """A relative link to the block's lines, in the ``#L10-L20`` form code hosts understand."""
    target = Path(os.path.relpath(root / block.path, document.parent)).as_posix()
    lines = f"L{block.start}" + (f"-L{block.end}" if block.end > block.start else "")
    return f"{target}#{lines}"


def _code_line(reference: str, root: Path, document: Path) -> str:
    try:
        block = locate_reference(reference)
    except SourceUnavailable:
        return f"- `{reference}` (source not found)"
    if block.in_project:
        return f"- [`{reference}`]({_link(block, root, document)})"
    # Installed code: its line numbers change with the version, so no lines here.
    return f"- `{reference}`, in an installed package (`{block.path}`)"


def _test_line(node_id: str, root: Path, document: Path) -> str:
    try:
        block = locate_test(node_id, root)
    except SourceUnavailable:
        return f"- `{node_id}` (test not found)"
    summary = f": {block.summary}" if block.summary else ""
    return f"- [`{node_id}`]({_link(block, root, document)}){summary}"


def _answer(answer: Answer, root: Path, document: Path) -> list[str]:
    lines = [f"### {answer.id}: {answer.question}", "", f"**In thirty seconds.** {answer.short}"]
    lines += ["", answer.long, "", "**Code that demonstrates it**", ""]
    lines += [_code_line(reference, root, document) for reference in answer.code]
    if answer.try_urls:
        lines += ["", "**Try it** (after `make run`)", ""]
        lines += [f"- `{curl_command(DEMO_URL, url)}`" for url in answer.try_urls]
    lines += ["", "**Tests that prove it**", ""]
    lines += [_test_line(node_id, root, document) for node_id in answer.tests]
    return [*lines, ""]


def _unanswered(questions: list[Question]) -> list[str]:
    return ["Not answered yet:", "", *(f"- {q.id}: {q.text}" for q in questions), ""]


def answers_markdown(root: Path, document: Path) -> str:
    """The Markdown text of the catalog; links are relative to `document` inside `root`."""
    catalog = load_catalog()
    grouped = sections()
    total = sum(len(questions) for questions in grouped.values())
    lines = [
        "# Answers",
        "",
        f"<!-- Generated from demo/answers/catalog.toml by `{COMMAND}`. Do not edit. -->",
        "",
        f"{len(catalog)} of {total} Flask interview questions answered. Each answer names the "
        "code that demonstrates it and the tests that prove it; the running app shows the same "
        "answers with that code and those tests inline at `/answers/`.",
        "",
        "## Sections",
        "",
    ]
    for name, questions in grouped.items():
        answered = sum(q.id in catalog for q in questions)
        lines.append(f"- [{name}](#{slug(name)}) ({answered} / {len(questions)})")
    lines.append("")
    for name, questions in grouped.items():
        lines += [f"## {name}", ""]
        for question in questions:
            if question.id in catalog:
                lines += _answer(catalog[question.id], root, document)
        missing = [q for q in questions if q.id not in catalog]
        if missing:
            lines += _unanswered(missing)
    return "\n".join(lines).rstrip() + "\n"
