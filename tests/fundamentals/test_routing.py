"""Routing and views on the real app: rules, converters, methods, url_for, redirects, the
client address and how return values become responses."""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from flask import Flask, redirect, request, url_for
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import BuildError, RequestRedirect
from werkzeug.test import Client

from demo import create_app
from demo.fundamentals.routing import SlugListConverter, default_method, user_profile

ALL_VERBS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def rule_for(app: Flask, pattern: str):
    """The one rule in the app's URL map with this pattern."""
    (rule,) = [rule for rule in app.url_map.iter_rules() if rule.rule == pattern]
    return rule


def location_path(response) -> str:
    """The path (and query) a redirect points at, whether Location is absolute or not."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- Rules, the URL map and dispatching (Q014, Q015, Q016, Q123) --------------------------


@pytest.mark.answers("Q014", "Q015")
def test_route_decorator_registers_a_rule_and_a_view_function(app: Flask):
    """`@bp.get(...)` put a Rule in `url_map` and the function in `view_functions` by endpoint."""
    rule = rule_for(app, "/routing/users/<int:user_id>")
    assert rule.endpoint == "fundamentals.user_profile"
    assert rule.methods == {"GET", "HEAD", "OPTIONS"}
    assert rule.arguments == {"user_id"}
    assert app.view_functions[rule.endpoint] is user_profile


@pytest.mark.answers("Q014", "Q016")
def test_url_map_matches_paths_and_builds_them_back(app: Flask):
    """The bound URL map turns a path into (endpoint, args) and the pair back into the path."""
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/routing/users/42") == ("fundamentals.user_profile", {"user_id": 42})
    assert adapter.build("fundamentals.user_profile", {"user_id": 42}) == "/routing/users/42"
    with pytest.raises(NotFound):
        adapter.match("/routing/users/forty-two")
    with pytest.raises(MethodNotAllowed) as not_allowed:
        adapter.match("/routing/users/42", method="POST")
    assert set(not_allowed.value.valid_methods) == {"GET", "HEAD", "OPTIONS"}
    with pytest.raises(RequestRedirect) as moved:
        adapter.match("/routing")
    assert moved.value.code == 308
    assert moved.value.new_url == "http://localhost/routing/"


@pytest.mark.answers("Q016")
def test_missing_trailing_slash_is_redirected_by_the_router(client: FlaskClient):
    """A rule ending in `/` answers its slash-less form with a 308 before any view runs."""
    response = client.get("/routing")
    assert response.status_code == 308
    assert location_path(response) == "/routing/"


@pytest.mark.answers("Q014")
def test_routing_page_lists_rules_read_from_the_url_map(client: FlaskClient):
    """/routing/ shows each rule's pattern, endpoint and methods, straight from `url_map`."""
    page = client.get("/routing/").get_data(as_text=True)
    assert "<code>/routing/users/&lt;int:user_id&gt;</code>" in page
    assert "<code>fundamentals.user_profile</code>" in page
    assert "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT" in page
    assert "<code>fundamentals.widgets_v2.show_widget</code>" in page


@pytest.mark.answers("Q016", "Q123")
def test_request_context_carries_the_match_and_dispatch_calls_the_view(app: Flask):
    """Matching fills `request.url_rule` and `view_args`; `dispatch_request` calls the view."""
    with app.test_request_context("/routing/users/42"):
        assert request.url_rule.rule == "/routing/users/<int:user_id>"
        assert request.endpoint == "fundamentals.user_profile"
        assert request.blueprint == "fundamentals"
        assert request.view_args == {"user_id": 42}
        raw = app.dispatch_request()
        assert raw == {"user_id": 42, "type": "int"}  # the view's value, not yet a Response
        response = app.make_response(raw)
        assert response.mimetype == "application/json"
        assert response.get_json() == raw


@pytest.mark.answers("Q123")
def test_routing_failure_is_kept_and_raised_at_dispatch(app: Flask):
    """A path no rule matches is stored on the request and raised when dispatch begins."""
    with app.test_request_context("/routing/users/abc"):
        assert isinstance(request.routing_exception, NotFound)
        assert request.url_rule is None
        with pytest.raises(NotFound):
            app.dispatch_request()


@pytest.mark.answers("Q123")
def test_dispatcher_middleware_routes_a_url_prefix_to_this_app(app: Flask):
    """Application dispatching: a WSGI dispatcher mounts the app at /flaskproof via SCRIPT_NAME."""
    mounted = Client(DispatcherMiddleware(NotFound(), {"/flaskproof": app}))
    assert mounted.get("/routing/users/42").status_code == 404  # outside the mount point
    response = mounted.get("/flaskproof/routing/users/42")
    assert response.get_json() == {"user_id": 42, "type": "int"}
    links = mounted.get("/flaskproof/routing/links").get_json()
    assert links["profile"] == "/flaskproof/routing/users/42"


