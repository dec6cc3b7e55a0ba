"""Q167: every declared dependency is used, and the project can say where."""

from __future__ import annotations

import tomllib

import pytest
from flask.testing import FlaskClient

from demo.answers.dependencies import (
    RUNTIME_ONLY,
    declared_requirements,
    dependency_usage,
    imports_by_module,
    normalise,
    requirement_name,
)
from tests.support.answer_markers import ROOT

pytestmark = pytest.mark.answers("Q167")


def pyproject_dependencies() -> list[str]:
    """The `[project] dependencies` list, read from pyproject.toml itself."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def test_every_dependency_in_pyproject_is_imported_by_the_app():
    """Each dependency is imported somewhere under demo/, or is a listed runtime-only one."""
    uses = dependency_usage(pyproject_dependencies())
    unused = [use.requirement for use in uses if not use.used]
    assert not unused, (
        f"declared in pyproject.toml but imported nowhere in demo/: {unused}. Remove them, use "
        "them, or (only for something loaded by a server, a URL or another library) add them "
        "to RUNTIME_ONLY in demo/answers/dependencies.py with the file that needs them."
    )


def test_the_check_fails_for_a_dependency_nothing_imports():
    """A requirement no module imports is reported unused: the check above can fail."""
    (use,) = dependency_usage(["left-pad>=1.0"])
    assert not use.used and use.modules == () and use.runtime_only is None
    (flask_use,) = dependency_usage(["Flask>=3.1"])
    assert flask_use.used and "demo.extensions" in flask_use.modules


def test_distribution_names_map_to_import_names():
    """Distribution and import names differ (pillow/PIL); the installed metadata maps them."""
    by_name = {use.name: use for use in dependency_usage(pyproject_dependencies())}
    assert by_name["pillow"].import_names == ("PIL",)
    assert by_name["python-dotenv"].import_names == ("dotenv",)
    assert "demo" in by_name["python-dotenv"].modules  # create_app loads .env
    assert "demo.extensions" in by_name["flask-sqlalchemy"].modules
    assert requirement_name("celery[redis]>=5.5,<6") == "celery"
    assert normalise("Flask_SQLAlchemy") == normalise("flask.sqlalchemy") == "flask-sqlalchemy"


def test_runtime_only_entries_are_declared_unimported_and_referenced():
    """Each allow-listed dependency is declared, really not imported, and named by its file."""
    declared = {requirement_name(req) for req in pyproject_dependencies()}
    uses = {use.name: use for use in dependency_usage(pyproject_dependencies())}
    for name, entry in RUNTIME_ONLY.items():
        assert name in declared, f"{name} is allow-listed but no longer a dependency"
        assert not uses[name].modules, f"{name} is imported by {uses[name].modules}: unlist it"
        text = (ROOT / entry.file).read_text(encoding="utf-8")
        assert entry.mention in text, f"{entry.file} no longer mentions {entry.mention!r}"


def test_installed_metadata_matches_pyproject():
    """The app reads the installed metadata; it lists what pyproject.toml declares."""
    installed = sorted(requirement_name(req) for req in declared_requirements())
    assert installed == sorted(requirement_name(req) for req in pyproject_dependencies())


def test_import_scan_sees_imports_inside_functions():
    """Lazy imports count: `demo.__init__` imports most blueprints inside create_app."""
    imports = imports_by_module()
    assert "flask" in imports["demo"] and "dotenv" in imports["demo"]
    assert "demo" in imports["demo"]  # `from demo.config import ...`


def test_extensions_page_lists_each_dependency_with_its_modules(client: FlaskClient):
    """/answers/extensions shows each dependency, where it is used, why runtime-only ones stay."""
    response = client.get("/answers/extensions")
    assert response.status_code == 200
    html = response.text
    for use in dependency_usage():
        row = html[html.index(f'<tr id="dep-{use.name}">') :]
        row = row[: row.index("</tr>")]
        assert all(module in row for module in use.modules), use.name
    assert "demo.auth.passwords" in html  # bcrypt's one user
    assert "Loaded at run time, not imported" in html and "<code>Procfile</code>" in html
    assert "Used nowhere" not in html
