"""The OpenAPI document at /api/openapi.json and the Swagger UI page at /api/docs (Q151).

The document must be valid OpenAPI 3.0, list every Conduit operation with its parameters,
bodies, answers and security, be generated from the marshmallow schemas (not written next
to them), and tell the truth about the app. The docs page must work with no network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from marshmallow import Schema, fields
from playwright.sync_api import Browser, Request, Route, sync_playwright

from demo.api import schemas, users
from demo.api.docs import Auth, operation, routes
from demo.api.docs.operations import UndocumentedViewError
from demo.api.docs.spec import openapi_document

pytestmark = pytest.mark.answers("Q151")

# Every operation of the RealWorld Conduit spec (openapi.yml), under /api.
CONDUIT_OPERATIONS = {
    ("POST", "/api/users/login"),
    ("POST", "/api/users"),
    ("GET", "/api/user"),
    ("PUT", "/api/user"),
    ("GET", "/api/profiles/{username}"),
    ("POST", "/api/profiles/{username}/follow"),
    ("DELETE", "/api/profiles/{username}/follow"),
    ("GET", "/api/articles/feed"),
    ("GET", "/api/articles"),
    ("POST", "/api/articles"),
    ("GET", "/api/articles/{slug}"),
    ("PUT", "/api/articles/{slug}"),
    ("DELETE", "/api/articles/{slug}"),
    ("GET", "/api/articles/{slug}/comments"),
    ("POST", "/api/articles/{slug}/comments"),
    ("DELETE", "/api/articles/{slug}/comments/{comment_id}"),
    ("POST", "/api/articles/{slug}/favorite"),
    ("DELETE", "/api/articles/{slug}/favorite"),
    ("GET", "/api/tags"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# Debian's Chromium, as tests/browser drives it (`make browser-deps` installs it).
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    """The document as a client downloads it."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the document."""
    for path, item in document["paths"].items():
        for method, described in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, described


def ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def test_the_document_is_valid_openapi_3(document):
    """OpenAPI 3.0.3 (what Swagger UI 4 reads), valid against the OpenAPI meta-schema."""
    assert document["openapi"] == "3.0.3"
    assert list(document)[:4] == ["openapi", "info", "tags", "paths"]
    schemathesis.openapi.from_dict(document).validate()  # raises on any violation


def test_every_conduit_operation_is_documented_and_nothing_else(app, document):
    """The 19 Conduit operations: every route of the `api` blueprint, not the docs routes."""
    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == CONDUIT_OPERATIONS
    api_rules = {
        re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.rpartition(".")[0] == "api"
    }
    assert api_rules == {path for _, path in CONDUIT_OPERATIONS}
    assert "/api/openapi.json" not in document["paths"]
    assert "/api/docs" not in document["paths"]


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("NewUser", schemas.NewUser),
        ("UpdateUser", schemas.UpdateUser),
        ("NewArticle", schemas.NewArticle),
        ("UpdateArticle", schemas.UpdateArticle),
        ("NewComment", schemas.NewComment),
        ("User", schemas.User),
        ("Profile", schemas.Profile),
        ("Article", schemas.Article),
        ("ArticleSummary", schemas.ArticleSummary),
        ("Comment", schemas.Comment),
        ("MultipleArticlesResponse", schemas.MultipleArticlesResponse),
    ],
)
def test_component_schemas_are_generated_from_the_marshmallow_schemas(document, name, schema):
    """Each component has exactly its marshmallow schema's JSON keys and required keys."""
    fields = schema().fields.values()
    component = document["components"]["schemas"][name]
    assert set(component["properties"]) == {field.data_key or field.name for field in fields}
    required = {field.data_key or field.name for field in fields if field.required}
    assert set(component.get("required", [])) == required


