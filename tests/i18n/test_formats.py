"""Dates and numbers in the reader's locale, through Flask-Babel's filters (Q065, Q159)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.dates import format_datetime

from demo.extensions import db
from tests.support.accounts import AuthActions

NNBSP = "\u202f"  # CLDR's French thousands separator: a narrow no-break space
NBSP = "\u00a0"  # ... and the no-break space before % and €


def language_page(browser, language: str) -> str:
    """The language page, asked for in `language`."""
    response = browser.get("/language", headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def shown(page: str, css_class: str) -> str:
    """The text of the element with `css_class` on the page."""
    match = re.search(rf'class="{css_class}"[^>]*>([^<]*)<', page)
    assert match, css_class
    return match.group(1)


@pytest.mark.answers("Q065", "Q159")
@pytest.mark.parametrize(
    ("language", "number", "percent", "price"),
    [
        ("en", "1,234.5", "26%", "€1,234.50"),
        ("fr", f"1{NNBSP}234,5", f"26{NBSP}%", f"1{NNBSP}234,50{NBSP}€"),
    ],
)
def test_numbers_follow_the_locale(new_client, language, number, percent, price):
    """The same Decimal values: grouping, decimal mark, % and € placed as each locale wants."""
    page = language_page(new_client(), language)

    assert shown(page, "number") == number
    assert shown(page, "percent") == percent
    assert shown(page, "currency") == price


@pytest.mark.answers("Q159")
@pytest.mark.parametrize(
    ("language", "pattern"),
    [
        ("en", r"[A-Z][a-z]+ \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2}\s[AP]M UTC"),
        ("fr", r"\d{1,2} [a-zéû]+ \d{4}, \d{2}:\d{2}:\d{2} TU"),
    ],
)
def test_now_is_shown_in_the_locale_s_long_format(new_client, language, pattern):
    """The page's "now" is the instant in its datetime attribute, written the locale's way."""
    page = language_page(new_client(), language)
    match = re.search(r'<time class="now" datetime="([^"]+)">([^<]+)</time>', page)
    assert match
    instant, text = datetime.fromisoformat(match.group(1)), match.group(2)

    assert re.fullmatch(pattern, text)
    assert text == format_datetime(instant, "long", tzinfo=UTC, locale=language)


@pytest.mark.answers("Q065", "Q159")
@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Member since March 5, 2026"), ("fr", "Membre depuis le 5 mars 2026")],
)
def test_the_profile_shows_the_sign_up_date_in_the_user_s_language(
    new_client, make_user, locale, expected
):
    """A stored UTC timestamp, formatted by `dateformat` in the user's chosen locale."""
    user = make_user("ada", locale=locale)
    user.created_at = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    db.session.commit()
    browser = new_client()
    AuthActions(browser).login()

    profile = browser.get("/auth/profile").get_data(as_text=True)

    assert f'<p class="member-since">{expected}</p>' in profile
