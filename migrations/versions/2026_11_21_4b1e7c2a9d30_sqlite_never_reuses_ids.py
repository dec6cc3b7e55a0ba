"""SQLite: AUTOINCREMENT on every table with an integer id, so an id is never reused.

Written by hand: autogenerate does not compare table options. Without AUTOINCREMENT SQLite
gives a new row the largest id plus one, so after the newest user is deleted the next one
to register gets the same id, and the deleted user's unexpired tokens and session cookies,
which name their user by id, sign in as the newcomer. SQLite can only add the keyword by
rebuilding the table (batch mode, `recreate="always"`); migrations/env.py turns foreign-key
enforcement off for the run, so dropping the old table cascades into nothing. PostgreSQL's
sequences never hand out an id twice: nothing to do there.

Revision ID: 4b1e7c2a9d30
Revises: 76ec8586c681
Create Date: 2026-11-21 13:45:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '4b1e7c2a9d30'
down_revision = '76ec8586c681'
branch_labels = None
depends_on = None

TABLES = (
    "roles",
    "users",
    "tags",
    "articles",
    "comments",
    "api_keys",
    "oauth_accounts",
    "uploaded_files",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)