def test_constraints_come_from_the_validators(document):
    """Lengths, patterns, nullability and formats come from validators, examples from metadata."""
    components = document["components"]["schemas"]
    new_user = components["NewUser"]["properties"]
    assert new_user["username"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "pattern": r"^[\w.-]+$",
        "example": schemas.EXAMPLE_USER["username"],
    }
    assert new_user["email"]["format"] == "email"
    assert new_user["password"]["minLength"] == schemas.MIN_PASSWORD_LENGTH
    assert new_user["password"]["format"] == "password"  # Swagger UI masks it
    tag_list = components["NewArticle"]["properties"]["tagList"]
    assert tag_list["maxItems"] == schemas.MAX_TAGS
    assert "nullable" not in tag_list  # an array when present, as the spec types it
    assert components["Profile"]["properties"]["bio"] == {"type": "string", "nullable": True}
    assert components["Article"]["properties"]["createdAt"]["format"] == "date-time"
    assert "body" not in components["ArticleSummary"]["properties"]


def test_bodies_and_answers_of_an_operation(document):
    """POST /api/articles: its request body, its 201, and the failures it can answer."""
    create = document["paths"]["/api/articles"]["post"]
    assert create["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": ref("NewArticleRequest")}},
    }
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == ref(
        "SingleArticleResponse"
    )
    errors = {status: create["responses"][status] for status in ("401", "415", "422", "429")}
    assert errors == {
        "401": ref("Unauthorized", "responses"),
        "415": ref("UnsupportedMediaType", "responses"),
        "422": ref("UnprocessableEntity", "responses"),
        "429": ref("TooManyRequests", "responses"),
    }
    delete = document["paths"]["/api/articles/{slug}"]["delete"]
    assert set(delete["responses"]) == {"204", "401", "403", "404", "429"}
    assert "content" not in delete["responses"]["204"]


def test_every_failure_has_the_conduit_error_shape(document):
    """401, 403, 404, 415, 422 and 429 all answer GenericErrorModel: {"errors": {"body": [..]}}."""
    components = document["components"]
    for name in (
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "UnsupportedMediaType",
        "UnprocessableEntity",
        "TooManyRequests",
    ):
        content = components["responses"][name]["content"]
        assert content == {"application/json": {"schema": ref("GenericErrorModel")}}
    model = components["schemas"]["GenericErrorModel"]
    assert model["required"] == ["errors"]
    assert model["properties"]["errors"] == ref("ErrorMessages")
    messages = components["schemas"]["ErrorMessages"]
    assert messages["required"] == ["body"]
    assert messages["properties"]["body"] == {"type": "array", "items": {"type": "string"}}
    assert messages["additionalProperties"] is True  # one list per invalid field, by name


def test_query_and_path_parameters(document):
    """Filters and paging in the query; slug, username and comment id in the path."""
    listing = document["paths"]["/api/articles"]["get"]["parameters"]
    query = {p["name"]: p["schema"] for p in listing if p["in"] == "query"}
    assert query == {
        "tag": {"type": "string"},
        "author": {"type": "string"},
        "favorited": {"type": "string"},
        "limit": {"type": "integer", "minimum": 1, "default": 20},
        "offset": {"type": "integer", "minimum": 0, "default": 0},
    }
    feed = document["paths"]["/api/articles/feed"]["get"]["parameters"]
    assert {p["name"] for p in feed if p["in"] == "query"} == {"limit", "offset"}

    def path_parameters(path: str) -> dict[str, dict[str, Any]]:
        parameters = document["paths"][path]["parameters"]
        assert all(p["in"] == "path" and p["required"] for p in parameters)
        return {p["name"]: p["schema"] for p in parameters}

    segment = {"type": "string", "pattern": "^(?:[^/]{1,})$"}  # Werkzeug's default converter
    assert path_parameters("/api/profiles/{username}") == {"username": segment}
    assert path_parameters("/api/articles/{slug}/comments/{comment_id}") == {
        "slug": segment,
        "comment_id": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    }


