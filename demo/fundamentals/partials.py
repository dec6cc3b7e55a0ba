"""Partial page updates over AJAX, the job Flask-Sijax used to do (Q064).

One URL, `/partials/questions?page=N`, pages through the interview questions and answers in
the representation the caller asks for:

- a whole HTML page to a plain browser visit, so the "Load more" link works without
  JavaScript (progressive enhancement);
- an HTML fragment (the items and the new pager, nothing else) when the request says it
  comes from script: ``X-Requested-With: XMLHttpRequest`` (what jQuery sends and
  `static/js/partials.js` sets on its `fetch`) or ``HX-Request: true`` (htmx);
- JSON when `Accept` prefers ``application/json``.

The server renders the fragment with the same Jinja template the full page includes, so
there is one source of markup and it is escaped the same way. ``Vary`` names the headers
the choice depends on, so no cache serves a fragment to a browser navigating to the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, jsonify, make_response, render_template, request, url_for

from demo.answers.catalog import Question, load_questions
from demo.errors import wants_json
from demo.fundamentals import bp

PAGE_SIZE = 10
# The request headers that decide the representation; a cache must key on all of them.
VARY = ("Accept", "X-Requested-With", "HX-Request")


@dataclass(frozen=True)
class QuestionPage:
    """One page of the question list."""

    number: int
    questions: list[Question]
    first_position: int  # the list position of the first item, for <ol start=...>
    has_next: bool


def wants_fragment() -> bool:
    """True when script asked for just the changed part of the page (fetch/XHR or htmx)."""
    return (
        request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or request.headers.get("HX-Request") == "true"
    )


def question_page(number: int) -> QuestionPage:
    """Page `number` (from 1) of the question list; 404 past the last page."""
    questions = list(load_questions().values())
    start = (number - 1) * PAGE_SIZE
    if start >= len(questions):
        abort(404, description=f"There is no page {number}.")
    return QuestionPage(
        number=number,
        questions=questions[start : start + PAGE_SIZE],
        first_position=start + 1,
        has_next=start + PAGE_SIZE < len(questions),
    )


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        abort(400, description="page must be a whole number from 1.")
    return int(raw)


@bp.get("/partials/questions")
def partial_questions() -> Response:
    """The question list, page by page: a full page, an HTML fragment, or JSON."""
    page = question_page(_page_number())
    if wants_json():
        response = jsonify(
            page=page.number,
            questions=[{"id": q.id, "section": q.section, "text": q.text} for q in page.questions],
            next=url_for(".partial_questions", page=page.number + 1) if page.has_next else None,
        )
    elif wants_fragment():
        response = make_response(render_template("fundamentals/partials_fragment.html", page=page))
    else:
        response = make_response(render_template("fundamentals/partials.html", page=page))
    response.vary.update(VARY)
    return response
