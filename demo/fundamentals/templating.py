"""Templates with Jinja2: rendering, context, inheritance, filters, url_for, forms and flash
(Q024-Q031, Q094, Q157, Q158).

The views fetch and validate data; the templates under `templates/fundamentals/templating_*`
only present it. Pages: an article list, an article, a search that echoes user input (the
XSS demonstration) and a feedback form that uses post/redirect/get with flashed messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from demo.fundamentals import bp


@dataclass(frozen=True)
class DemoArticle:
    """An article as the templates see it: plain attributes, no database needed."""

    slug: str
    title: str
    author: str
    author_bio: str | None
    published: datetime
    tags: tuple[str, ...]
    comment_count: int
    body: str
    source_url: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The fields a script on the page may use, in JSON-friendly types."""
        return {
            "slug": self.slug,
            "title": self.title,
            "tags": list(self.tags),
            "commentCount": self.comment_count,
            "published": self.published.isoformat(),
        }


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        slug="template-inheritance",
        title="Template Inheritance in Practice",
        author="ada lovelace",
        author_bio="Writes about page layouts.",
        published=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        tags=("jinja", "layouts"),
        comment_count=1,
        body=(
            "A base template defines the page skeleton and named blocks; child templates "
            "extend it and override only the blocks that differ."
        ),
        source_url="https://jinja.palletsprojects.com/en/stable/templates/#template-inheritance",
    ),
    DemoArticle(
        slug="escaping-by-default",
        title="Escaping by Default",
        author="grace hopper",
        author_bio=None,
        published=datetime(2024, 5, 14, 16, 0, tzinfo=UTC),
        tags=("security", "jinja"),
        comment_count=0,
        body=(
            "Flask turns on autoescaping for .html templates, so <script> typed by a user "
            "reaches the browser as text, not as markup."
        ),
        source_url="https://owasp.org/www-community/attacks/xss/",
    ),
    DemoArticle(
        slug="filters-and-tests",
        title="Filters & Tests",
        author="alan turing",
        author_bio="",
        published=datetime(2024, 9, 2, 8, 15, tzinfo=UTC),
        tags=("jinja", "filters"),
        comment_count=12,
        body=(
            "Filters transform a value with a pipe, tests answer yes or no after `is`, and "
            "both are plain Python functions registered on the Jinja environment."
        ),
    ),
)

# (endpoint, label) pairs for the section navigation, injected by a context processor.
TEMPLATING_PAGES: tuple[tuple[str, str], ...] = (
    ("fundamentals.templating_index", "Articles"),
    ("fundamentals.templating_search", "Search"),
    ("fundamentals.templating_feedback", "Feedback"),
)

FEEDBACK_LIMITS: dict[str, int] = {"name": 60, "message": 1000}


def find_article(slug: str) -> DemoArticle | None:
    """The article with this slug, if there is one."""
    return next((article for article in ARTICLES if article.slug == slug), None)


def search_articles(query: str) -> list[DemoArticle]:
    """Articles whose title, body or tags contain `query`, ignoring case."""
    needle = query.lower()
    if not needle:
        return []
    return [
        article
        for article in ARTICLES
        if needle in article.title.lower()
        or needle in article.body.lower()
        or any(needle in tag for tag in article.tags)
    ]


def validate_feedback(form: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The trimmed field values and an error message per invalid field (none = valid)."""
    values = {field: form.get(field, "").strip() for field in FEEDBACK_LIMITS}
    errors = {}
    for field, limit in FEEDBACK_LIMITS.items():
        if not values[field]:
            errors[field] = f"{field.capitalize()} is required."
        elif len(values[field]) > limit:
            errors[field] = f"{field.capitalize()} must be at most {limit} characters."
    return values, errors


@bp.context_processor
def templating_navigation() -> dict[str, Any]:
    """Variables every template rendered by this blueprint's views receives without asking."""
    return {"templating_pages": TEMPLATING_PAGES}


@bp.get("/templates/")
def templating_index() -> str:
    """The article list: a macro per card, built-in and custom filters, url_for links."""
    return render_template("fundamentals/templating_index.html", articles=ARTICLES)


@bp.get("/templates/articles/<slug>")
def templating_article(slug: str) -> str:
    """One article: a child of the section layout, with its data handed to JS as JSON."""
    article = find_article(slug) or abort(404, description=f"No article {slug!r}.")
    return render_template("fundamentals/templating_article.html", article=article)


@bp.get("/templates/search")
def templating_search() -> str:
    """Echo the query back in text, an attribute and a script: all escaped for their context."""
    query = request.args.get("q", "").strip()
    return render_template(
        "fundamentals/templating_search.html", query=query, results=search_articles(query)
    )


@bp.route("/templates/feedback", methods=["GET", "POST"])
def templating_feedback() -> ResponseReturnValue:
    """A form handled by post/redirect/get; the outcome is reported with a flashed message.

    The demo keeps nothing it is sent: the point is the round trip, not the storage.
    """
    template = "fundamentals/templating_feedback.html"
    if request.method == "GET":
        return render_template(template, values=dict.fromkeys(FEEDBACK_LIMITS, ""), errors={})
    values, errors = validate_feedback(request.form)
    if errors:
        # Flashed and rendered in this same request, so it is not carried to the next page.
        flash("Please correct the errors below.", "error")
        # Re-render (no redirect) so the typed input survives; 422 says the POST failed.
        return render_template(template, values=values, errors=errors), 422
    flash(f"Thanks for your feedback, {values['name']}!", "success")
    # 303 tells the browser to GET the page, so reloading it does not send the form again.
    return redirect(url_for(".templating_feedback"), code=303)
