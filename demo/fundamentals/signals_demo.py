"""Signals: a custom one this app sends, and a subscriber for it (Q121, Q122).

`question_viewed` lives in the project's own blinker `Namespace`, as Flask recommends for
extensions and apps, so its name cannot clash with another package's signals. The view at
/hooks/questions/<id> sends it; `log_question_view` is a subscriber connected at import
time. Senders do not know who listens, and a subscriber cannot change the response: signals
are for observing (audit lines, metrics, cache invalidation), hooks are for acting.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import Namespace
from flask import Flask, Response, abort, current_app, jsonify

from demo.answers.catalog import load_questions
from demo.fundamentals.hooks import hooks

demo_signals = Namespace()
question_viewed = demo_signals.signal(
    "question-viewed", doc="Sent with `question_id` when a question is shown."
)
signal_log = logging.getLogger("demo.signals")


@question_viewed.connect
def log_question_view(sender: Flask, question_id: str, **extra: Any) -> None:
    """Write an audit line for every question shown, whichever app sent the signal."""
    signal_log.info("question %s viewed in %s", question_id, sender.name)


@hooks.get("/questions/<question_id>")
def show_question(question_id: str) -> Response:
    """Return one question and tell any subscribers that it was viewed."""
    question = load_questions().get(question_id.upper())
    if question is None:
        abort(404, description=f"{question_id} is not a question ID.")
    # The proxy would be a different object on every access: send the app itself.
    question_viewed.send(current_app._get_current_object(), question_id=question.id)
    return jsonify(id=question.id, section=question.section, question=question.text)
