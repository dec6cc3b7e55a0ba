"""`flask answers`: coverage by section, one answer, or the whole catalog as JSON."""

from __future__ import annotations

import json

import click

from demo.answers.catalog import coverage, load_catalog, load_questions


@click.command("answers")
@click.argument("question_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print every catalogued answer as JSON.")
def answers_command(question_id: str | None, as_json: bool) -> None:
    """Show how many of the interview questions are answered, or one answer."""
    catalog = load_catalog()
    if question_id:
        qid = question_id.upper()
        if qid not in catalog:
            known = "is not answered yet" if qid in load_questions() else "is not a question ID"
            raise click.ClickException(f"{qid} {known}")
        answer = catalog[qid]
        if as_json:
            click.echo(json.dumps(answer.as_dict(), indent=2))
            return
        click.echo(f"{answer.id}: {answer.question}\n\n{answer.short}\n\n{answer.long}\n")
        click.echo("Code:\n" + "\n".join(f"  {ref}" for ref in answer.code))
        click.echo("Tests:\n" + "\n".join(f"  {test}" for test in answer.tests))
        if answer.try_urls:
            click.echo("Try:\n" + "\n".join(f"  {url}" for url in answer.try_urls))
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