# --- Dynamic segments and converters (Q017) --------------------------------------------------


@pytest.mark.answers("Q017")
def test_int_converter_passes_an_int(client: FlaskClient):
    """`<int:user_id>` hands the view an int; non-digits and negatives never reach it (404)."""
    assert client.get("/routing/users/42").get_json() == {"user_id": 42, "type": "int"}
    assert client.get("/routing/users/abc").status_code == 404
    assert client.get("/routing/users/-1").status_code == 404


@pytest.mark.answers("Q017")
def test_string_and_path_converters_differ_on_slashes(client: FlaskClient):
    """The default `string` stops at `/`; `path` takes the rest of the URL, slashes included."""
    assert client.get("/routing/pages/about-us").get_json() == {"slug": "about-us"}
    assert client.get("/routing/pages/about/us").status_code == 404
    response = client.get("/routing/files/reports/2024/q1.csv")
    assert response.get_json() == {"subpath": "reports/2024/q1.csv"}


@pytest.mark.answers("Q017")
def test_uuid_converter_validates_and_passes_a_uuid(client: FlaskClient):
    """`<uuid:...>` accepts a well-formed UUID and the view gets a `uuid.UUID` object."""
    order_id = uuid4()
    body = client.get(f"/routing/orders/{order_id}").get_json()
    assert body == {"order_id": str(order_id), "version": 4}
    assert client.get("/routing/orders/not-a-uuid").status_code == 404


@pytest.mark.answers("Q017")
def test_custom_converter_parses_and_builds_lists(app: Flask, client: FlaskClient):
    """`slugs` maps `a,b-c` to a list and back; building refuses a value it would never match."""
    assert app.url_map.converters["slugs"] is SlugListConverter
    body = client.get("/routing/tags/flask,url-routing").get_json()
    assert body == {"tags": ["flask", "url-routing"]}
    assert client.get("/routing/tags/Flask").status_code == 404
    assert client.get("/routing/tags/flask,,jinja").status_code == 404
    with app.test_request_context():
        assert url_for("fundamentals.articles_by_tags", tags=["a", "b-c"]) == "/routing/tags/a,b-c"
        with pytest.raises(ValueError, match="slugs"):
            url_for("fundamentals.articles_by_tags", tags=["Not A Slug"])


# --- HTTP methods (Q018, Q019, Q133) ---------------------------------------------------------


@pytest.mark.answers("Q018")
def test_one_rule_serves_every_method_it_lists(client: FlaskClient):
    """GET, POST, PUT, PATCH and DELETE all reach the same view, which sees `request.method`."""
    for method in sorted(ALL_VERBS):
        response = client.open("/routing/methods", method=method, json={"verb": method})
        assert response.status_code == 200, method
        assert response.get_json() == {"method": method, "json": {"verb": method}}


@pytest.mark.answers("Q018")
def test_head_and_options_are_answered_automatically(client: FlaskClient):
    """HEAD returns GET's headers without the body; OPTIONS lists the allowed methods."""
    full = client.get("/routing/users/42")
    head = client.head("/routing/users/42")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    options = client.options("/routing/methods")
    assert options.status_code == 200
    assert set(options.allow) == ALL_VERBS | {"HEAD", "OPTIONS"}


@pytest.mark.answers("Q018")
def test_unlisted_method_is_405_with_an_allow_header(client: FlaskClient):
    """A method the rule does not list is refused with 405 and the methods it does accept."""
    response = client.open("/routing/methods", method="TRACE")
    assert response.status_code == 405
    assert set(response.allow) == ALL_VERBS | {"HEAD", "OPTIONS"}


@pytest.mark.answers("Q019", "Q021")
def test_get_shows_the_form_and_a_valid_post_redirects_with_303(client: FlaskClient):
    """One view: GET renders the form, POST validates and answers 303 back to GET."""
    form = client.get("/routing/greeting")
    assert form.status_code == 200
    assert '<form method="post" action="/routing/greeting">' in form.get_data(as_text=True)

    posted = client.post("/routing/greeting", data={"name": "Ada"})
    assert posted.status_code == 303
    assert location_path(posted) == "/routing/greeting?name=Ada"

    followed = client.post("/routing/greeting", data={"name": "Ada"}, follow_redirects=True)
    assert followed.request.method == "GET"
    assert '<p class="greeting">Hello, Ada!</p>' in followed.get_data(as_text=True)


