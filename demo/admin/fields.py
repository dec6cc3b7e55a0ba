"""The admin's many-to-many select, speaking WTForms 3.3's `Choice` protocol (Q136).

Flask-Admin 2.2 builds its relationship selects (a user's roles, an article's tags) from
`QuerySelectMultipleField`, whose `iter_choices` still yields plain tuples. WTForms 3.3
deprecates that (4.0 removes it) and warns on every render, which this project's test suite
treats as an error. This subclass yields `Choice` objects instead and changes nothing else;
it can go once Flask-Admin does the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask_admin.contrib.sqla.fields import QuerySelectMultipleField
from sqlalchemy import select
from wtforms.fields.choices import Choice

from demo.extensions import db


class ManyToManySelect(QuerySelectMultipleField):
    """Flask-Admin's multiple select over a query, yielding `Choice` objects."""

    def iter_choices(self) -> Iterator[Any]:  # type: ignore[override]
        for pk, obj in self._get_object_list():
            yield Choice(pk, self.get_label(obj), obj in self.data, render_kw={})


def choices_of(model: type, order_by: Any) -> Callable[[], Iterable[Any]]:
    """A `query_factory`: every row of `model` in a stable order, read at render time."""
    return lambda: db.session.scalars(select(model).order_by(order_by))
