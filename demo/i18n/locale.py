"""Which language a request is answered in, and Flask-Babel's binding (Q065, Q159).

The first of these that names a language in `LANGUAGES` wins:

1. the logged-in user's saved choice (`User.locale`),
2. this browser's choice, kept in the session (so anonymous visitors can switch too),
3. the browser's ``Accept-Language`` header, matched against `LANGUAGES`,
4. `BABEL_DEFAULT_LOCALE` (English).

The header is matched with Babel's `negotiate_locale`, which walks the browser's languages in
order of preference and tries each one's primary language ("en-GB" -> "en") before moving on.
Werkzeug's `best_match` prefers any exact match first, so for "en-GB, fr;q=0.5" it would pick
French for a reader who asked for English first.

Every candidate is checked against `LANGUAGES`, so a stale or forged value simply falls
through to the next one. Flask-Babel calls the selector at most once per request, the first
time something needs the locale, and caches the answer on `g`.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from demo.extensions import babel

log = logging.getLogger(__name__)

SESSION_KEY = "locale"

# Where the locale of the current request came from, as shown on the language page.
FROM_ACCOUNT = "account"
FROM_SESSION = "session"
FROM_HEADER = "header"
FROM_DEFAULT = "default"


def supported_locales() -> tuple[str, ...]:
    """The language codes the pages are translated into, from the `LANGUAGES` setting."""
    return tuple(current_app.config["LANGUAGES"])


@cache
def language_name(code: str) -> str:
    """A language's name in that language ("English", "Français"): how people look for it."""
    return Locale.parse(code).get_display_name(code).capitalize()


def choose_locale() -> tuple[str, str]:
    """The locale for this request and where it came from (`FROM_ACCOUNT` ... `FROM_DEFAULT`)."""
    supported = supported_locales()
    if current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale, FROM_ACCOUNT
    chosen = session.get(SESSION_KEY)
    if chosen in supported:
        return chosen, FROM_SESSION
    # From here on the answer depends on a request header, which shared caches must know.
    g.locale_from_header = True
    preferred = [language for language, quality in request.accept_languages if quality > 0]
    matched = negotiate_locale(preferred, supported, sep="-")
    if matched:
        return matched, FROM_HEADER
    return current_app.config["BABEL_DEFAULT_LOCALE"], FROM_DEFAULT


def select_locale() -> str | None:
    """Flask-Babel's locale selector. Outside a request (CLI, tasks) the default applies."""
    if not has_request_context():
        return None
    code, g.locale_source = choose_locale()
    return code


def vary_on_accept_language(response: Response) -> Response:
    """A page whose language came from ``Accept-Language`` must not be cached for everyone."""
    if g.get("locale_from_header"):
        response.vary.add("Accept-Language")
    return response


def language_context() -> dict[str, Any]:
    """Template globals: the page's ``lang`` attribute and the languages on offer."""
    return {
        "html_lang": str(get_locale()).replace("_", "-"),
        "language_names": {code: language_name(code) for code in supported_locales()},
    }


def translation_folders(app: Flask) -> list[Path]:
    """The folders Flask-Babel reads catalogs from (`BABEL_TRANSLATION_DIRECTORIES`)."""
    return [Path(folder) for folder in app.extensions["babel"].translation_directories]


def uncompiled_catalogs(folder: Path) -> list[Path]:
    """Every ``messages.po`` under `folder` whose compiled ``.mo`` is missing or older.

    Flask-Babel reads only the compiled ``.mo`` files, which are built at install time
    (``pybabel compile``) and never committed; without them every page is silently English.
    """
    stale = []
    for source in sorted(folder.glob("*/LC_MESSAGES/*.po")):
        compiled = source.with_suffix(".mo")
        if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
            stale.append(source)
    return stale


def init_babel(app: Flask) -> None:
    """Bind Flask-Babel to `app` with this module's selector; complain about stale catalogs."""
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(vary_on_accept_language)
    app.context_processor(language_context)
    stale = [path for folder in translation_folders(app) for path in uncompiled_catalogs(folder)]
    for source in stale:
        log.error(
            "Translation catalog %s is not compiled, or has changed since it was: run "
            "`pybabel compile -d demo/translations` (`make install` does); until then those "
            "pages are shown in English.",
            source,
        )
