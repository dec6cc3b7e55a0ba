"""The Conduit models: relationships, constraints enforced by the database, timestamps."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import DeclarativeBase

from demo import create_app
from demo.extensions import Base
from demo.models import (
    ApiKey,
    Article,
    Comment,
    Role,
    Tag,
    UploadedFile,
    User,
    article_tags,
    favorites,
    follows,
    user_roles,
    utcnow,
)
from tests.data.builders import make_article, make_user


def count(db, table) -> int:
    """Rows in a table or a model's table, straight from the database."""
    table = getattr(table, "__table__", table)
    return db.session.scalar(select(func.count()).select_from(table))


@pytest.mark.answers("Q057", "Q075", "Q146")
def test_models_are_typed_declarative_classes_on_db_model(db):
    """db.Model is a SQLAlchemy 2.0 DeclarativeBase sharing the project metadata; columns typed."""
    assert issubclass(db.Model, DeclarativeBase)
    assert db.metadata is Base.metadata is User.metadata
    assert User.__annotations__["bio"] == "Mapped[str | None]"
    columns = User.__table__.c
    assert columns.email.unique and not columns.email.nullable
    assert columns.bio.nullable and columns.image.nullable
    assert [fk.target_fullname for fk in Article.__table__.c.author_id.foreign_keys] == ["users.id"]


@pytest.mark.answers("Q146")
def test_one_to_many_article_comments_both_directions(db):
    """Appending to article.comments sets comment.article and the foreign key on flush."""
    author = make_user("ann")
    article = make_article(author, "first")
    comment = Comment(body="Nice", author=author)
    article.comments.append(comment)
    db.session.flush()
    assert comment.article is article
    assert comment.article_id == article.id
    assert author.comments == [comment]


@pytest.mark.answers("Q146")
def test_many_to_many_tags_are_shared_between_articles(db):
    """One Tag row serves many articles through the article_tags association table."""
    author = make_user("ann")
    make_article(author, "one", tags=["flask", "orm"])
    make_article(author, "two", tags=["flask"])
    db.session.commit()
    flask_tag = db.session.scalar(select(Tag).where(Tag.name == "flask"))
    assert sorted(a.slug for a in flask_tag.articles) == ["one", "two"]
    assert count(db, Tag) == 2
    assert count(db, article_tags) == 3


@pytest.mark.answers("Q146")
def test_self_referential_follows_has_two_directions(db):
    """`following` and `followers` are the two sides of one users-to-users table."""
    ann, bob, cid = make_user("ann"), make_user("bob"), make_user("cid")
    ann.following.extend([bob, cid])
    bob.following.append(cid)
    db.session.commit()
    assert sorted(u.username for u in cid.followers) == ["ann", "bob"]
    assert bob.followers == [ann]
    assert count(db, follows) == 3


@pytest.mark.answers("Q146")
def test_roles_are_many_to_many_with_users(db):
    """A user can hold several roles and a role belongs to many users."""
    admin, viewer = Role(name="admin"), Role(name="viewer")
    ann, bob = make_user("ann", roles=[admin, viewer]), make_user("bob", roles=[viewer])
    db.session.commit()
    assert ann.has_role("admin") and not bob.has_role("admin")
    assert sorted(u.username for u in viewer.users) == ["ann", "bob"]
    assert count(db, user_roles) == 3


@pytest.mark.answers("Q146")
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"username": "ann", "email": "a@x.io"}, {"username": "ann", "email": "b@x.io"}),
        ({"username": "ann", "email": "a@x.io"}, {"username": "bob", "email": "a@x.io"}),
        ({"username": "ann", "email": "a@x.io"}, {"username": "bob", "email": " A@X.io"}),
    ],
    ids=["username", "email", "email-differently-spelled"],
)
def test_unique_user_fields_are_enforced_by_the_database(db, first, second):
    """A second user with the same username or email is refused by a UNIQUE constraint."""
    db.session.add(User(password_hash="h", **first))
    db.session.commit()
    db.session.add(User(password_hash="h", **second))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count(db, User) == 1


