"""Find `@pytest.mark.answers(...)` markers by reading the test files, without importing them.

Reading the source (not pytest's collection) means the catalog checks give the same result
whichever subset of the suite is being run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parents[1]
ROOT = TESTS_DIR.parent


def _answer_ids(node: ast.expr) -> list[str]:
    """IDs from one `pytest.mark.answers("Q001", ...)` expression (or a list of marks)."""
    if isinstance(node, ast.List | ast.Tuple):
        return [qid for element in node.elts for qid in _answer_ids(element)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "answers"
    ):
        return [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
    return []


def _tests_in(body: list[ast.stmt], prefix: str, inherited: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            ids = inherited + [q for d in node.decorator_list for q in _answer_ids(d)]
            found[f"{prefix}::{node.name}"] = ids
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_ids = inherited + [q for d in node.decorator_list for q in _answer_ids(d)]
            found.update(_tests_in(node.body, f"{prefix}::{node.name}", class_ids))
    return found


def collect_test_functions() -> dict[str, tuple[list[str], str | None]]:
    """Every test's node id -> (question IDs it is marked with, its docstring)."""
    result: dict[str, tuple[list[str], str | None]] = {}
    for path in sorted(TESTS_DIR.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module_ids = [
            qid
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
            for qid in _answer_ids(node.value)
        ]
        rel = path.relative_to(ROOT).as_posix()
        docs = {
            f"{rel}::{n.name}": ast.get_docstring(n)
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for node_id, ids in _tests_in(tree.body, rel, module_ids).items():
            short_id = f"{rel}::{node_id.rsplit('::', 1)[-1]}"
            result[node_id] = (ids, docs.get(short_id))
    return result


def marked_tests() -> dict[str, set[str]]:
    """Question ID -> node ids of the tests marked as proving it."""
    mapping: dict[str, set[str]] = defaultdict(set)
    for node_id, (ids, _doc) in collect_test_functions().items():
        for qid in ids:
            mapping[qid].add(node_id)
    return dict(mapping)
