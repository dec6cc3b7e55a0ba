"""Find the source behind a catalog reference or a test node id (the answers browser, issue 9).

The answers pages, `flask answers Qnnn` and `docs/ANSWERS.md` all show code read from the
files at the moment they are asked, so an answer can never drift from the code it cites.

A reference is ``package.module:Object.attr``. Module-level names are found by reading the
module's syntax tree (following ``from x import name`` re-exports), which also covers
objects `inspect` cannot place: proxies such as `flask.g`, extension instances, constants,
Click commands. Inherited methods (``flask:Flask.add_url_rule``, defined on a base class in
another file) fall back to `inspect`.

Tests are not importable from an installed app (the `tests/` directory is not packaged),
so they are located by reading `tests/...py` under the project root when there is one.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import sys
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from demo.answers.catalog import HERE, resolve_reference

# The checkout this package runs from, if it runs from one (an installed wheel has none).
CHECKOUT = HERE.parents[1]

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class SourceUnavailable(LookupError):
    """The source of a reference or a test cannot be found or read."""


@dataclass(frozen=True)
class SourceBlock:
    """Lines of one file that define a referenced object or a test."""

    label: str
    path: str  # posix path: relative to the project root, or to the installed package's site
    start: int
    end: int
    text: str
    in_project: bool  # part of this repository, so documents may link to it
    summary: str | None = None  # the first line of its docstring, if it has one

    @property
    def location(self) -> str:
        """``path:start-end``, the form editors and terminals turn into links."""
        return f"{self.path}:{self.start}" + (f"-{self.end}" if self.end > self.start else "")


def project_root() -> Path | None:
    """The repository checkout holding `pyproject.toml` and `tests/`, or None when installed."""
    has_project = (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "tests").is_dir()
    return CHECKOUT if has_project else None


def locate_reference(reference: str) -> SourceBlock:
    """The defining lines of ``module:qualname``; raise `SourceUnavailable` if there are none."""
    try:
        obj = resolve_reference(reference)
    except (ImportError, AttributeError) as exc:
        raise SourceUnavailable(f"{reference} does not resolve: {exc}") from exc
    module_name, _, qualname = reference.partition(":")
    parts = [part for part in qualname.split(".") if part]
    if not parts:
        return _whole_module(reference, importlib.import_module(module_name))
    found = _find_by_syntax(module_name, parts)
    if found is not None:
        path, node = found
        return _block(reference, path, node)
    return _find_by_inspect(reference, obj)


def locate_test(node_id: str, root: Path | None = None) -> SourceBlock:
    """The source of the test ``tests/x/test_y.py::TestClass::test_name`` under the project root."""
    root = root if root is not None else project_root()
    if root is None:
        raise SourceUnavailable("the tests/ tree is not installed with the app")
    file_part, *names = node_id.split("[", 1)[0].split("::")
    path = (root / file_part).resolve()
    if not path.is_relative_to((root / "tests").resolve()) or not path.is_file():
        raise SourceUnavailable(f"no file {file_part} in the tests/ tree")
    body: list[ast.stmt] = _syntax_tree(str(path)).body
    node: ast.stmt | None = None
    for name in names:
        node = next((n for n in body if isinstance(n, _DEFS) and n.name == name), None)
        if node is None:
            raise SourceUnavailable(f"{node_id}: no {name} in {file_part}")
        body = getattr(node, "body", [])
    if node is None:
        raise SourceUnavailable(f"{node_id} names no test")
    return _block(node_id, str(path), node)


@lru_cache(maxsize=256)
def _parse(path: str, mtime_ns: int) -> ast.Module:
    # The modification time is only part of the cache key: an edited file is parsed again.
    return ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)


def _syntax_tree(path: str) -> ast.Module:
    try:
        return _parse(path, Path(path).stat().st_mtime_ns)
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise SourceUnavailable(f"cannot read {path}: {exc}") from exc


def _module_file(module_name: str) -> str | None:
    spec = importlib.util.find_spec(module_name)
    origin = spec.origin if spec else None
    return origin if origin and origin.endswith(".py") else None


def _binds(node: ast.stmt, name: str) -> bool:
    """Does this simple statement bind `name` (def, class, assignment, from-import)?"""
    if isinstance(node, _DEFS):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    if isinstance(node, ast.ImportFrom):
        return any((alias.asname or alias.name) == name for alias in node.names)
    return False


def _binding(body: list[ast.stmt], name: str) -> ast.stmt | None:
    """The last statement in `body` that binds `name`, as the last one wins at run time."""
    found: ast.stmt | None = None
    for node in body:
        # A name bound inside `try:` or `if` is shown with the whole statement, every branch
        # included (``try: VERSION = version(...) except ...: VERSION = "0+unknown"``).
        if isinstance(node, ast.Try | ast.If):
            blocks = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                blocks += [handler.body for handler in node.handlers] + [node.finalbody]
            if any(_binding(block, name) is not None for block in blocks):
                found = node
        elif _binds(node, name):
            found = node
    return found


def _find_by_syntax(
    module_name: str, parts: list[str], depth: int = 0
) -> tuple[str, ast.stmt] | None:
    """Walk ``parts`` through the module's tree, following ``from x import y`` re-exports."""
    path = _module_file(module_name)
    if path is None or depth > 5:
        return None
    body = _syntax_tree(path).body
    node: ast.stmt | None = None
    for index, part in enumerate(parts):
        node = _binding(body, part)
        if isinstance(node, ast.ImportFrom):
            if index:  # an import inside a class body: too unusual to follow
                return None
            alias = next(a for a in node.names if (a.asname or a.name) == part)
            package = (
                module_name if path.endswith("__init__.py") else module_name.rpartition(".")[0]
            )
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            return _find_by_syntax(source, [alias.name, *parts[1:]], depth + 1)
        if node is None or (isinstance(node, ast.Try | ast.If) and index < len(parts) - 1):
            return None
        body = getattr(node, "body", [])
    return (path, node) if node is not None else None


