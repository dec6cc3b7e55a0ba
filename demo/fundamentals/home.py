"""The start page: what this app is and where to look first."""

from __future__ import annotations

from flask import render_template

from demo.answers.catalog import load_catalog, load_questions
from demo.fundamentals import bp


@bp.get("/")
def index() -> str:
    """Landing page with the answers count and the main entry points."""
    return render_template(
        "fundamentals/index.html", answered=len(load_catalog()), total=len(load_questions())
    )
