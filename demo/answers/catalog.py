"""Load the question list and the answers catalog, resolve code references, search answers.

`questions.toml` holds all 172 questions (ID, section, text); `catalog.toml` holds an
entry for each question the project answers. Both ship inside the package, so the app
never reads anything outside itself.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
QUESTIONS_FILE = HERE / "questions.toml"
CATALOG_FILE = HERE / "catalog.toml"


@dataclass(frozen=True)
class Question:
    """One interview question from the canonical list."""

    id: str
    section: str
    text: str


@dataclass(frozen=True)
class Answer:
    """A catalogued answer: the short and long text, its code, where to try it, its tests."""

    id: str
    question: str
    short: str
    long: str
    code: tuple[str, ...]
    tests: tuple[str, ...]
    try_urls: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "short": self.short,
            "long": self.long,
            "code": list(self.code),
            "try": list(self.try_urls),
            "tests": list(self.tests),
        }


@cache
def load_questions() -> dict[str, Question]:
    """All questions keyed by ID, in list order."""
    data = tomllib.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return {row["id"]: Question(row["id"], row["section"], row["text"]) for row in data["question"]}


def parse_catalog(text: str) -> dict[str, Answer]:
    """Parse catalog TOML (one table per question ID) into answers, sorted by ID."""
    data = tomllib.loads(text)
    answers = {}
    for qid in sorted(data):
        entry = data[qid]
        answers[qid] = Answer(
            id=qid,
            question=entry["question"],
            short=entry["short"].strip(),
            long=entry["long"].strip(),
            code=tuple(entry.get("code", ())),
            tests=tuple(entry.get("tests", ())),
            try_urls=tuple(entry.get("try", ())),
        )
    return answers


@cache
def load_catalog() -> dict[str, Answer]:
    """The shipped catalog."""
    return parse_catalog(CATALOG_FILE.read_text(encoding="utf-8"))


def resolve_reference(reference: str) -> Any:
    """Import ``package.module:Object.attr`` and return the object; raise if it is missing."""
    module_name, _, qualname = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        obj = getattr(obj, part)
    return obj


def sections() -> dict[str, list[Question]]:
    """Questions grouped by section, in list order."""
    grouped: dict[str, list[Question]] = {}
    for question in load_questions().values():
        grouped.setdefault(question.section, []).append(question)
    return grouped


def coverage() -> list[tuple[str, int, int]]:
    """(section, answered, total) for every section, in list order."""
    answered = load_catalog()
    return [
        (name, sum(q.id in answered for q in questions), len(questions))
        for name, questions in sections().items()
    ]


def search(answers: dict[str, Answer], query: str) -> list[str]:
    """IDs of the answers whose ID, question, short or long text contains every word of `query`.

    Plain case-insensitive substring matching: the catalog is small (under 200 entries),
    so scanning it per request costs less than keeping a search index in sync.
    """
    words = query.casefold().split()
    if not words:
        return list(answers)
    matches = []
    for qid, answer in answers.items():
        haystack = "\n".join((qid, answer.question, answer.short, answer.long)).casefold()
        if all(word in haystack for word in words):
            matches.append(qid)
    return matches


def slug(heading: str) -> str:
    """The anchor a code host gives a Markdown heading: ``APIs & REST`` -> ``apis--rest``.

    GitHub's rule: lower case, drop everything but letters, digits, spaces, hyphens and
    underscores, then turn each space into a hyphen. The HTML pages use the same anchors.
    """
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
