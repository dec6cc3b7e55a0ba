"""Passwords are stored as bcrypt hashes only, never as text, and get stronger over time (Q047)."""

from __future__ import annotations

import logging

import bcrypt
import pytest
from sqlalchemy import select

from demo.auth.passwords import (
    MAX_PASSWORD_BYTES,
    PasswordTooLongError,
    hash_password,
    hash_rounds,
    needs_rehash,
    verify_password,
)
from demo.extensions import db
from demo.models import User
from tests.support.accounts import csrf_token_in

pytestmark = pytest.mark.answers("Q047")

# Distinctive enough that finding it anywhere can only mean it leaked.
PLAINTEXT = "Plaintext-Canary-6f1d9a"


def test_hashes_are_bcrypt_at_the_configured_work_factor(app):
    """`$2b$<rounds>$` + 22 salt + 31 hash characters; the rounds follow BCRYPT_LOG_ROUNDS."""
    stored = hash_password("s3cret-enough")
    assert stored.startswith("$2b$04$") and len(stored) == 60  # the testing config: 4
    app.config["BCRYPT_LOG_ROUNDS"] = 6
    assert hash_rounds(hash_password("s3cret-enough")) == 6


def test_production_defaults_to_a_work_factor_of_at_least_12(make_app):
    """Each extra round doubles an attacker's cost; 12 is the floor outside tests."""
    production = make_app(
        "production",
        SECRET_KEY="k" * 64,
        JWT_SECRET_KEY="j" * 64,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SESSION_BACKEND="cookie",
    )
    assert production.config["BCRYPT_LOG_ROUNDS"] >= 12


def test_each_hash_has_its_own_salt_and_verifies(app):
    """The same password hashes differently every time, and both hashes verify it."""
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    assert verify_password("same password", first) and verify_password("same password", second)
    assert not verify_password("Same password", first)


@pytest.mark.parametrize(
    ("password", "allowed"),
    [
        ("a" * 72, True),
        ("a" * 73, False),
        ("é" * 36, True),  # 36 characters, 72 bytes
        ("é" * 37, False),  # 37 characters, 74 bytes: short in characters, too long in bytes
        ("🔑" * 18, True),  # 4 bytes each: 72
        ("🔑" * 19, False),
    ],
    ids=["72-ascii", "73-ascii", "36-accented", "37-accented", "18-emoji", "19-emoji"],
)
def test_the_72_byte_limit_is_counted_in_utf8_bytes(app, password, allowed):
    """bcrypt reads at most 72 bytes; longer passwords are refused, not silently cut."""
    assert (len(password.encode()) <= MAX_PASSWORD_BYTES) is allowed
    if allowed:
        assert verify_password(password, hash_password(password))
    else:
        with pytest.raises(PasswordTooLongError, match="at most 72 bytes"):
            hash_password(password)


def test_why_the_limit_is_checked_explicitly(app):
    """bcrypt 5 itself raises on long input, and older versions ignored everything after byte 72."""
    with pytest.raises(ValueError, match="72"):
        bcrypt.hashpw(b"a" * 73, bcrypt.gensalt(rounds=4))
    # Verifying an over-long guess is simply "no", never an exception or a truncated match.
    assert not verify_password("a" * 80, hash_password("a" * 72))


def test_needs_rehash_when_the_configured_factor_is_higher(app):
    """A hash made with fewer rounds than configured is due for an upgrade; garbage always is."""
    weak = hash_password("upgrade me")
    assert not needs_rehash(weak)
    app.config["BCRYPT_LOG_ROUNDS"] = 5
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("upgrade me"))
    assert needs_rehash("pbkdf2:sha256:600000$salt$hash")


def test_logging_in_upgrades_a_hash_when_the_factor_rose(app, new_client, auth, make_user):
    """After BCRYPT_LOG_ROUNDS goes up, the next real login stores a stronger hash."""
    user = make_user("ada")
    assert hash_rounds(user.password_hash) == 4
    app.config["BCRYPT_LOG_ROUNDS"] = 5

    response = auth.using(new_client()).login("ada@example.com")

    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.scalar(select(User.password_hash).where(User.username == "ada"))
    assert hash_rounds(stored) == 5
    assert verify_password("correct-horse-battery", stored)


def test_a_failed_login_does_not_touch_the_hash(app, new_client, auth, make_user):
    """Only a correct password may re-hash: the new hash must be of the real password."""
    original = make_user("ada").password_hash
    app.config["BCRYPT_LOG_ROUNDS"] = 5
    assert auth.using(new_client()).login("ada@example.com", "wrong-password").status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash)) == original


def test_plain_passwords_are_never_stored_or_logged(app, new_client, caplog):
    """Register, log in, fail a login, change the password: the text is in no log and no row."""
    # Everything: the root, our loggers, and SQLAlchemy's statements with their parameters.
    for name in (None, "demo", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    browser = new_client()
    token = csrf_token_in(browser.get("/auth/register").get_data(as_text=True))
    registered = browser.post(
        "/auth/register",
        data={
            "csrf_token": token,
            "username": "ada",
            "email": "ada@example.com",
            "password": PLAINTEXT,
            "confirm": PLAINTEXT,
        },
    )
    assert registered.status_code == 303
    profile = browser.get("/auth/profile").get_data(as_text=True)
    changed = browser.post(
        "/auth/password",
        data={
            "password-csrf_token": csrf_token_in(profile),
            "password-current_password": PLAINTEXT,
            "password-new_password": PLAINTEXT + "-2",
            "password-confirm": PLAINTEXT + "-2",
        },
    )
    assert changed.status_code == 303
    other = new_client()
    token = csrf_token_in(other.get("/auth/login").get_data(as_text=True))
    for password in (PLAINTEXT, PLAINTEXT + "-2"):  # a failed and a successful login
        other.post(
            "/auth/login",
            data={"csrf_token": token, "email": "ada@example.com", "password": password},
        )
    assert any(record.name.startswith("sqlalchemy.engine") for record in caplog.records)

    for record in caplog.records:
        logged = " ".join(
            (record.getMessage(), repr(record.args), str(record.msg), record.exc_text or "")
        )
        assert PLAINTEXT not in logged, f"password logged by {record.name}"
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            assert PLAINTEXT not in repr(tuple(row)), f"password stored in {table.name}"
    for client in (browser, other):  # nor in the server-side sessions
        stored_session = app.session_interface.cache.get(
            "session:" + client.get_cookie("session").value
        )
        assert stored_session and PLAINTEXT not in repr(stored_session)
    stored = db.session.scalar(select(User.password_hash))
    assert verify_password(PLAINTEXT + "-2", stored)
