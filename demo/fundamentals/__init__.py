"""The Flask fundamentals blueprint: routing, templates, requests, contexts, hooks.

Each topic lives in its own module that adds views to this one blueprint; importing the
modules here is what registers their routes.
"""

from flask import Blueprint

bp = Blueprint("fundamentals", __name__, template_folder="templates")

from demo.fundamentals import (  # noqa: E402,F401  (route modules register on `bp`)
    assets,
    async_views,
    basics,
    blueprints_demo,
    contexts,
    data_demo,
    errors_demo,
    external,
    home,
    hooks,
    partials,
    requests_demo,
    routing,
    running,
    signals_demo,
    template_helpers,
    templating,
)
