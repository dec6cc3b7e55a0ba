"""Login and registration are throttled per client address and per account (Q096).

Defaults: 5 attempts a minute for one address and one e-mail together, 10 a minute for one
address. Each test's app starts with fresh in-memory counters.
"""

from __future__ import annotations

import pytest

from tests.support.accounts import AuthActions

pytestmark = pytest.mark.answers("Q096")

ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
SOMEONE_ELSE = {"REMOTE_ADDR": "198.51.100.20"}


def try_login(browser, token: str, email: str, password: str = "wrong-guess", address=None):
    """One login attempt from `address` (default: the client's own)."""
    return browser.post(
        "/auth/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base=address or {},
    )


def test_a_sixth_guess_at_one_account_gets_429_with_retry_after(new_client, make_user):
    """Five wrong passwords for one account from one address, then Too Many Requests."""
    make_user("ada")
    browser = new_client()
    token = AuthActions(browser).csrf_token()
    statuses = [try_login(browser, token, "ada@example.com").status_code for _ in range(5)]
    assert statuses == [422] * 5

    refused = try_login(browser, token, "ada@example.com", password="correct-horse-battery")

    assert refused.status_code == 429  # even the right password waits
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == "5"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    page = refused.get_data(as_text=True)
    assert "429 · Too Many Requests" in page
    assert "Too many attempts from your address. Wait a minute, then try again." in page


def test_the_429_is_json_for_api_clients(new_client):
    """The same refusal in the JSON error shape when the client asks for JSON."""
    browser = new_client()
    token = AuthActions(browser).csrf_token()
    for _ in range(5):
        try_login(browser, token, "ada@example.com")
    response = browser.post(
        "/auth/login",
        data={"csrf_token": token, "email": "ada@example.com", "password": "x"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    assert response.get_json() == {
        "errors": {"body": ["Too many attempts from your address. Wait a minute, then try again."]}
    }


def test_the_account_limit_is_per_address_so_no_one_can_lock_a_user_out(new_client, make_user):
    """An attacker's failures do not stop the owner, who logs in from another address."""
    make_user("ada")
    attacker, owner = new_client(), new_client()
    token = AuthActions(attacker).csrf_token()
    for _ in range(6):
        try_login(attacker, token, "ada@example.com", address=ATTACKER)
    assert try_login(attacker, token, "ada@example.com", address=ATTACKER).status_code == 429

    owner_token = AuthActions(owner).csrf_token()
    response = try_login(owner, owner_token, "ada@example.com", "correct-horse-battery")
    assert response.status_code == 303


def test_spraying_many_accounts_from_one_address_is_limited_too(new_client):
    """Ten attempts a minute per address, whatever accounts they name."""
    browser = new_client()
    token = AuthActions(browser).csrf_token()
    statuses = [
        try_login(browser, token, f"user{n}@example.com", address=ATTACKER).status_code
        for n in range(11)
    ]
    assert statuses == [422] * 10 + [429]
    other = try_login(browser, token, "user0@example.com", address=SOMEONE_ELSE)
    assert other.status_code == 422  # another address has its own allowance


def test_successful_logins_do_not_use_up_the_account_allowance(new_client, make_user):
    """Only failures count against an account, so a user who logs in often is never blocked."""
    make_user("ada")
    browser = new_client()
    auth = AuthActions(browser)
    for _ in range(6):
        assert auth.login().status_code == 303
        assert auth.logout().status_code == 303


def test_viewing_the_login_page_is_never_limited(new_client):
    """The limits apply to POSTs: loading the form costs nothing."""
    browser = new_client()
    assert {browser.get("/auth/login").status_code for _ in range(12)} == {200}


def test_registration_is_limited_the_same_way(new_client):
    """Account creation is throttled too: five tries for one address, then 429."""
    browser = new_client()
    token = AuthActions(browser).csrf_token("/auth/register")
    form = {"csrf_token": token, "username": "x", "email": "ada@example.com", "password": "p"}
    statuses = [browser.post("/auth/register", data=form).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