@pytest.mark.answers("Q146")
def test_unique_slug_is_enforced_by_the_database(db):
    """Two articles cannot share a slug, even written by different authors."""
    make_article(make_user("ann"), "same-slug")
    db.session.commit()
    make_article(make_user("bob"), "same-slug")
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.answers("Q074", "Q146")
def test_foreign_keys_are_enforced_on_every_backend(db):
    """A comment pointing at a missing article is refused (SQLite too, via PRAGMA)."""
    author = make_user("ann")
    db.session.flush()
    db.session.add(Comment(body="orphan", author_id=author.id, article_id=999_999))
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.answers("Q074")
def test_every_table_with_an_integer_id_never_reuses_ids_on_sqlite(db):
    """Each such table carries AUTOINCREMENT on SQLite, where ids are otherwise reused."""
    surrogate = [
        table
        for table in db.metadata.sorted_tables
        if len(table.primary_key.columns) == 1
        and table.primary_key.columns[0].type.python_type is int
    ]
    assert {t.name for t in surrogate} >= {"users", "comments", "articles", "api_keys"}
    for table in surrogate:
        assert table.dialect_options["sqlite"]["autoincrement"] is True, table.name


@pytest.mark.answers("Q146")
def test_a_user_cannot_follow_themselves(db):
    """The CHECK constraint on follows refuses a self-follow."""
    ann = make_user("ann")
    ann.following.append(ann)
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.answers("Q146")
def test_deleting_a_user_cascades_in_the_database(db):
    """A bare DELETE of a user removes their articles, comments, keys, files and links."""
    ann, bob = make_user("ann"), make_user("bob")
    ann.roles.append(Role(name="editor"))
    ann.following.append(bob)
    bob.following.append(ann)
    article = make_article(ann, "by-ann", tags=["flask"], favorited_by=[bob])
    bobs = make_article(bob, "by-bob", favorited_by=[ann])
    article.comments.append(Comment(body="self", author=ann))
    bobs.comments.append(Comment(body="ann was here", author=ann))
    ann.api_keys.append(ApiKey(name="ci", prefix="abc123", key_hash="h"))
    ann.uploads.append(
        UploadedFile(
            stored_name="f1", original_name="a.png", content_type="image/png", size=1, sha256="0"
        )
    )
    db.session.commit()

    # Core DELETE: no ORM cascade runs, so only ON DELETE CASCADE can remove the rest.
    db.session.execute(delete(User).where(User.username == "ann"))
    db.session.commit()

    assert db.session.scalars(select(Article.slug)).all() == ["by-bob"]
    for table in (Comment, ApiKey, UploadedFile, follows, favorites, user_roles):
        assert count(db, table) == 0, table
    assert count(db, Tag) == 1 and count(db, Role) == 1  # shared rows stay


@pytest.mark.answers("Q146")
def test_deleting_an_article_removes_its_comments_tags_links_and_favourites(db):
    """ORM delete of an article leaves the deletes to the database (passive_deletes)."""
    ann = make_user("ann")
    article = make_article(ann, "gone", tags=["flask"], favorited_by=[ann])
    article.comments.append(Comment(body="c", author=ann))
    db.session.commit()
    db.session.delete(article)
    db.session.commit()
    assert [count(db, t) for t in (Comment, article_tags, favorites)] == [0, 0, 0]
    assert count(db, Tag) == 1 and count(db, User) == 1


@pytest.mark.answers("Q074", "Q146")
def test_timestamps_are_set_by_a_callable_and_come_back_aware_utc(db):
    """created_at/updated_at come from `utcnow()` at INSERT and read back as aware UTC."""
    columns = User.__table__.c
    assert columns.created_at.default.is_callable and columns.updated_at.onupdate.is_callable
    before = utcnow()
    make_user("ann")
    db.session.commit()
    after = utcnow()
    db.session.expunge_all()  # read back from the database, not the identity map
    ann = db.session.scalar(select(User))
    assert ann.created_at.tzinfo is UTC and ann.updated_at.tzinfo is UTC
    assert before <= ann.created_at <= after


