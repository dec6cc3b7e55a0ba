"""The article pages (Q033, Q158, Q160): thin views over `demo.api.services`.

Writing needs only a logged-in account, not the editor role: in Conduit anyone may publish.

Every write is a POST carrying a CSRF token (checked app-wide by `CSRFProtect`), and every
successful one flashes a message and redirects with 303 (Post/Redirect/Get). A refused form
re-renders its page with the messages next to the fields and a 422. The services raise
`ServiceError`s; `service_refused` turns them into the site's error page (404 for an unknown
article or comment, 403 for someone else's).

Article bodies are shown as text: autoescaped, split into paragraphs and lines by the
template, never marked safe, so a ``<script>`` in a body is shown, not run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required, login_url
from werkzeug.wrappers import Response

from demo.api import services
from demo.api.schemas import MAX_OFFSET
from demo.articles import bp
from demo.articles.forms import ArticleForm, CommentForm
from demo.errors import error_response
from demo.extensions import login_manager
from demo.models import User

PAGE_SIZE = 10
LAST_PAGE = MAX_OFFSET // PAGE_SIZE  # beyond it, OFFSET would overflow the database's integer
PAGE_LINKS_AROUND = 2  # page links shown either side of the current page
SIDEBAR_TAGS = 20
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def _me() -> User:
    # The real object behind the proxy: the services hand it to SQLAlchemy.
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _viewer() -> User | None:
    return _me() if current_user.is_authenticated else None


def login_to_act(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """`login_required` for the POST-only actions on an article, coming back to the article.

    Flask-Login's own `login_required` would put the action's URL in ``?next=``, and after
    logging in the browser would GET a URL that only accepts POST: a 405 instead of the page.
    """

    @wraps(view)
    def wrapper(slug: str, **kwargs: Any) -> ResponseReturnValue:
        if current_user.is_authenticated:
            return view(slug, **kwargs)
        flash(login_manager.login_message, login_manager.login_message_category)
        article = url_for(".show", slug=slug)
        return redirect(login_url(login_manager.login_view, next_url=article), 303)

    return wrapper


@bp.errorhandler(services.ServiceError)
def service_refused(error: services.ServiceError) -> Response:
    """The error page for what the services refuse, in the reader's language where known."""
    messages = {
        404: gettext("There is no such article or comment."),
        403: gettext("Only its author may change or delete this."),
    }
    return error_response(error.status, messages.get(error.status, error.detail))


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs (split at blank lines), each a list of its lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return [block.split("\n") for block in _BLANK_LINES.split(text) if block.strip()]


def page_numbers(page: int, pages: int) -> range:
    """The page links to show: the current page and a few either side."""
    return range(max(1, page - PAGE_LINKS_AROUND), min(pages, page + PAGE_LINKS_AROUND) + 1)


# --- Reading -----------------------------------------------------------------------------


