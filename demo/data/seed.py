"""`flask seed`: demo users, articles, tags, comments, follows and favourites (Q059).

Idempotent: every row is looked up by its natural key (role name, username, slug, tag
name, comment text) before it is created, so running the command again adds nothing and
`make run` can call it on every start. It refuses to run with the production config.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from demo.auth.passwords import hash_password
from demo.extensions import db
from demo.models import ROLE_NAMES, Article, Comment, Role, Tag, User, favorites, follows, utcnow


@dataclass(frozen=True)
class SeedUser:
    username: str
    role: str
    bio: str


@dataclass(frozen=True)
class SeedArticle:
    slug: str
    title: str
    description: str
    body: str
    author: str
    tags: tuple[str, ...]
    days_old: int


USERS = (
    SeedUser("admin", "admin", "Keeps the site running."),
    SeedUser("editor", "editor", "Edits what gets published."),
    SeedUser("viewer", "viewer", "Reads everything, writes comments."),
)

ARTICLES = (
    SeedArticle(
        "one-session-per-request",
        "One session per request",
        "How Flask-SQLAlchemy scopes a session to the app context.",
        "The session is created on first use and removed at teardown, commit or not.",
        "admin",
        ("flask", "sqlalchemy"),
        6,
    ),
    SeedArticle(
        "counting-queries",
        "Counting queries in tests",
        "Catch N+1 problems before production does.",
        "Listen to before_cursor_execute and assert the count stays flat.",
        "editor",
        ("sqlalchemy", "testing", "performance"),
        5,
    ),
    SeedArticle(
        "keyset-pagination",
        "Keyset pagination",
        "Why OFFSET gets slower on every page.",
        "Seek from the last row seen with a composite index instead of skipping rows.",
        "editor",
        ("sqlalchemy", "performance"),
        4,
    ),
    SeedArticle(
        "bound-parameters",
        "Bound parameters, always",
        "text() with :names keeps SQL injection out.",
        "Values travel separately from the SQL text, so quotes in them are just data.",
        "admin",
        ("security", "sqlalchemy"),
        3,
    ),
    SeedArticle(
        "migrations-in-ci",
        "Migrations in CI",
        "Upgrade, downgrade, upgrade, and check.",
        "A migration that cannot be reversed or drifts from the models fails the build.",
        "editor",
        ("flask", "testing"),
        2,
    ),
    SeedArticle(
        "factory-and-extensions",
        "The factory and its extensions",
        "init_app keeps extension objects free of any one app.",
        "Extensions are created once at import and bound to each app the factory builds.",
        "admin",
        ("flask",),
        1,
    ),
)

COMMENTS = (
    ("one-session-per-request", "viewer", "Teardown doing the cleanup is the key bit."),
    ("counting-queries", "admin", "We caught three N+1s with this in one afternoon."),
    ("counting-queries", "viewer", "Does it count lazy loads too? (Yes: every statement.)"),
    ("keyset-pagination", "viewer", "The tie-breaker column is easy to forget."),
    ("bound-parameters", "editor", "Identifiers still need a whitelist."),
)

FOLLOWS = (("viewer", "editor"), ("viewer", "admin"), ("editor", "admin"))

FAVORITES = (
    ("viewer", "counting-queries"),
    ("viewer", "keyset-pagination"),
    ("viewer", "bound-parameters"),
    ("editor", "one-session-per-request"),
    ("admin", "counting-queries"),
)


Named = TypeVar("Named", Role, Tag)


def _get_or_create(model: type[Named], created: Counter[str], **key: str) -> Named:
    instance = db.session.scalar(select(model).filter_by(**key))
    if instance is None:
        instance = model(**key)
        db.session.add(instance)
        created[model.__tablename__] += 1
    return instance


def seed_demo_data() -> Counter[str]:
    """Insert whatever demo rows are missing, commit, and count what was created."""
    created: Counter[str] = Counter()
    roles = {name: _get_or_create(Role, created, name=name) for name in ROLE_NAMES}

    users: dict[str, User] = {}
    for spec in USERS:
        user = db.session.scalar(select(User).filter_by(username=spec.username))
        if user is None:
            user = User(
                username=spec.username,
                email=f"{spec.username}@example.com",
                # Development-only password: "<username>-password", bcrypt-hashed like
                # every other password (Q047), so the demo users can log in at /auth/login.
                password_hash=hash_password(f"{spec.username}-password"),
                bio=spec.bio,
            )
            db.session.add(user)
            created["users"] += 1
        if roles[spec.role] not in user.roles:
            user.roles.append(roles[spec.role])
        users[spec.username] = user

    articles: dict[str, Article] = {}
    for spec in ARTICLES:
        article = db.session.scalar(select(Article).filter_by(slug=spec.slug))
        if article is None:
            stamp = utcnow() - timedelta(days=spec.days_old)
            article = Article(
                slug=spec.slug,
                title=spec.title,
                description=spec.description,
                body=spec.body,
                author=users[spec.author],
                created_at=stamp,
                updated_at=stamp,
                tags=[_get_or_create(Tag, created, name=name) for name in spec.tags],
            )
            db.session.add(article)
            created["articles"] += 1
        articles[spec.slug] = article

    for slug, username, body in COMMENTS:
        article, author = articles[slug], users[username]
        if not any(c.author is author and c.body == body for c in article.comments):
            article.comments.append(Comment(author=author, body=body))
            created["comments"] += 1

    for follower, followed in FOLLOWS:
        if users[followed] not in users[follower].following:
            users[follower].following.append(users[followed])
            created["follows"] += 1

    for username, slug in FAVORITES:
        if articles[slug] not in users[username].favorites:
            users[username].favorites.append(articles[slug])
            created["favorites"] += 1

    db.session.commit()
    return created


def table_counts() -> dict[str, int]:
    """Rows per seeded table, for the command's summary."""
    tables = {
        "roles": Role.__table__,
        "users": User.__table__,
        "articles": Article.__table__,
        "tags": Tag.__table__,
        "comments": Comment.__table__,
        "follows": follows,
        "favorites": favorites,
    }
    return {
        name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in tables.items()
    }


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the demo data (safe to run again: only missing rows are added)."""
    if current_app.config["CONFIG_NAME"] == "production":
        raise click.UsageError("refusing to seed demo users with known passwords in production")
    created = seed_demo_data()
    for name, total in table_counts().items():
        click.echo(f"{name}: {total} ({created[name]} new)")
    if not created:
        click.echo("Nothing to do: the demo data was already there.")
