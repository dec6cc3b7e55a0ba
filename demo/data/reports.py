"""A report in raw SQL: how many articles use each tag (Q095, Q148).

Written with `text()` because a report is where hand-written SQL earns its keep. Every
value arrives as a bound parameter (``:author``, ``:min_articles``): the driver sends it
separately from the SQL text, so it is only ever compared as data, never parsed as SQL.
Identifiers (table and column names) cannot be parameters; they are fixed here.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Integer, String, bindparam, text

from demo.extensions import db

TAG_COUNTS_SQL = (
    text(
        """
        SELECT t.name AS tag, COUNT(*) AS article_count
        FROM tags AS t
        JOIN article_tags AS link ON link.tag_id = t.id
        JOIN articles AS a ON a.id = link.article_id
        JOIN users AS u ON u.id = a.author_id
        WHERE u.username = COALESCE(:author, u.username)
        GROUP BY t.name
        HAVING COUNT(*) >= :min_articles
        ORDER BY article_count DESC, t.name
        """
    )
    # Typed parameters and result columns: values convert exactly as ORM columns do.
    .bindparams(bindparam("author", type_=String), bindparam("min_articles", type_=Integer))
    .columns(tag=String, article_count=Integer)
)


class TagCount(NamedTuple):
    """One report row."""

    tag: str
    article_count: int


def tag_counts(author: str | None = None, min_articles: int = 1) -> list[TagCount]:
    """Tags by number of articles, optionally only `author`'s articles (None: everyone's)."""
    result = db.session.execute(TAG_COUNTS_SQL, {"author": author, "min_articles": min_articles})
    return [TagCount(row.tag, row.article_count) for row in result]
