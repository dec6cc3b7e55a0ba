"""Tell authors about new comments on their articles, live (Q070, Q121).

The comment code does not call the notifier: it announces a new comment with a blinker
signal and whoever cares subscribes. The signal is a *named* one in blinker's default
namespace, looked up by its name, so the sender needs no import from this package (real time
stays an optional add-on to the API); the ``flaskproof.`` prefix keeps the global name from
clashing with another library's::

    signal("flaskproof.comment-created").send(current_app._get_current_object(), comment=c)

sent after the comment is committed, so nobody is told about a comment that was rolled back.
"""

from __future__ import annotations

from typing import Any

from blinker import signal

from demo.models import Comment
from demo.websockets.events import COMMENT_EVENT, notify_user

comment_created = signal(
    "flaskproof.comment-created", doc="Sent with `comment` once it is committed."
)

PREVIEW_LENGTH = 200


@comment_created.connect
def notify_article_author(sender: Any, comment: Comment, **extra: Any) -> None:
    """Push `comment` to the article's author, unless they wrote it themselves."""
    article = comment.article
    if comment.author_id == article.author_id:
        return
    notify_user(
        article.author_id,
        COMMENT_EVENT,
        {
            "article": article.slug,
            "title": article.title,
            "comment_id": comment.id,
            "author": comment.author.username,
            "body": comment.body[:PREVIEW_LENGTH],
        },
    )