def test_the_token_security_scheme(document):
    """`Token` is an API key in the Authorization header; operations say when it is needed."""
    scheme = document["components"]["securitySchemes"]["Token"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    paths = document["paths"]
    assert paths["/api/user"]["get"]["security"] == [{"Token": []}]
    assert paths["/api/articles"]["get"]["security"] == [{}, {"Token": []}]  # optional
    assert "security" not in paths["/api/users"]["post"]


def test_summaries_are_the_views_docstrings(document):
    """The first line of the view's docstring is the summary: nothing to keep in sync."""
    summary = document["paths"]["/api/user"]["get"]["summary"]
    assert summary == users.current_user.__doc__.splitlines()[0]
    assert document["paths"]["/api/tags"]["get"]["tags"] == ["Tags"]


def dummy_url(path: str) -> str:
    return path.replace("{comment_id}", "1").replace("{slug}", "x").replace("{username}", "x")


def test_the_document_is_honest_about_authentication(client, document):
    """Anonymous calls: 401 exactly where a token is required, and always a listed status."""
    for method, path, described in operations(document):
        response = client.open(dummy_url(path), method=method, json={})
        assert str(response.status_code) in described["responses"], (method, path)
        requires_token = described.get("security") == [{"Token": []}]
        assert (response.status_code == 401) == requires_token, (method, path)


def test_documented_etags_answer_304(client, document, api_user, write_article):
    """Operations listing 304 send an ETag and honour If-None-Match (the lists, one article)."""
    slug = write_article(api_user)["slug"]
    conditional = {
        (method, path)
        for method, path, described in operations(document)
        if "304" in described["responses"]
    }
    assert conditional == {
        ("GET", "/api/articles"),
        ("GET", "/api/articles/feed"),
        ("GET", "/api/articles/{slug}"),
        ("GET", "/api/tags"),
    }
    for _, path in conditional:
        url = path.replace("{slug}", slug)
        first = client.get(url, headers=api_user.headers)
        assert first.status_code == 200
        etag = {"If-None-Match": first.headers["ETag"], **api_user.headers}
        assert client.get(url, headers=etag).status_code == 304


def test_the_document_is_built_once_per_app(client, monkeypatch):
    """Built on the first request only; an unchanged document is then a 304 by its ETag."""
    builds = []

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        builds.append(args[1])
        return openapi_document(*args, **kwargs)

    monkeypatch.setattr(routes, "openapi_document", counting)
    first = client.get("/api/openapi.json")
    again = client.get("/api/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)
    assert builds == ["api"]


def small_app(*views: tuple[str, Any]) -> Flask:
    """An app with a `shop` blueprint of the given (rule, view) pairs."""
    app = Flask(__name__)
    bp = Blueprint("shop", __name__, url_prefix="/shop")
    for rule, view in views:
        bp.add_url_rule(rule, view_func=view)
    app.register_blueprint(bp)
    return app


class ShopItem(Schema):
    name = fields.String(required=True)


def test_another_blueprint_is_documented_by_name():
    """`openapi_document(app, name, ...)` documents any blueprint whose views carry @operation."""

    @operation(tag="Shop", auth=Auth.OPTIONAL, responses={200: ShopItem})
    def item(item_id: int) -> dict[str, str]:
        """One item."""
        return {"name": "x"}

    app = small_app(("/items/<int:item_id>", item))
    document = openapi_document(app, "shop", title="Shop", version="2")
    assert document["info"] == {"title": "Shop", "version": "2"}
    assert list(document["paths"]) == ["/shop/items/{item_id}"]
    assert document["components"]["schemas"]["ShopItem"]["required"] == ["name"]


def test_a_route_without_operation_stops_the_build():
    """A view without @operation or a docstring is an error naming it, not a silent gap."""

    def secret() -> str:
        """Undocumented."""
        return "x"

    with pytest.raises(UndocumentedViewError, match=r"GET /shop/secret"):
        openapi_document(small_app(("/secret", secret)), "shop", title="Shop", version="1")
    with pytest.raises(LookupError, match="no routes"):
        openapi_document(small_app(), "nothing", title="Shop", version="1")

    @operation(tag="Shop", responses={200: ShopItem})
    def silent() -> dict[str, str]:
        return {"name": "x"}

    with pytest.raises(UndocumentedViewError, match="silent has no docstring"):
        openapi_document(small_app(("/silent", silent)), "shop", title="Shop", version="1")


# --- The Swagger UI page -------------------------------------------------------------


class AssetLinks(HTMLParser):
    """Every src and href of a page, and the spec URL the page hands Swagger UI."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.spec_url: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [found[name] or "" for name in ("src", "href") if name in found]
        self.spec_url = found.get("data-spec-url") or self.spec_url


EXPECTED_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}


def test_docs_page_uses_only_local_assets(client):
    """/api/docs and every file it loads come from this app: no CDN, no network needed."""
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    # Swagger UI's stylesheet draws icons as data: images; the rest of the policy is the site's.
    assert "img-src data: 'self' https:" in page.headers["Content-Security-Policy"]
    links = AssetLinks()
    links.feed(page.get_data(as_text=True))
    assert links.spec_url == "/api/openapi.json"
    assert len(links.urls) == 5
    for url in links.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert asset.mimetype == EXPECTED_TYPES[suffix], url
        asset.close()
    assert "swagger-ui-4." in " ".join(links.urls)  # the installed package's versioned files


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, as in tests/browser (it fails if missing)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps`.", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


ORIGIN = "http://docs.test"


class OfflineSite:
    """Answers a browser page's requests from the app's test client; nothing else is reached.

    A request for another origin is refused and recorded, and so is every console error
    (CSP violations included) and uncaught script error.
    """

    def __init__(self, browser: Browser, client: FlaskClient) -> None:
        self.client = client
        self.elsewhere: list[str] = []
        self.problems: list[str] = []
        self.sent: list[tuple[str, str, str | None]] = []
        self.page = browser.new_page()
        self.page.on("console", lambda msg: msg.type == "error" and self.problems.append(msg.text))
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.route("**/*", self.serve)

    def serve(self, route: Route, request: Request) -> None:
        if not request.url.startswith(f"{ORIGIN}/"):
            self.elsewhere.append(request.url)
            route.abort()
            return
        path = request.url.removeprefix(ORIGIN)
        self.sent.append((request.method, path, request.headers.get("authorization")))
        answer = self.client.open(
            path, method=request.method, headers=request.headers, data=request.post_data_buffer
        )
        body = answer.get_data()
        answer.close()  # a static file's response holds it open until closed
        route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=body)


@pytest.fixture
def site(browser: Browser, client: FlaskClient) -> Iterator[OfflineSite]:
    """/api/docs open in Chromium, served offline; afterwards, nothing left the app."""
    site = OfflineSite(browser, client)
    site.page.goto(f"{ORIGIN}/api/docs")
    site.page.wait_for_selector(".opblock", timeout=20_000)
    yield site
    site.page.close()
    assert site.elsewhere == []
    assert site.problems == []


def test_docs_page_renders_every_operation_offline(site):
    """In Chromium, with the network cut, Swagger UI renders the 19 operations, error-free."""
    page = site.page
    assert page.locator(".opblock").count() == len(CONDUIT_OPERATIONS)
    assert "flaskproof Conduit API" in page.locator(".info .title").inner_text()
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")


def test_try_it_out_sends_the_token_from_the_authorize_dialog(site, api_user):
    """Authorize with `Token <jwt>`, then "Try it out" on GET /api/user: a 200, as jake."""
    page = site.page
    page.click("button.authorize")
    page.fill(".auth-container input", f"Token {api_user.token}")
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")
    operation = page.locator("#operations-User_and_Authentication-current_user")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status")
    assert status.inner_text(timeout=20_000).strip() == "200"
    assert ("GET", "/api/user", f"Token {api_user.token}") in site.sent
    assert '"username": "jake"' in operation.locator(".live-responses-table").inner_text()
