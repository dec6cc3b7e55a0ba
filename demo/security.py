"""Security headers on every response (Q096, Q154).

One `after_request` hook, written by hand instead of pulling in Flask-Talisman: the policy
is five headers and a dozen lines, all of it visible here and in the tests. Talisman's
original Google repository went dormant and the package now lives on in its author's fork,
one more dependency whose maintenance to watch, and its other features are already done
elsewhere: HTTPS redirects by the proxy (with ProxyFix telling Flask the scheme), cookie
flags by the `SESSION_COOKIE_*` and `REMEMBER_COOKIE_*` settings.

`setdefault` semantics: a view that needs a different policy for one response sets the
header itself and this hook leaves it alone.

What each header buys:

- Content-Security-Policy: scripts, styles, fonts, frames and connections from this origin
  only (no inline script, so an injected ``<script>`` does not run), no plugins, no
  ``<base>`` rewriting, forms post only to this site, and no framing by anyone
  (``frame-ancestors``, the modern replacement for X-Frame-Options). Images may also come
  from any HTTPS URL, because profile pictures are links to other sites.
- X-Content-Type-Options: nosniff: the browser trusts our Content-Type and never runs an
  upload or a JSON body as a script or style.
- X-Frame-Options: DENY: clickjacking protection for browsers that predate CSP level 2.
- Referrer-Policy: full URLs (which may carry ids or tokens) stay on this site; other sites
  see only the origin, and nothing is sent from HTTPS to HTTP.
- Strict-Transport-Security, production only: once seen over HTTPS, the browser refuses plain
  HTTP to this host for a year, so no one can strip TLS on a later visit. Sent only where
  TLS is guaranteed, because a browser remembers it.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' https:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def set_security_headers(response: Response) -> Response:
    """Add the security headers this response does not already set."""
    # One pass over the names, not `headers.setdefault` per header: that scans (and
    # lower-cases) the whole list twice per call, on every response (Q102).
    present = {name.lower() for name, _ in response.headers}
    for name, value in STATIC_HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    max_age = current_app.config.get("HSTS_MAX_AGE", 0)
    if max_age and "strict-transport-security" not in present:
        response.headers.add("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    return response


def register_security_headers(app: Flask) -> None:
    """Run `set_security_headers` after every request, error pages included."""
    app.after_request(set_security_headers)
