"""`flask answers`: coverage by section, one answer with its code and tests, the catalog as
JSON, or the catalog as `docs/ANSWERS.md` (issue 9).

    flask --app demo answers                     coverage by section
    flask --app demo answers Q042                one answer, code and test locations (file:line)
    flask --app demo answers --json [Q042]       the catalog (or one entry) as JSON
    flask --app demo answers --markdown docs/ANSWERS.md [--check]
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app

from demo.answers.catalog import Answer, coverage, load_catalog, load_questions
from demo.answers.docs import answers_markdown
from demo.answers.results import answer_status, read_results, results_path
from demo.answers.source import SourceUnavailable, locate_reference, locate_test, project_root


def _print_answer(answer: Answer) -> None:
    results = read_results(results_path(current_app))
    question = load_questions()[answer.id]
    click.echo(f"{answer.id}: {answer.question}  [{question.section}]\n")
    click.echo(f"{answer.short}\n\n{answer.long}\n")
    click.echo("Code:")
    for reference in answer.code:
        try:
            block = locate_reference(reference)
            where = block.location + ("" if block.in_project else "  (installed package)")
        except SourceUnavailable as exc:
            where = f"source not available: {exc}"
        click.echo(f"  {reference}\n      {where}")
    click.echo(f"Tests (last recorded run: {answer_status(answer.tests, results)}):")
    for node_id in answer.tests:
        try:
            where = locate_test(node_id).location
        except SourceUnavailable as exc:
            where = str(exc)
        outcome = results[node_id].outcome if node_id in results else "not run yet"
        click.echo(f"  {node_id}\n      {where}  [{outcome}]")
    if answer.try_urls:
        click.echo("Try:\n" + "\n".join(f"  {url}" for url in answer.try_urls))


def _write_markdown(path: Path, check: bool) -> None:
    root = project_root()
    if root is None:
        raise click.ClickException("writing the Markdown needs the project checkout")
    document = path if path.is_absolute() else Path.cwd() / path
    text = answers_markdown(root, document)
    if check:
        current = document.read_text(encoding="utf-8") if document.is_file() else None
        if current != text:
            raise click.ClickException(
                f"{path} is out of date: run `flask --app demo answers --markdown {path}`"
            )
        click.echo(f"{path} is up to date")
        return
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path} ({len(load_catalog())} answers)")


@click.command("answers")
@click.argument("question_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the catalog (or one answer) as JSON.")
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every answer as Markdown to this file (docs/ANSWERS.md).",
)
@click.option("--check", is_flag=True, help="With --markdown: fail if the file is out of date.")
def answers_command(
    question_id: str | None, as_json: bool, markdown_path: Path | None, check: bool
) -> None:
    """Show how many of the interview questions are answered, or one answer."""
    if check and markdown_path is None:
        raise click.UsageError("--check goes with --markdown")
    if markdown_path is not None:
        if question_id or as_json:
            raise click.UsageError("--markdown writes the whole catalog; drop QUESTION_ID/--json")
        _write_markdown(markdown_path, check)
        return
    catalog = load_catalog()
    if question_id:
        qid = question_id.upper()
        if qid not in catalog:
            known = "is not answered yet" if qid in load_questions() else "is not a question ID"
            raise click.ClickException(f"{qid} {known}")
        if as_json:
            click.echo(json.dumps(catalog[qid].as_dict(), indent=2))
        else:
            _print_answer(catalog[qid])
        return
    if as_json:
        click.echo(json.dumps({qid: a.as_dict() for qid, a in catalog.items()}, indent=2))
        return
    total_answered = total = 0
    for section, answered, count in coverage():
        click.echo(f"{answered:3d} / {count:<3d} {section}")
        total_answered += answered
        total += count
    click.echo(f"{total_answered:3d} / {total:<3d} answered")
