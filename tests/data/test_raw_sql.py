"""Raw SQL with text() and bound parameters: a real report, and injection attempts as data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, select, text

from demo.data.instrumentation import count_statements
from demo.data.reports import TagCount, tag_counts
from demo.models import Tag
from tests.data.builders import make_article, make_user

DEMO_PACKAGE = Path(__file__).resolve().parents[2] / "demo"
PAYLOADS = ["' OR '1'='1", "x'; DROP TABLE tags; --", "ann' --"]


@pytest.fixture
def blog(db):
    """Two authors: ann uses flask twice and orm once, o'brien (a real quote) uses flask."""
    ann, obrien = make_user("ann"), make_user("o'brien", email="ob@example.test")
    make_article(ann, "a1", tags=["flask", "orm"])
    make_article(ann, "a2", tags=["flask"])
    make_article(obrien, "o1", tags=["flask"])
    db.session.commit()


@pytest.mark.answers("Q148")
def test_tag_report_counts_articles_per_tag(blog):
    """The text() report groups, filters by author and applies the HAVING threshold."""
    assert tag_counts() == [TagCount("flask", 3), TagCount("orm", 1)]
    assert tag_counts(author="ann") == [TagCount("flask", 2), TagCount("orm", 1)]
    assert tag_counts(min_articles=2) == [TagCount("flask", 3)]


@pytest.mark.answers("Q095", "Q148")
@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payload_is_compared_as_data(db, blog, payload):
    """A payload matches no username, changes no SQL and drops nothing."""
    with count_statements(db.engine) as log:
        assert tag_counts(author=payload) == []
    (statement,), (parameters,) = log.statements, log.parameters
    assert payload not in statement  # the SQL text holds only a placeholder
    assert payload in str(parameters)  # the value travelled separately
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 2


@pytest.mark.answers("Q095")
def test_a_quote_in_real_data_just_works(blog):
    """Binding is not escaping by hand: a username containing ' is matched exactly."""
    assert tag_counts(author="o'brien") == [TagCount("flask", 1)]


@pytest.mark.answers("Q095")
def test_string_formatted_sql_is_injectable_anti_pattern(db, blog):
    """ANTI-PATTERN: pasting the value into the SQL lets the payload rewrite the WHERE clause."""
    payload = "' OR '1'='1"
    unsafe = text(f"SELECT COUNT(*) FROM users WHERE username = '{payload}'")
    assert db.session.scalar(unsafe) == 2  # every user, not the zero that match
    safe = text("SELECT COUNT(*) FROM users WHERE username = :name")
    assert db.session.scalar(safe, {"name": payload}) == 0


@pytest.mark.answers("Q148")
def test_expanding_bindparam_handles_an_in_list(db, blog):
    """An IN list is one expanding parameter, rendered as one placeholder per value."""
    query = text("SELECT name FROM tags WHERE name IN :names ORDER BY name").bindparams(
        bindparam("names", expanding=True)
    )
    with count_statements(db.engine) as log:
        names = db.session.scalars(query, {"names": ["orm", "flask", "nope') OR ('1'='1"]}).all()
    assert names == ["flask", "orm"]
    assert "nope" not in log.statements[0]


@pytest.mark.answers("Q148")
def test_raw_sql_shares_the_orm_session_transaction(db):
    """session.execute(text(...)) runs in the session's transaction: rollback undoes it too."""
    db.session.execute(text("INSERT INTO tags (name) VALUES (:name)"), {"name": "raw"})
    assert db.session.scalar(select(Tag.name)) == "raw"  # the ORM sees it (same transaction)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 0


def computed_sql_lines(source: str) -> list[int]:
    """Lines calling text()/exec_driver_sql() with a non-literal, or execute() with built SQL."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        first = node.args[0]
        built = isinstance(first, ast.JoinedStr | ast.BinOp) or (
            isinstance(first, ast.Call) and getattr(first.func, "attr", "") == "format"
        )
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        if (name in {"text", "exec_driver_sql"} and not literal) or (name == "execute" and built):
            lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.answers("Q095", "Q148")
def test_no_string_built_sql_anywhere_in_the_app():
    """Every text()/exec_driver_sql() in demo/ takes a literal; no SQL is built from strings."""
    findings = {
        str(path.relative_to(DEMO_PACKAGE.parent)): lines
        for path in sorted(DEMO_PACKAGE.rglob("*.py"))
        if (lines := computed_sql_lines(path.read_text(encoding="utf-8")))
    }
    assert not findings, findings


def test_the_source_check_flags_formatted_sql():
    """The check above really fails on f-strings, concatenation and str.format."""
    source = (
        "text(f'SELECT {x}')\n"
        "conn.exec_driver_sql('SELECT ' + x)\n"
        "session.execute('SELECT {}'.format(x))\n"
        "text('SELECT 1')\n"
        "session.execute(query, {'x': x})\n"
    )
    assert computed_sql_lines(source) == [1, 2, 3]
