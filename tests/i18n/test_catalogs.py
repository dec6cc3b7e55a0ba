"""The translation catalogs: current with the code, complete, compiled (Q065, Q159).

The .po files are committed and the .mo files are built (`pybabel compile`), so these tests
are what stops a newly marked string from shipping untranslated, or a stale build from
shipping old translations.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from demo import create_app
from demo.extensions import babel
from demo.i18n.locale import uncompiled_catalogs
from tests.i18n.conftest import TRANSLATIONS

ROOT = TRANSLATIONS.parents[1]
TEMPLATE = TRANSLATIONS / "messages.pot"
FRENCH = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path) -> Catalog:
    """A .po or .pot file, parsed by Babel."""
    with path.open("rb") as source:
        return read_po(source)


def message_ids(catalog: Catalog) -> set[str]:
    """Every message id in the catalog (the header entry excluded)."""
    return {message.id for message in catalog if message.id}


def pybabel(*args: str) -> None:
    """Run a `pybabel` command in this process, as the command line would."""
    CommandLineInterface().run(["pybabel", "--quiet", *args])


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """The strings marked in the code right now, extracted with the documented command."""
    output = tmp_path_factory.mktemp("extract") / "messages.pot"
    pybabel(
        "extract", "-F", str(ROOT / "babel.cfg"), "-k", "lazy_gettext",
        "-o", str(output), str(ROOT / "demo"),
    )  # fmt: skip
    return read_catalog(output)


@pytest.mark.answers("Q159")
def test_the_committed_template_has_every_marked_string(extracted):
    """Extracting again finds exactly the committed .pot's strings: none added, none gone."""
    fresh, committed = message_ids(extracted), message_ids(read_catalog(TEMPLATE))

    assert fresh - committed == set(), "marked but not in messages.pot: run pybabel extract"
    assert committed - fresh == set(), "in messages.pot but no longer marked: re-extract"
    assert len(fresh) > 80


@pytest.mark.answers("Q065", "Q159")
def test_the_french_catalog_translates_every_string_once(extracted):
    """Every extracted string has a French translation that is not fuzzy, and nothing else."""
    french = read_catalog(FRENCH)

    assert message_ids(french) == message_ids(extracted)
    untranslated = [m.id for m in french if m.id and not m.string]
    fuzzy = [m.id for m in french if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    assert not french.obsolete


@pytest.mark.answers("Q159")
def test_french_translations_keep_placeholders_and_markup():
    """Babel's checks pass (same %(name)s placeholders), and HTML tags survive translation."""
    french = read_catalog(FRENCH)

    problems = [(message.id, errors) for message, errors in french.check()]
    assert problems == []
    for message in french:
        if message.id:
            tags = re.findall(r"</?[a-z]+[^>]*>", message.id)
            assert re.findall(r"</?[a-z]+[^>]*>", message.string) == tags, message.id


@pytest.mark.answers("Q159")
def test_the_compiled_catalog_matches_its_source():
    """The .mo Flask-Babel reads holds exactly the .po's translations (no stale build)."""
    with (FRENCH.with_suffix(".mo")).open("rb") as compiled:
        built = {message.id: message.string for message in read_mo(compiled) if message.id}
    source = {message.id: message.string for message in read_catalog(FRENCH) if message.id}

    assert built == source


@pytest.mark.answers("Q159")
def test_a_missing_or_outdated_compiled_catalog_is_reported(tmp_path, caplog):
    """No .mo, or a .po edited since: listed, and the app says so in its log at start-up."""
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder, ignore=shutil.ignore_patterns("*.mo"))
    source = folder / "fr" / "LC_MESSAGES" / "messages.po"
    assert uncompiled_catalogs(folder) == [source]

    caplog.set_level(logging.ERROR, logger="demo.i18n.locale")
    create_app("testing", BABEL_TRANSLATION_DIRECTORIES=str(folder))
    assert f"Translation catalog {source} is not compiled" in caplog.text

    pybabel("compile", "-d", str(folder))
    assert uncompiled_catalogs(folder) == []

    later = source.with_suffix(".mo").stat().st_mtime + 10
    os.utime(source, (later, later))  # the .po edited after the last compile
    assert uncompiled_catalogs(folder) == [source]


@pytest.fixture
def app_without_catalogs(make_app, tmp_path) -> Iterator[Flask]:
    """An app reading a copy of the translations with no compiled .mo file.

    Flask-Babel caches loaded catalogs for the whole process, keyed by locale alone (not by
    folder), so the cache is emptied before and after: this app must neither reuse the real
    catalogs nor leave its empty ones to the apps of later tests.
    """
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder, ignore=shutil.ignore_patterns("*.mo"))
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(folder))
    cache = babel.domain_instance.cache
    cache.clear()
    yield app
    cache.clear()


@pytest.mark.answers("Q159")
def test_without_a_compiled_catalog_the_pages_fall_back_to_english(app_without_catalogs):
    """Why the checks above matter: Flask-Babel does not fail, it silently shows English."""
    client = app_without_catalogs.test_client()

    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    assert '<html lang="fr">' in page and ">Answers</a>" in page
