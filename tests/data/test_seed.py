"""`flask seed`: the demo data `make run` starts with, loaded idempotently."""

from __future__ import annotations

from sqlalchemy import select

from demo import create_app
from demo.auth.passwords import verify_password
from demo.data.seed import table_counts
from demo.models import Article, User

EXPECTED = {
    "roles": 3,
    "users": 3,
    "articles": 6,
    "tags": 5,
    "comments": 5,
    "follows": 3,
    "favorites": 5,
}


def test_seed_twice_adds_rows_once_and_says_so(runner, db):
    """The second run creates nothing: same row counts, every line reports 0 new."""
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert table_counts() == EXPECTED
    assert "users: 3 (3 new)" in first.output

    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    assert table_counts() == EXPECTED
    assert all(line.endswith("(0 new)") for line in second.output.splitlines()[:-1])
    assert second.output.splitlines()[-1].startswith("Nothing to do")


def test_seed_gives_each_role_a_user_with_a_known_dev_password(runner, db):
    """admin, editor and viewer exist with their role; their articles carry tags."""
    assert runner.invoke(args=["seed"]).exit_code == 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert {name: [r.name for r in u.roles] for name, u in users.items()} == {
        "admin": ["admin"],
        "editor": ["editor"],
        "viewer": ["viewer"],
    }
    assert verify_password("viewer-password", users["viewer"].password_hash)
    assert [u.username for u in users["viewer"].following] != []
    article = db.session.scalar(select(Article).where(Article.slug == "counting-queries"))
    assert [t.name for t in article.tags] == ["performance", "sqlalchemy", "testing"]
    assert len(article.comments) == 2 and len(article.favorited_by) == 2


def test_seed_refuses_to_run_in_production():
    """Known passwords must never reach a production database: the command exits with 2."""
    app = create_app(
        "production",
        SECRET_KEY="s" * 64,
        JWT_SECRET_KEY="j" * 64,
        SQLALCHEMY_DATABASE_URI="sqlite://",
    )
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 2
    assert "refusing to seed" in result.output