@bp.get("")
def index() -> ResponseReturnValue:
    """Every article, newest first, a page at a time; ``?tag=`` and ``?author=`` filter."""
    tag = request.args.get("tag", "").strip() or None
    author = request.args.get("author", "").strip() or None
    if "\x00" in f"{tag}{author}":  # PostgreSQL cannot even compare text holding U+0000
        abort(400, description=gettext("A filter may not contain a NUL character (U+0000)."))
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= LAST_PAGE:
        abort(404)
    result = services.list_articles(
        _viewer(), tag=tag, author=author, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    if page > pages:
        abort(404)
    return render_template(
        "articles/index.html",
        rows=result.rows,
        total=result.total,
        tag=tag,
        author=author,
        page=page,
        pages=pages,
        page_numbers=page_numbers(page, pages),
        tags=services.popular_tags()[:SIDEBAR_TAGS],
    )


def _article_page(slug: str, comment_form: CommentForm | None = None) -> ResponseReturnValue:
    viewer = _viewer()
    row = services.get_article(slug, viewer)
    page = render_template(
        "articles/detail.html",
        row=row,
        body=paragraphs(row.article.body),
        comments=services.list_comments(slug, viewer),
        comment_form=comment_form or CommentForm(),
        paragraphs=paragraphs,
    )
    return page, 422 if comment_form is not None and comment_form.errors else 200


@bp.get("/<slug>")
def show(slug: str) -> ResponseReturnValue:
    """One article with its comments; forms to favourite and comment for signed-in users."""
    return _article_page(slug)


# --- Writing -----------------------------------------------------------------------------


def _form_page(form: ArticleForm, *, heading: str, action: str, button: str) -> tuple[str, int]:
    status = 422 if form.errors else 200
    return render_template(
        "articles/form.html", form=form, heading=heading, action=action, button=button
    ), status


def _fields(form: ArticleForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "description": form.description.data,
        "body": form.body.data,
        "tag_list": form.tags.data,
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Write an article; any signed-in user may publish."""
    form = ArticleForm()
    if form.validate_on_submit():
        row = services.create_article(_me(), **_fields(form))
        flash(gettext("Article published."), "success")
        return redirect(url_for(".show", slug=row.article.slug), 303)
    return _form_page(
        form,
        heading=gettext("New article"),
        action=url_for(".new"),
        button=gettext("Publish article"),
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str) -> ResponseReturnValue:
    """Change an article (its author only); a new title gives it a new slug."""
    me = _me()
    row = services.get_article(slug, me)
    # The service checks again when saving; this keeps others from even seeing the form.
    if row.article.author_id != me.id:
        raise services.ForbiddenError("only the author may change this article")
    article = row.article
    form = ArticleForm(
        title=article.title, description=article.description, body=article.body, tags=row.tag_names
    )
    if form.validate_on_submit():
        row = services.update_article(me, slug, _fields(form))
        flash(gettext("Article updated."), "success")
        return redirect(url_for(".show", slug=row.article.slug), 303)
    return _form_page(
        form,
        heading=gettext("Edit article"),
        action=url_for(".edit", slug=slug),
        button=gettext("Save changes"),
    )


@bp.post("/<slug>/delete")
@login_to_act
def delete(slug: str) -> ResponseReturnValue:
    """Delete an article (its author only), its comments and favourites with it."""
    services.delete_article(_me(), slug)
    flash(gettext("Article deleted."), "success")
    return redirect(url_for(".index"), 303)


# --- Favourites and follows --------------------------------------------------------------


@bp.post("/<slug>/favorite")
@login_to_act
def favorite(slug: str) -> ResponseReturnValue:
    """Favourite an article; doing it twice changes nothing."""
    services.favorite(_me(), slug)
    flash(gettext("Added to your favourites."), "success")
    return redirect(url_for(".show", slug=slug), 303)


@bp.post("/<slug>/unfavorite")
@login_to_act
def unfavorite(slug: str) -> ResponseReturnValue:
    """Remove an article from the reader's favourites."""
    services.unfavorite(_me(), slug)
    flash(gettext("Removed from your favourites."), "success")
    return redirect(url_for(".show", slug=slug), 303)


@bp.post("/<slug>/follow")
@login_to_act
def follow_author(slug: str) -> ResponseReturnValue:
    """Follow the article's author (following yourself is refused by the service: 422)."""
    me = _me()
    profile = services.follow(me, services.get_article(slug, me).author.user.username)
    flash(gettext("You now follow %(name)s.", name=profile.user.username), "success")
    return redirect(url_for(".show", slug=slug), 303)


@bp.post("/<slug>/unfollow")
@login_to_act
def unfollow_author(slug: str) -> ResponseReturnValue:
    """Stop following the article's author."""
    me = _me()
    profile = services.unfollow(me, services.get_article(slug, me).author.user.username)
    flash(gettext("You no longer follow %(name)s.", name=profile.user.username), "success")
    return redirect(url_for(".show", slug=slug), 303)


# --- Comments ----------------------------------------------------------------------------


@bp.post("/<slug>/comments")
@login_to_act
def add_comment(slug: str) -> ResponseReturnValue:
    """Comment on an article; an empty comment re-renders the page with a 422."""
    form = CommentForm()
    if not form.validate_on_submit():
        return _article_page(slug, comment_form=form)
    row = services.add_comment(_me(), slug, form.body.data)
    flash(gettext("Comment added."), "success")
    return redirect(url_for(".show", slug=slug, _anchor=f"comment-{row.comment.id}"), 303)


@bp.post("/<slug>/comments/<int:comment_id>/delete")
@login_to_act
def delete_comment(slug: str, comment_id: int) -> ResponseReturnValue:
    """Delete a comment (its author only)."""
    services.delete_comment(_me(), slug, comment_id)
    flash(gettext("Comment deleted."), "success")
    return redirect(url_for(".show", slug=slug, _anchor="comments"), 303)
