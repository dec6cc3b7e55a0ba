"""Run a callback once the current database transaction has committed (Q166).

Queueing a task from inside a transaction races the commit: a worker may pick it up before
the row it needs is visible, or the transaction may roll back after the mail went out.
`after_commit(callback)` runs `callback` right away when the session holds no uncommitted
writes, and otherwise on the session's next commit; a rollback drops it.

SQLAlchemy does not say whether a flushed transaction wrote anything, so an `after_flush`
listener notes it in ``session.info``. Callbacks run after the commit, when the session can
no longer emit SQL: they must not touch expired attributes (capture values beforehand).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from demo.extensions import db

_WROTE = "demo.tasks.wrote"
_CALLBACKS = "demo.tasks.after_commit"


def has_uncommitted_writes(session: Session) -> bool:
    """True when the session holds changes not committed yet, flushed or not."""
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` now if nothing is pending, else when `db.session` commits."""
    session = db.session()
    if has_uncommitted_writes(session):
        session.info.setdefault(_CALLBACKS, []).append(callback)
    else:
        callback()


@event.listens_for(db.session, "after_flush")
def _note_write(session: Session, _flush_context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(db.session, "after_commit")
def _run_callbacks(session: Session) -> None:
    session.info.pop(_WROTE, None)
    for callback in session.info.pop(_CALLBACKS, []):
        callback()


@event.listens_for(db.session, "after_rollback")
def _drop_callbacks(session: Session) -> None:
    session.info.pop(_WROTE, None)
    session.info.pop(_CALLBACKS, None)
