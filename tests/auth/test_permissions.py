"""RBAC: one permission table and one decorator guard a page and an API endpoint alike."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from demo.auth.permissions import ROLE_PERMISSIONS, permissions_for
from demo.extensions import db
from demo.models import ROLE_NAMES
from tests.auth.token_support import bearer, create_user, get_tokens, log_in_browser

PAGE = "/auth/editor-desk"
ENDPOINT = "/api/auth/editor-desk"


@pytest.mark.answers("Q045", "Q046")
def test_roles_grant_permissions_and_higher_roles_include_lower_ones():
    """Each role of the data model has a permission set; editor ⊂ admin, viewer ⊂ editor."""
    assert set(ROLE_PERMISSIONS) == set(ROLE_NAMES)
    assert ROLE_PERMISSIONS["viewer"] < ROLE_PERMISSIONS["editor"] < ROLE_PERMISSIONS["admin"]
    assert "articles:write" not in permissions_for(["viewer"])
    assert "articles:write" in permissions_for(["editor"])
    assert "users:manage" in permissions_for(["admin"]) - permissions_for(["editor"])
    assert permissions_for(["viewer", "unknown-role"]) == ROLE_PERMISSIONS["viewer"]
    assert permissions_for([]) == frozenset()


@pytest.mark.answers("Q046")
def test_page_and_endpoint_are_guarded_by_the_same_decorator(app):
    """The HTML view and the JSON view are wrapped by `require_permission("articles:write")`."""
    page = app.view_functions["auth.editor_desk_page"]
    endpoint = app.view_functions["auth_api.editor_desk_api"]

    assert page.required_permission == endpoint.required_permission == "articles:write"
    assert page.__wrapped__.__module__ == endpoint.__wrapped__.__module__ == "demo.auth.desk"
    assert app.view_functions["auth_api.me"].required_permission is None  # any caller


# --- The page (Flask-Login session) ---------------------------------------------------------


@pytest.mark.answers("Q045", "Q046")
def test_page_sends_anonymous_visitors_to_the_login_page(app, client):
    """Not logged in: a redirect to the login page, with ?next= pointing back to the desk."""
    response = client.get(PAGE)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [PAGE]


@pytest.mark.answers("Q045", "Q046")
def test_page_refuses_a_viewer_with_a_403_page(app: Flask, client):
    """A logged-in viewer is known but not allowed: 403, as an HTML page."""
    log_in_browser(app, client, create_user("vera", "viewer"))

    response = client.get(PAGE)

    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "articles:write" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["editor", "admin"])
@pytest.mark.answers("Q045", "Q046")
def test_page_lets_editors_and_admins_in(app: Flask, client, role):
    """Editors have the permission; admins have it through their larger set."""
    log_in_browser(app, client, create_user("erin", role))

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Editor&#39;s desk" in html or "Editor's desk" in html
    assert f"<li>{role}</li>" in html


@pytest.mark.answers("Q045", "Q046")
def test_page_ignores_a_jwt(app, client):
    """Pages know only the session: a Bearer token does not log a browser page in."""
    access = get_tokens(client, create_user("erin", "editor"))["access_token"]

    response = client.get(PAGE, headers=bearer(access))

    assert response.status_code == 302


# --- The API endpoint (JWT or API key) ------------------------------------------------------


@pytest.mark.answers("Q045", "Q046")
def test_endpoint_answers_anonymous_callers_with_a_401_challenge(app, client):
    """No credentials on the API: 401 JSON with WWW-Authenticate, never a redirect."""
    response = client.get(ENDPOINT)

    assert response.status_code == 401
    assert response.is_json
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="flaskproof"'
    assert "X-API-Key" in response.get_json()["errors"]["body"][0]


@pytest.mark.answers("Q045", "Q046")
def test_endpoint_refuses_a_viewer_with_a_403_in_json(app, client):
    """A viewer's valid token gets a JSON 403 naming the missing permission."""
    access = get_tokens(client, create_user("vera", "viewer"))["access_token"]

    response = client.get(ENDPOINT, headers=bearer(access))

    assert response.status_code == 403
    assert response.get_json() == {
        "errors": {"body": ["You need the 'articles:write' permission to do this."]}
    }


@pytest.mark.parametrize("role", ["editor", "admin"])
@pytest.mark.answers("Q045", "Q046")
def test_endpoint_lets_editors_and_admins_in(app, client, role):
    """Editors and admins get the desk as JSON, with the roles taken from the token."""
    access = get_tokens(client, create_user("erin", role))["access_token"]

    response = client.get(ENDPOINT, headers=bearer(access))

    assert response.status_code == 200
    assert response.get_json()["auth"]["roles"] == [role]
    assert "articles:write" in response.get_json()["auth"]["permissions"]


@pytest.mark.answers("Q045", "Q046", "Q098")
def test_endpoint_applies_the_same_rule_to_api_keys(app, client):
    """An API key acts with its owner's roles: a viewer's key is refused, an editor's let in."""
    keys = {}
    for name, role in (("vera", "viewer"), ("erin", "editor")):
        headers = bearer(get_tokens(client, create_user(name, role))["access_token"])
        created = client.post("/api/auth/api-keys", json={"name": "ci"}, headers=headers)
        keys[role] = created.get_json()["apiKey"]["key"]

    refused = client.get(ENDPOINT, headers={"X-API-Key": keys["viewer"]})
    allowed = client.get(ENDPOINT, headers={"X-API-Key": keys["editor"]})

    assert refused.status_code == 403 and refused.is_json
    assert allowed.status_code == 200
    assert allowed.get_json()["auth"]["method"] == "api_key"


@pytest.mark.answers("Q045", "Q046")
def test_endpoint_ignores_the_browser_session(app: Flask, client):
    """The API never trusts the session cookie (it has no form CSRF check): still a 401."""
    log_in_browser(app, client, create_user("erin", "editor"))
    assert client.get(PAGE).status_code == 200

    response = client.get(ENDPOINT)

    assert response.status_code == 401


@pytest.mark.answers("Q045", "Q046")
def test_a_demotion_applies_to_tokens_at_once_with_a_session_version_bump(app, client):
    """Roles in a token last until it expires; bumping session_version ends it immediately."""
    user = create_user("erin", "editor")
    access = get_tokens(client, user)["access_token"]
    user.roles.clear()
    db.session.commit()

    still_signed_in = client.get(ENDPOINT, headers=bearer(access))
    user.session_version += 1
    db.session.commit()
    after_bump = client.get(ENDPOINT, headers=bearer(access))

    assert still_signed_in.status_code == 200  # the claim is what the token was issued with
    assert after_bump.status_code == 401
