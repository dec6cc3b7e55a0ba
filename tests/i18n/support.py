"""Helpers for the language tests (Q159): pick a language through the real form."""

from __future__ import annotations

from werkzeug.test import TestResponse

from tests.support.accounts import csrf_token_in


def choose_language(browser, code: str, *, next: str = "", **headers: str) -> TestResponse:
    """Submit the language form ("" is automatic), CSRF token included."""
    page = browser.get("/language", headers=headers).get_data(as_text=True)
    return browser.post(
        "/language",
        data={"csrf_token": csrf_token_in(page), "locale": code, "next": next},
        headers=headers,
    )
