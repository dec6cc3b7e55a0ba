"""The translation tests (Q065, Q159) need the compiled catalogs: without them they fail, loudly.

Flask-Babel silently falls back to English when a ``.mo`` file is missing, so a checkout
that skipped ``pybabel compile`` would otherwise produce confusing assertion failures (or,
for English-only checks, pass for the wrong reason).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import demo
from demo.i18n.locale import uncompiled_catalogs

TRANSLATIONS = Path(demo.__file__).parent / "translations"


@pytest.fixture(autouse=True, scope="session")
def compiled_catalogs() -> None:
    """Fail every test here when a catalog is not compiled or older than its .po file."""
    stale = uncompiled_catalogs(TRANSLATIONS)
    if stale:
        pytest.fail(
            "Translation catalogs are not compiled (or changed since): "
            + ", ".join(str(path.relative_to(TRANSLATIONS)) for path in stale)
            + ". Run `pybabel compile -d demo/translations` (`make install` does).",
            pytrace=False,
        )