@pytest.mark.answers("Q019")
def test_invalid_post_re_renders_the_form_with_400(client: FlaskClient):
    """A blank name is not redirected: the form comes back with the error and a 400."""
    response = client.post("/routing/greeting", data={"name": "   "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give a name of 1 to 50 characters." in page
    assert '<form method="post"' in page


@pytest.mark.answers("Q019")
def test_greeting_shows_markup_in_the_name_as_text(client: FlaskClient):
    """The redirected-to page renders the name through autoescaping: a script tag stays text."""
    page = client.get("/routing/greeting", query_string={"name": "<script>x</script>"})
    body = page.get_data(as_text=True)
    assert "Hello, &lt;script&gt;x&lt;/script&gt;!" in body
    assert "<script>x</script>" not in body


@pytest.mark.answers("Q133")
def test_route_without_methods_answers_get_only(app: Flask, client: FlaskClient):
    """`@bp.route` with no `methods=` allows GET (plus automatic HEAD/OPTIONS); POST is 405."""
    rule = rule_for(app, "/routing/default-method")
    assert app.view_functions[rule.endpoint] is default_method
    assert rule.methods == {"GET", "HEAD", "OPTIONS"}
    assert client.get("/routing/default-method").get_json() == {"method": "GET"}
    refused = client.post("/routing/default-method")
    assert refused.status_code == 405
    assert set(refused.allow) == {"GET", "HEAD", "OPTIONS"}


# --- url_for (Q020) --------------------------------------------------------------------------


@pytest.mark.answers("Q020")
def test_url_for_builds_paths_external_urls_queries_and_anchors(client: FlaskClient):
    """Unknown keyword arguments become an escaped query string; `_external` adds the host."""
    assert client.get("/routing/links").get_json() == {
        "profile": "/routing/users/42",
        "profile_external": "http://localhost/routing/users/42",
        "profile_with_query": "/routing/users/42?tab=posts+%26+replies",
        "profile_with_anchor": "/routing/users/42#bio",
        "tags": "/routing/tags/flask,url-routing",
        "stylesheet": "/static/site.css",
    }


@pytest.mark.answers("Q020")
def test_url_for_takes_host_and_script_root_from_the_request(app: Flask):
    """Behind a path prefix, built URLs include it: the request supplies host and root."""
    with app.test_request_context("/", base_url="https://example.org/flaskproof"):
        assert url_for("fundamentals.user_profile", user_id=1) == "/flaskproof/routing/users/1"
        assert (
            url_for("fundamentals.user_profile", user_id=1, _external=True)
            == "https://example.org/flaskproof/routing/users/1"
        )


@pytest.mark.answers("Q020")
def test_url_for_outside_a_request_needs_server_name(app: Flask):
    """With only an app context, building needs SERVER_NAME; with it, URLs are absolute."""
    with pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("fundamentals.user_profile", user_id=1)
    cli_app = create_app("testing", SERVER_NAME="flaskproof.example", PREFERRED_URL_SCHEME="https")
    with cli_app.app_context():
        assert url_for("fundamentals.user_profile", user_id=1) == (
            "https://flaskproof.example/routing/users/1"
        )


@pytest.mark.answers("Q020")
def test_url_for_refuses_unknown_endpoints_and_missing_arguments(app: Flask):
    """A typo or a missing URL variable is a BuildError, not a silently broken link."""
    with app.test_request_context():
        with pytest.raises(BuildError):
            url_for("fundamentals.user_profil", user_id=1)
        with pytest.raises(BuildError):
            url_for("fundamentals.user_profile")


# --- Redirects (Q021, Q131) ------------------------------------------------------------------


@pytest.mark.answers("Q021", "Q131")
def test_redirect_defaults_to_302_with_a_location(app: Flask, client: FlaskClient):
    """`redirect(url)` builds a 302 with `Location`; the `next` view uses that default."""
    with app.test_request_context():
        response = redirect(url_for("fundamentals.visitor_ip"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/routing/ip"

    followed = client.get("/routing/go?next=/routing/ip")
    assert followed.status_code == 302
    assert location_path(followed) == "/routing/ip"


@pytest.mark.answers("Q021", "Q131")
def test_moved_url_redirects_permanently_with_301(client: FlaskClient):
    """The legacy member URL answers 301 pointing at the URL `url_for` builds for the profile."""
    response = client.get("/routing/members/42")
    assert response.status_code == 301
    assert location_path(response) == "/routing/users/42"
    assert client.get("/routing/members/42", follow_redirects=True).get_json()["user_id"] == 42


@pytest.mark.answers("Q021")
def test_308_keeps_the_method_and_body(client: FlaskClient):
    """Following a 308 repeats the POST with its JSON body; 301/302/303 would switch to GET."""
    response = client.post("/routing/v1/methods", json={"id": 7}, follow_redirects=True)
    assert [step.status_code for step in response.history] == [308]
    assert response.request.path == "/routing/methods"
    assert response.get_json() == {"method": "POST", "json": {"id": 7}}


@pytest.mark.answers("Q021")
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
    ],
)
def test_next_parameter_cannot_redirect_off_site(client: FlaskClient, target: str):
    """Anything a browser would resolve to another host falls back to the routing index."""
    response = client.get("/routing/go", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/routing/"


# --- The visitor's IP address (Q022) ---------------------------------------------------------


@pytest.mark.answers("Q022")
def test_ip_is_the_tcp_peer_and_forwarded_headers_are_ignored_by_default(client: FlaskClient):
    """With no trusted proxy (the default), a client-sent X-Forwarded-For changes nothing."""
    response = client.get(
        "/routing/ip",
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
        headers={"X-Forwarded-For": "203.0.113.66"},
    )
    assert response.get_json() == {"ip": "198.51.100.20"}


@pytest.mark.answers("Q022")
def test_one_trusted_proxy_hop_yields_the_address_it_appended():
    """With PROXY_FIX_X_FOR=1 the IP is the last X-Forwarded-For entry, the one our proxy added."""
    behind_proxy = create_app("testing", PROXY_FIX_X_FOR=1).test_client()
    response = behind_proxy.get(
        "/routing/ip",
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy itself
        # The client forged the first entry; the proxy appended the address it really saw.
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"},
    )
    assert response.get_json() == {"ip": "203.0.113.9"}


@pytest.mark.answers("Q022")
def test_access_route_believes_whatever_the_client_sends(app: Flask):
    """`request.access_route` reads X-Forwarded-For unchecked: the reason to rely on ProxyFix."""
    with app.test_request_context(
        "/routing/ip",
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
        headers={"X-Forwarded-For": "6.6.6.6"},
    ):
        assert request.access_route[0] == "6.6.6.6"
        assert request.remote_addr == "198.51.100.20"


# --- Return values become responses (Q023, Q123) ---------------------------------------------


@pytest.mark.answers("Q023", "Q123")
@pytest.mark.parametrize(
    ("kind", "status", "mimetype", "body"),
    [
        ("text", 200, "text/html", b"A str becomes a text/html response."),
        ("dict", 200, "application/json", b'{"converted":"a dict becomes JSON"}\n'),
        ("list", 200, "application/json", b'["a","list","becomes","JSON"]\n'),
        ("tuple", 201, "application/json", b'{"id":7}\n'),
        ("response", 202, "text/plain", b"Built by hand.\n"),
    ],
)
def test_view_return_values_are_converted_to_responses(
    client: FlaskClient, kind: str, status: int, mimetype: str, body: bytes
):
    """`make_response` turns str, dict, list, (body, status, headers) and Response into replies."""
    response = client.get(f"/routing/returns/{kind}")
    assert (response.status_code, response.mimetype, response.data) == (status, mimetype, body)
    if kind == "tuple":
        assert response.headers["Location"] == "/routing/users/7"


@pytest.mark.answers("Q023")
def test_generator_return_value_is_streamed(client: FlaskClient):
    """A generator is sent as it is produced: no Content-Length, `request` still usable."""
    response = client.get("/routing/returns/stream")
    assert response.status_code == 200
    assert "Content-Length" not in response.headers
    assert response.get_data(as_text=True).splitlines() == [
        f"chunk {n} of /routing/returns/stream" for n in range(3)
    ]


@pytest.mark.answers("Q023")
def test_unsupported_return_values_are_a_type_error(app: Flask):
    """A view returning None (a forgotten `return`) fails loudly instead of sending nothing."""
    with app.test_request_context("/"), pytest.raises(TypeError, match="did not return"):
        app.make_response(None)


@pytest.mark.answers("Q017", "Q023")
def test_any_converter_limits_the_values_a_segment_accepts(client: FlaskClient):
    """`<any(...):kind>` matches only the listed words; anything else is a 404."""
    assert client.get("/routing/returns/xml").status_code == 404
