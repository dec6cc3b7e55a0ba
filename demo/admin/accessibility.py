"""The accessibility basics on Flask-Admin's pages, where its templates leave them out (Q136).

Flask-Admin's base template writes ``<html>`` outside any block, so no child template can
give it a ``lang``, and its search box has a placeholder but no label. Rather than copy and
fork its templates, this hook adds both to the admin's HTML responses; the page title's
heading level is fixed the ordinary way, by `templates/admin/flaskproof_base.html`.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request
from flask_babel import get_locale, gettext

_HTML_TAG = re.compile(r"<html(?=[\s>])(?![^>]*\blang=)")
_SEARCH_BOX = re.compile(
    r'<input(?![^>]*\baria-label=)(?=[^>]*\bname="search")(?=[^>]*type="text")'
)


def label_admin_pages(response: Response) -> Response:
    """Give the admin's HTML pages a document language and a named search box."""
    blueprint = request.blueprint or ""
    if not blueprint.startswith("admin") or response.mimetype != "text/html":
        return response
    if response.direct_passthrough or response.is_streamed:
        return response
    html = response.get_data(as_text=True)
    html = _HTML_TAG.sub(f'<html lang="{get_locale()}"', html, count=1)
    html = _SEARCH_BOX.sub(f'<input aria-label="{gettext("Search")}"', html)
    response.set_data(html)
    return response


def init_accessibility(app: Flask) -> None:
    """Register the hook on `app`."""
    app.after_request(label_admin_pages)
