"""The layout a large Flask project keeps to stay fast to change and to run (Q172).

These hold the claims the Q172 answer makes about this project's own structure; the speed
claims are backed by the figures `bench/` prints, not by timing anything here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask

import demo

DEMO_DIR = Path(demo.__file__).resolve().parent
HTTP_NAMES = {"request", "session", "g", "make_response", "jsonify", "render_template", "abort"}


def _flask_imports(path: Path) -> set[str]:
    """The names a module imports from `flask`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        for alias in node.names
    }


@pytest.mark.answers("Q172")
def test_every_blueprint_of_ours_lives_in_its_own_topic_package(app: Flask):
    """Each blueprint's code and templates sit inside one `demo/<topic>/` package."""
    ours = {name: bp for name, bp in app.blueprints.items() if bp.import_name.startswith("demo.")}
    assert {"api", "auth", "uploads", "websockets", "tasks", "fundamentals", "answers"} <= set(ours)
    for name, blueprint in ours.items():
        topic = blueprint.import_name.split(".")[1]
        package = DEMO_DIR / topic
        assert (package / "__init__.py").is_file(), f"{name}: {topic} is not a package"
        assert Path(blueprint.root_path).resolve().is_relative_to(package), name
        if blueprint.template_folder:
            templates = Path(blueprint.root_path, blueprint.template_folder).resolve()
            assert templates.is_relative_to(package), f"{name}: templates outside its package"


@pytest.mark.answers("Q172")
def test_service_modules_know_nothing_about_http():
    """`services.py` modules take and return plain values, so pages, API and tasks share them."""
    services = sorted(DEMO_DIR.glob("*/services.py"))

    assert len(services) >= 3
    for path in services:
        leaked = _flask_imports(path) & HTTP_NAMES
        assert not leaked, f"{path.relative_to(DEMO_DIR)} imports {sorted(leaked)} from flask"


@pytest.mark.answers("Q172")
def test_extensions_are_created_without_an_app_and_bound_by_the_factory():
    """`demo.extensions` builds each extension with no app; only `create_app()` binds them."""
    tree = ast.parse((DEMO_DIR / "extensions.py").read_text(encoding="utf-8"))
    calls = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call)
    ]
    names = [getattr(call.func, "id", getattr(call.func, "attr", "")) for call in calls]

    assert {"SQLAlchemy", "Migrate", "LoginManager", "SocketIO", "Limiter"} <= set(names)
    assert "Flask" not in names
    for call in calls:
        passed = [arg.id for arg in call.args if isinstance(arg, ast.Name)]
        passed += [keyword.arg for keyword in call.keywords]
        assert "app" not in passed, ast.unparse(call)
    assert not any(isinstance(value, Flask) for value in vars(demo).values())