@pytest.mark.answers("Q146")
def test_updated_at_moves_on_update_and_created_at_stays(db):
    """An UPDATE runs the onupdate callable; the insert time is left alone."""
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    ann = make_user("ann", created_at=long_ago, updated_at=long_ago)
    db.session.commit()
    ann.bio = "changed"
    db.session.commit()
    db.session.expunge_all()
    ann = db.session.scalar(select(User))
    assert ann.created_at == long_ago
    assert ann.updated_at > long_ago + timedelta(days=365)


@pytest.mark.answers("Q074")
def test_other_offsets_are_stored_as_the_same_instant_in_utc(db):
    """A +02:00 datetime is converted, so both backends return the same UTC instant."""
    berlin = datetime(2024, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    make_user("ann", created_at=berlin, updated_at=berlin)
    db.session.commit()
    db.session.expunge_all()
    stored = db.session.scalar(select(User.created_at))
    assert stored == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert stored.tzinfo is UTC


@pytest.mark.answers("Q074")
def test_naive_datetimes_are_refused(db):
    """A naive datetime is ambiguous, so it is rejected instead of silently guessed."""
    make_user("ann", created_at=datetime(2024, 1, 1), updated_at=utcnow())
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()


@pytest.mark.answers("Q147")
def test_every_foreign_key_and_the_list_sort_are_indexed(db):
    """Each FK column leads some index (or the primary key); articles' sort has its own."""
    inspector = inspect(db.engine)
    unindexed = []
    for table in inspector.get_table_names():
        leading = {tuple(ix["column_names"][:1]) for ix in inspector.get_indexes(table)}
        leading |= {tuple(uq["column_names"][:1]) for uq in inspector.get_unique_constraints(table)}
        leading.add(tuple(inspector.get_pk_constraint(table)["constrained_columns"][:1]))
        for fk in inspector.get_foreign_keys(table):
            if tuple(fk["constrained_columns"][:1]) not in leading:
                unindexed.append(f"{table}.{fk['constrained_columns']}")
    assert not unindexed
    article_indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("articles")}
    assert article_indexes["ix_articles_created_at_id"] == ["created_at", "id"]


@pytest.mark.answers("Q079")
def test_constraints_are_named_by_the_naming_convention(db):
    """Reflected constraint names follow ix/uq/fk/pk patterns, so migrations can target them."""
    inspector = inspect(db.engine)
    uniques = {uq["name"] for uq in inspector.get_unique_constraints("users")}
    assert uniques == {"uq_users_email", "uq_users_username"}
    fks = {fk["name"] for fk in inspector.get_foreign_keys("comments")}
    assert fks == {"fk_comments_article_id_articles", "fk_comments_author_id_users"}
    # A link table's: SQLite writes an AUTOINCREMENT key inline, where it has no name.
    assert inspector.get_pk_constraint("follows")["name"] == "pk_follows"
    checks = {ck["name"] for ck in inspector.get_check_constraints("follows")}
    assert checks == {"ck_follows_not_self"}


@pytest.mark.answers("Q074")
def test_the_suite_runs_on_the_database_test_database_url_names(db):
    """SQLite in memory by default; PostgreSQL (psycopg 3) when TEST_DATABASE_URL says so."""
    url = db.engine.url
    if os.environ.get("TEST_DATABASE_URL"):
        assert (url.get_backend_name(), url.get_driver_name()) == ("postgresql", "psycopg")
    else:
        assert url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


@pytest.mark.answers("Q057", "Q075")
def test_one_db_object_serves_many_apps_each_with_its_own_engine(db, app):
    """init_app keeps per-app state: each app has its own engine, and db.session uses it."""
    other = create_app("testing")
    assert app.extensions["sqlalchemy"] is db and other.extensions["sqlalchemy"] is db
    first_engine = db.engine
    assert db.session.get_bind() is first_engine
    with other.app_context():
        assert db.engine is not first_engine
        assert db.session.get_bind() is db.engine