def _find_by_inspect(reference: str, obj: Any) -> SourceBlock:
    if not (inspect.isclass(obj) or inspect.isroutine(obj)):
        raise SourceUnavailable(f"{reference}: no definition found")
    try:
        path = inspect.getsourcefile(obj)
        lines, start = inspect.getsourcelines(obj)
    except (OSError, TypeError) as exc:
        raise SourceUnavailable(f"{reference}: {exc}") from exc
    if path is None:
        raise SourceUnavailable(f"{reference}: no source file")
    display, in_project = _display_path(path)
    text = textwrap.dedent("".join(lines))
    return SourceBlock(reference, display, start, start + len(lines) - 1, text, in_project)


def _whole_module(reference: str, module: ModuleType) -> SourceBlock:
    path = getattr(module, "__file__", None)
    if not path or not path.endswith(".py"):
        raise SourceUnavailable(f"{reference}: no Python source")
    text = Path(path).read_text(encoding="utf-8")
    display, in_project = _display_path(path)
    return SourceBlock(reference, display, 1, len(text.splitlines()), text, in_project)


def _block(label: str, path: str, node: ast.stmt) -> SourceBlock:
    # Decorators are part of the definition (the route, the fixture, the marker).
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    end = node.end_lineno or node.lineno
    lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
    display, in_project = _display_path(path)
    text = textwrap.dedent("".join(lines[start - 1 : end]))  # methods start indented
    docstring = ast.get_docstring(node) if isinstance(node, _DEFS) else None
    # The docstring's first paragraph, on one line.
    summary = " ".join(docstring.split("\n\n")[0].split()) if docstring else None
    return SourceBlock(label, display, start, end, text, in_project, summary)


def _display_path(path: str) -> tuple[str, bool]:
    """(the path to show, is it inside the project checkout?) for a source file."""
    resolved = Path(path).resolve()
    root = project_root()
    # A virtualenv may live inside the checkout (.venv/); what is installed there is not ours.
    installed = resolved.is_relative_to(Path(sys.prefix).resolve())
    if root is not None and resolved.is_relative_to(root) and not installed:
        return resolved.relative_to(root).as_posix(), True
    # Installed code: relative to the longest sys.path entry holding it (site-packages, stdlib).
    bases = [Path(entry).resolve() for entry in sys.path if entry]
    holding = [base for base in bases if resolved.is_relative_to(base)]
    base = max(holding, key=lambda b: len(b.parts)) if holding else resolved.parent
    return resolved.relative_to(base).as_posix(), False
