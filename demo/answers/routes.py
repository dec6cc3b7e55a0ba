"""The answers pages: every answered question by section, and one answer in full."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from demo.answers.catalog import load_catalog, load_questions, sections

bp = Blueprint("answers", __name__, template_folder="templates")


@bp.get("/")
def index() -> str:
    """All sections, with the answered questions linked and their 30-second answers."""
    return render_template(
        "answers/index.html",
        sections=sections(),
        catalog=load_catalog(),
        total=len(load_questions()),
    )


@bp.get("/<qid>")
def detail(qid: str) -> str:
    """One answer: short, long, code references, URLs to try and the proving tests."""
    answer = load_catalog().get(qid.upper())
    if answer is None:
        abort(404, description=f"No answer for {qid!r} yet.")
    question = load_questions()[answer.id]
    return render_template("answers/detail.html", answer=answer, question=question)
