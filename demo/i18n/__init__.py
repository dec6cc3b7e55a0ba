"""Languages: the locale of each request, the language page and its switcher (Q065, Q159).

`init_babel` binds Flask-Babel with this app's locale selector (`demo.i18n.locale`); `bp`
serves `/language`, where anyone, logged in or not, picks the language of the pages and
sees dates and numbers in its formats.
"""

from flask import Blueprint

bp = Blueprint("i18n", __name__, template_folder="templates")

from demo.i18n import routes  # noqa: E402,F401  (registers the views on `bp`)
from demo.i18n.locale import init_babel  # noqa: E402

__all__ = ["bp", "init_babel"]
