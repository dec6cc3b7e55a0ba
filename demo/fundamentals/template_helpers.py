"""Custom Jinja2 filters, tests and globals (Q157; used by Q029, Q030, Q094).

They are registered with the blueprint's `app_template_*` decorators, which record them and
add them to `app.jinja_env` when the blueprint is registered: every template of the app can
use them, not only this blueprint's.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from markupsafe import Markup, escape
from werkzeug.security import safe_join

from demo.fundamentals import bp


@bp.app_template_filter("pluralize")
def pluralize(count: int, singular: str, plural: str | None = None) -> str:
    """``{{ n|pluralize("comment") }}`` gives "1 comment" or "3 comments".

    Irregular words take their plural as a second argument: ``pluralize("person", "people")``.
    """
    word = singular if count == 1 else (plural or f"{singular}s")
    return f"{count} {word}"


@bp.app_template_filter("highlight")
def highlight(text: str, term: str) -> Markup:
    """Wrap each case-insensitive match of `term` in ``<mark>``; escape everything else.

    The result is `Markup`, so autoescaping leaves the ``<mark>`` tags alone. That is only
    safe because every piece of the input is escaped here first.
    """
    if not term:
        return escape(text)
    # Splitting the raw text (not escaped text) keeps a term like "amp" from matching inside
    # an entity such as "&amp;"; the capturing group puts the matches at the odd indexes.
    pieces = re.split(f"({re.escape(term)})", str(text), flags=re.IGNORECASE)
    return Markup("").join(
        Markup("<mark>{}</mark>").format(piece) if index % 2 else escape(piece)
        for index, piece in enumerate(pieces)
    )


@bp.app_template_test("external")
def is_external(url: str) -> bool:
    """``{% if link is external %}``: the URL leaves this site (another host, http or https)."""
    parts = urlsplit(url)
    if not parts.netloc or parts.scheme not in ("", "http", "https"):
        return False
    # An absolute link to the host serving this request is still internal.
    return not (has_request_context() and parts.netloc.lower() == request.host.lower())


@bp.app_template_global("static_url")
def static_url(filename: str) -> str:
    """``url_for("static", ...)`` plus ``?v=<content hash>``: a changed file gets a new URL.

    Browsers may then cache static files for long (see SEND_FILE_MAX_AGE_DEFAULT) and still
    fetch a new version as soon as it is deployed.
    """
    folder = current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None or not os.path.isfile(path):
        # Leave the link unversioned; the request will 404 just as a plain url_for link would.
        return url_for("static", filename=filename)
    stat = os.stat(path)
    return url_for(
        "static", filename=filename, v=_content_digest(path, stat.st_mtime_ns, stat.st_size)
    )


@lru_cache(maxsize=256)
def _content_digest(path: str, mtime_ns: int, size: int) -> str:
    # mtime and size are only cache keys: an edited file misses the cache and is hashed again.
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
