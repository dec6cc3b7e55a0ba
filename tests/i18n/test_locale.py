"""Which language a page is in: account setting, then session, then Accept-Language, then
English (Q065, Q159)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from demo.extensions import db
from demo.models import User
from tests.i18n.support import choose_language
from tests.support.accounts import AuthActions, csrf_token_in

FRENCH = {"Accept-Language": "fr"}
ENGLISH = {"Accept-Language": "en"}


def home(browser, **headers: str) -> str:
    """The start page's HTML, asked for with `headers`."""
    response = browser.get("/", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def is_french(page: str) -> bool:
    """The layout's navigation and footer, and the html element, in French."""
    return (
        '<html lang="fr">' in page
        and ">Réponses</a>" in page
        and "Ici, chaque réponse est démontrée par du code et prouvée par un test." in page
    )


def is_english(page: str) -> bool:
    """The same places in English."""
    return (
        '<html lang="en">' in page
        and ">Answers</a>" in page
        and "Every answer here is demonstrated by code and proven by a test." in page
    )


def stored_locale(username: str) -> str | None:
    """The user's saved language as the database has it now."""
    db.session.expire_all()
    return db.session.scalar(select(User.locale).where(User.username == username))


# --- Accept-Language ----------------------------------------------------------------------


@pytest.mark.answers("Q065", "Q159")
@pytest.mark.parametrize(
    "header", ["fr", "fr-FR", "fr-CA,fr;q=0.9,en;q=0.8", "de-DE,de;q=0.9,fr;q=0.5,en;q=0.3"]
)
def test_accept_language_french_gives_french_pages(new_client, header):
    """French first, a French region, or French as the best language on offer: French text."""
    response = new_client().get("/", headers={"Accept-Language": header})
    page = response.get_data(as_text=True)

    assert is_french(page)
    assert "Une application Flask prête à lancer" in page  # the start page's own text
    assert "Accept-Language" in response.headers["Vary"]  # caches must key on the header


@pytest.mark.answers("Q065", "Q159")
@pytest.mark.parametrize(
    "header", [None, "en", "en-GB,fr;q=0.5", "fr;q=0,en;q=0.1", "de", "de-DE,es;q=0.8", "*"]
)
def test_other_or_no_languages_give_english(new_client, header):
    """English first (en-GB beats a later exact fr), fr refused, none on offer, none: English."""
    headers = {"Accept-Language": header} if header else {}

    assert is_english(home(new_client(), **headers))


@pytest.mark.answers("Q159")
def test_the_language_page_says_where_the_choice_came_from(new_client):
    """Header match, or the default when the browser asks only for languages the site lacks."""
    browser = new_client()
    french = browser.get("/language", headers=FRENCH).get_data(as_text=True)
    german = browser.get("/language", headers={"Accept-Language": "de"}).get_data(as_text=True)

    assert "la première langue demandée par votre navigateur que ce site propose" in french
    assert "These pages are in English, the site's default" in german


# --- The switcher, for anonymous visitors -------------------------------------------------


@pytest.mark.answers("Q159")
def test_every_page_links_to_the_language_switcher_with_a_way_back(new_client):
    """The layout's link names the current language and returns to the page it came from."""
    page = new_client().get("/auth/login?next=/auth/profile", headers=FRENCH)
    html = page.get_data(as_text=True)

    assert 'href="/language?next=/auth/login">Langue\u00a0: Français</a>' in html


@pytest.mark.answers("Q065", "Q159")
def test_an_anonymous_choice_is_kept_in_the_session_and_beats_the_header(new_client):
    """Choose French with an English browser: every later page is French, until "automatic"."""
    browser = new_client()

    response = choose_language(browser, "fr", next="/auth/login", **ENGLISH)
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"

    login = browser.get("/auth/login", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="fr">' in login
    assert "Langue des pages\u00a0: Français." in login  # the flash, already in French
    assert "<h1>Se connecter</h1>" in login
    assert is_french(home(browser, **ENGLISH))
    assert "celle que vous avez choisie sur ce navigateur" in browser.get(
        "/language", headers=ENGLISH
    ).get_data(as_text=True)

    assert choose_language(browser, "", **ENGLISH).status_code == 303
    assert is_english(home(browser, **ENGLISH))
    assert is_french(home(browser, **FRENCH))  # the header decides again


@pytest.mark.answers("Q159")
def test_another_browser_is_not_affected_by_an_anonymous_choice(new_client):
    """The choice lives in that browser's session, not in the app."""
    choose_language(new_client(), "fr", **ENGLISH)

    assert is_english(home(new_client(), **ENGLISH))


@pytest.mark.answers("Q159")
@pytest.mark.parametrize("code", ["de", "xx", "../fr"])
def test_a_language_the_site_lacks_is_refused_with_422(new_client, code):
    """Not one of the choices: the form again, with an error, and nothing stored."""
    browser = new_client()

    response = choose_language(browser, code, **ENGLISH)

    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert is_english(home(browser, **ENGLISH))


@pytest.mark.answers("Q159")
def test_changing_the_language_needs_a_csrf_token(new_client):
    """A cross-site form cannot switch a visitor's language: no token, 400."""
    browser = new_client()

    response = browser.post("/language", data={"locale": "fr"}, headers=ENGLISH)

    assert response.status_code == 400
    assert is_english(home(browser, **ENGLISH))


@pytest.mark.answers("Q159")
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_way_back_never_leaves_the_site(new_client, target):
    """`next` must be a path on this site; anything else goes to the language page."""
    response = choose_language(new_client(), "fr", next=target)

    assert response.status_code == 303
    assert response.headers["Location"] == "/language"


@pytest.mark.answers("Q159")
def test_a_forged_session_value_is_ignored(app, new_client):
    """A locale in the session that is not in LANGUAGES falls through to Accept-Language."""
    browser = new_client()
    with browser.session_transaction() as session:
        session["locale"] = "de"

    assert is_french(home(browser, **FRENCH))


# --- The user's setting -------------------------------------------------------------------


@pytest.mark.answers("Q065", "Q159")
def test_the_user_s_setting_beats_accept_language(new_client, make_user):
    """A user who saved French gets French pages from an English browser, once logged in."""
    make_user("ada", locale="fr")
    browser = new_client()
    assert is_english(home(browser, **ENGLISH))

    AuthActions(browser).login()

    assert is_french(home(browser, **ENGLISH))
    assert "celle enregistrée dans votre compte" in browser.get(
        "/language", headers=ENGLISH
    ).get_data(as_text=True)


@pytest.mark.answers("Q065", "Q159")
def test_a_logged_in_choice_is_saved_on_the_account_and_follows_the_user(new_client, make_user):
    """Choosing on one device stores `User.locale`; another device shows it after login."""
    make_user("ada")
    laptop = new_client()
    AuthActions(laptop).login()

    assert choose_language(laptop, "fr", **ENGLISH).status_code == 303
    assert stored_locale("ada") == "fr"

    phone = new_client()
    AuthActions(phone).login()
    assert is_french(home(phone, **ENGLISH))

    # "Automatic" clears the account's setting; each browser then follows its own header.
    assert choose_language(phone, "", **ENGLISH).status_code == 303
    assert stored_locale("ada") is None
    assert is_english(home(phone, **ENGLISH))


@pytest.mark.answers("Q159")
def test_the_account_setting_beats_this_browser_s_choice(new_client, make_user):
    """Account first, then session: a German-speaking visitor's French session loses to "en"."""
    make_user("ada", locale="en")
    browser = new_client()
    choose_language(browser, "fr")
    assert is_french(home(browser))

    AuthActions(browser).login()

    assert is_english(home(browser, **FRENCH))


@pytest.mark.answers("Q159")
def test_a_saved_language_the_site_no_longer_offers_falls_back(new_client, make_user):
    """A stale `User.locale` (a language since removed) is skipped, not an error."""
    make_user("ada", locale="de")
    browser = new_client()
    AuthActions(browser).login()

    assert is_french(home(browser, **FRENCH))
    assert is_english(home(browser, **ENGLISH))


@pytest.mark.answers("Q159")
def test_logging_out_keeps_the_browser_s_language(new_client, make_user):
    """The session is cleared at logout, except for the language chosen on this browser."""
    make_user("ada")
    browser = new_client()
    AuthActions(browser).login()
    choose_language(browser, "fr", **ENGLISH)

    response = AuthActions(browser).logout()

    assert response.status_code == 303
    login = browser.get("/auth/login", headers=ENGLISH).get_data(as_text=True)
    assert "Déconnexion effectuée." in login and '<html lang="fr">' in login


# --- Forms and messages -------------------------------------------------------------------


@pytest.mark.answers("Q065", "Q159")
def test_form_labels_and_validation_messages_are_translated(new_client):
    """Labels (lazy_gettext), our messages (gettext) and WTForms' own messages, in French."""
    browser = new_client()
    page = browser.get("/auth/register", headers=FRENCH).get_data(as_text=True)
    assert '<label for="username">Nom d\'utilisateur</label>' in page

    response = browser.post(
        "/auth/register",
        data={
            "csrf_token": csrf_token_in(page),
            "username": "",
            "email": "not-an-address",
            "password": "short",
            "confirm": "other",
        },
        headers=FRENCH,
    )
    errors = response.get_data(as_text=True)

    assert response.status_code == 422
    assert "Ce champ est requis." in errors  # WTForms' DataRequired, from its catalog
    assert "Adresse électronique non valide." in errors  # WTForms' Email
    assert "Utilisez au moins 8 caractères." in errors  # ours, with %(min)d filled in
    assert "Les mots de passe ne correspondent pas." in errors
    assert 'value="Créer le compte"' in errors


@pytest.mark.answers("Q159")
def test_flash_messages_are_translated_when_they_are_flashed(new_client, make_user):
    """The login flash is rendered in the reader's language, with the name filled in."""
    make_user("ada", locale="fr")
    browser = new_client()

    response = AuthActions(browser).login()
    profile = browser.get(response.headers["Location"], headers=ENGLISH).get_data(as_text=True)

    assert "Connecté en tant que ada." in profile
    assert '<h2 id="password-heading">Mot de passe</h2>' in profile
