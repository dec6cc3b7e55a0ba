"""Which module uses each runtime dependency (Q167: "which extensions have you worked with?").

The answer is read off the project itself: the dependencies the installed `flaskproof`
distribution declares (its `pyproject.toml` list), each mapped to its import names with
`importlib.metadata.packages_distributions()` and then to the modules of `demo/` that import
it. A dependency nothing imports is either dead weight or one of the few that are only
loaded by something else at run time, which must then say so in `RUNTIME_ONLY`.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from demo.answers.catalog import HERE

PACKAGE_DIR = HERE.parent
DISTRIBUTION = "flaskproof"
# A PEP 508 requirement starts with the distribution name.
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class RuntimeOnly:
    """A dependency no module imports, and the project file that makes it needed."""

    file: str  # relative to the project root
    mention: str  # text that file must contain
    why: str


# Loaded by a server, a URL or another library, never imported by our code. Keep this short:
# every entry is checked against its file by tests/answers/test_dependencies.py.
RUNTIME_ONLY: dict[str, RuntimeOnly] = {
    # The production WSGI server imports the app, not the other way round.
    "gunicorn": RuntimeOnly(
        "Procfile", "gunicorn -c gunicorn.conf.py demo.wsgi:app", "serves demo.wsgi in production"
    ),
    # The ASGI server for the adapter in demo.asgi (Q106).
    "uvicorn": RuntimeOnly(
        "Makefile", "uvicorn demo.asgi:asgi_app", "serves demo.asgi (`make run-asgi`)"
    ),
    # SQLAlchemy imports the driver named in the database URL.
    "psycopg": RuntimeOnly(
        "demo/config.py",
        "postgresql+psycopg://",
        "the PostgreSQL driver SQLAlchemy loads for postgresql+psycopg:// URLs",
    ),
    # WTForms imports it when the Email() validator first runs.
    "email-validator": RuntimeOnly(
        "demo/auth/forms.py", "Email()", "checks addresses for WTForms' Email() validator"
    ),
}


@dataclass(frozen=True)
class DependencyUse:
    """One declared dependency: its import names and the modules of `demo` importing them."""

    requirement: str
    name: str  # normalised distribution name
    import_names: tuple[str, ...]
    modules: tuple[str, ...]
    runtime_only: RuntimeOnly | None

    @property
    def used(self) -> bool:
        return bool(self.modules) or self.runtime_only is not None


def normalise(name: str) -> str:
    """PEP 503 normal form: ``Flask_SQLAlchemy`` and ``flask-sqlalchemy`` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    """The normalised distribution name a requirement string starts with."""
    match = _NAME.match(requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return normalise(match.group(1))


def declared_requirements() -> list[str]:
    """The runtime dependencies of the installed project (optional extras excluded)."""
    try:
        declared = requires(DISTRIBUTION) or []
    except PackageNotFoundError:
        return []
    return [req for req in declared if "extra ==" not in req]


@cache
def _import_names() -> dict[str, tuple[str, ...]]:
    """Normalised distribution name -> the top-level modules it installs."""
    names: dict[str, set[str]] = defaultdict(set)
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            names[normalise(distribution)].add(module)
    return {dist: tuple(sorted(modules)) for dist, modules in names.items()}


def imports_by_module(package_dir: Path = PACKAGE_DIR) -> dict[str, set[str]]:
    """Dotted module name -> the top-level names it imports (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):  # imports inside functions count: they run too
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
        found[module] = names
    return found


def dependency_usage(requirements: Iterable[str] | None = None) -> list[DependencyUse]:
    """Each requirement with the modules of `demo` that import it, in declaration order."""
    requirements = declared_requirements() if requirements is None else list(requirements)
    imports = imports_by_module()
    uses = []
    for requirement in requirements:
        name = requirement_name(requirement)
        import_names = _import_names().get(name, ())
        modules = tuple(
            module for module, names in imports.items() if names.intersection(import_names)
        )
        uses.append(DependencyUse(requirement, name, import_names, modules, RUNTIME_ONLY.get(name)))
    return uses
