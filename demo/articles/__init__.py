"""The Conduit articles as HTML pages: list, read, write, comment, favourite (Q033, Q158, Q160).

`bp` serves /articles. Its views are thin, like the JSON API's: they validate a Flask-WTF
form, call the same `demo.api.services` functions the API calls, then flash and redirect
(Post/Redirect/Get). Writing needs only a logged-in account, as in Conduit, where anyone
may publish; the editor role guards nothing here. Changing or deleting an article or a
comment is for its author only, which the services enforce.
"""

from flask import Blueprint

bp = Blueprint("articles", __name__, url_prefix="/articles", template_folder="templates")

from demo.articles import routes  # noqa: E402,F401  (registers the views on `bp`)
