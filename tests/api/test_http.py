"""HTTP conventions of the API: JSON in and out, methods, the two view styles, CSRF, errors."""

from __future__ import annotations

import importlib.util
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import request
from flask.views import MethodView
from flask_jwt_extended import get_jwt
from sqlalchemy import select

from demo.api.articles import ArticleResource
from demo.models import User
from tests.api.support import errors_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.answers("Q083")
def test_responses_are_json_with_the_charset_conduit_asks_for(client, api_user, write_article):
    """Every API answer, success or error, says `application/json; charset=utf-8`."""
    write_article(api_user)
    for response in (
        client.get("/api/tags"),
        client.get("/api/articles"),
        client.get("/api/articles/nope"),
        client.get("/api/user"),
    ):
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.is_json


@pytest.mark.answers("Q083", "Q150")
def test_schemas_not_flask_decide_how_dates_look(app, client, api_user, write_article):
    """Flask's JSON provider would send an RFC 822 date; the schema sends ISO 8601 with ms and Z."""
    moment = datetime(2016, 2, 18, 3, 22, 56, 637000, tzinfo=UTC)
    assert app.json.dumps(moment) == '"Thu, 18 Feb 2016 03:22:56 GMT"'
    created_at = write_article(api_user)["createdAt"]
    assert created_at.endswith("Z") and len(created_at) == len("2016-02-18T03:22:56.637Z")


@pytest.mark.answers("Q083")
def test_a_view_returns_a_dict_and_a_status_and_flask_makes_the_json_response(client):
    """`return schema.dump(...), 201` is enough: Flask turns the dict into a JSON response."""
    response = client.post(
        "/api/users",
        json={"user": {"username": "Zoë", "email": "zoe@example.com", "password": "p" * 8}},
    )
    assert response.status_code == 201
    assert response.get_json()["user"]["username"] == "Zoë"
    assert b"Zo\\u00eb" in response.data  # ensure_ascii: non-ASCII is escaped, not mangled


@pytest.mark.answers("Q082")
def test_the_article_url_serves_three_methods_and_refuses_others_with_405(
    client, api_user, write_article
):
    """One URL, GET/PUT/DELETE dispatched by method; PATCH gets 405 with an `Allow` header."""
    slug = write_article(api_user)["slug"]
    response = client.patch(f"/api/articles/{slug}", json={}, headers=api_user.headers)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
    assert errors_of(response)["body"]


@pytest.mark.answers("Q082")
def test_two_function_views_share_the_user_url_by_method(app, client, api_user):
    """GET and PUT /api/user are separate functions; POST there is a 405 listing both."""
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/api/user", method="GET")[0] == "api.current_user"
    assert adapter.match("/api/user", method="PUT")[0] == "api.update_user"
    response = client.post("/api/user", json={}, headers=api_user.headers)
    assert response.status_code == 405
    assert {"GET", "PUT"} <= set(response.headers["Allow"].split(", "))


@pytest.mark.answers("Q062", "Q063", "Q084")
def test_the_article_resource_is_a_method_view_registered_with_as_view(app):
    """`ArticleResource.as_view("article")` is the endpoint; its methods come from the class."""
    view = app.view_functions["api.article"]
    assert view.view_class is ArticleResource
    assert issubclass(ArticleResource, MethodView)
    assert ArticleResource.methods == {"GET", "PUT", "DELETE"}
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == "api.article")
    assert rule.rule == "/api/articles/<slug>"


@pytest.mark.answers("Q062", "Q084")
def test_both_view_styles_share_schemas_services_and_errors(client, api_user, write_article):
    """The function view (list) and the MethodView (detail) return the same article data and
    the same error shape."""
    slug = write_article(api_user)["slug"]
    from_function_view = client.get("/api/articles").get_json()["articles"][0]
    from_method_view = client.get(f"/api/articles/{slug}").get_json()["article"]
    assert from_function_view == {k: v for k, v in from_method_view.items() if k != "body"}
    function_404 = client.get("/api/articles/nope/comments")
    method_404 = client.get("/api/articles/nope")
    assert function_404.status_code == method_404.status_code == 404
    assert set(errors_of(function_404)) == set(errors_of(method_404)) == {"body", "article"}


@pytest.mark.answers("Q062", "Q063", "Q084")
def test_the_api_is_built_on_flask_itself_not_on_a_rest_extension():
    """No Flask-RESTful, Flask-RESTPlus or Flask-RESTX: MethodView plus marshmallow instead."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = " ".join(pyproject["project"]["dependencies"]).lower()
    for package, module in [
        ("flask-restful", "flask_restful"),
        ("flask-restplus", "flask_restplus"),
        ("flask-restx", "flask_restx"),
    ]:
        assert package not in declared
        assert importlib.util.find_spec(module) is None
    assert "marshmallow" in declared


@pytest.mark.answers("Q080", "Q085")
def test_the_api_is_stateless_each_request_carries_its_token(app, client):
    """No session cookie is handed out; the token alone authenticates, from any client."""
    body = {"user": {"username": "jake", "email": "jake@example.com", "password": "p" * 8}}
    registered = client.post("/api/users", json=body)
    assert "Set-Cookie" not in registered.headers
    token = registered.get_json()["user"]["token"]
    fresh_client = app.test_client()  # no cookies, nothing shared with the first one
    response = fresh_client.get("/api/user", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_unknown_api_urls_are_json_404s(client):
    """A URL no rule matches, under /api: a JSON 404, not the HTML page."""
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert errors_of(response)["body"]


@pytest.mark.answers("Q149")
def test_a_body_not_declared_as_json_is_415(client, api_user):
    """A form-encoded or text body: 415 Unsupported Media Type, telling the client the fix."""
    response = client.post("/api/users", data={"user": "x"})
    assert response.status_code == 415
    assert "application/json" in errors_of(response)["body"][0]


@pytest.mark.answers("Q149")
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "body is not valid JSON"),
        ("[1, 2]", "body must be a JSON object"),
        ('{"user": "jake"}', "user must be a JSON object"),
        ('{"user": null}', "user can't be blank"),
    ],
)
def test_a_json_body_of_the_wrong_shape_is_422(client, raw, message):
    """Unparseable JSON, a non-object, or an envelope that is not an object: 422."""
    response = client.post("/api/users", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert errors_of(response)["body"] == [message]


@pytest.mark.answers("Q085")
def test_the_api_is_exempt_from_session_csrf_but_the_html_forms_are_not(app, client):
    """CSRF protection is on, yet API writes need no form token: the header token is the proof."""
    form_without_token = client.post("/auth/logout")
    assert form_without_token.status_code == 400  # the CSRF check refused it
    body = {"user": {"username": "jake", "email": "jake@example.com", "password": "p" * 8}}
    assert client.post("/api/users", json=body).status_code == 201


@pytest.mark.answers("Q086")
def test_the_test_client_can_keep_the_request_context_for_inspection(client, db, api_user):
    """Inside ``with client:`` the last request's context stays open after the response."""
    jake_id = db.session.scalar(select(User.id).where(User.username == "jake"))
    with client:
        response = client.get("/api/user", headers=api_user.headers)
        assert response.status_code == 200
        assert request.path == "/api/user"
        assert request.headers["Authorization"].startswith("Bearer ")  # normalised from Token
        assert get_jwt()["sub"] == str(jake_id)
