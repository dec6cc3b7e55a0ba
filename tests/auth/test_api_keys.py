"""API keys: created by a logged-in user, shown once, stored hashed, revocable, rate-limited."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from demo.auth.api_keys import authenticate_api_key, split_key
from demo.extensions import db
from demo.models import ApiKey
from tests.auth.token_support import bearer, built_app, create_user, get_tokens


def _jwt_headers(client, user) -> dict[str, str]:
    return bearer(get_tokens(client, user)["access_token"])


def _create_key(client, headers, name="deploy script"):
    response = client.post("/api/auth/api-keys", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["apiKey"]


@pytest.mark.answers("Q098")
def test_new_key_is_shown_once_and_only_its_hash_is_stored(app, client):
    """The answer holds the full key; the row holds its SHA-256 and no trace of the secret."""
    headers = _jwt_headers(client, create_user("ada"))
    created = _create_key(client, headers)

    key = created["key"]
    kind, prefix, secret = key.split("_", 2)
    assert (kind, prefix) == ("fp", created["prefix"])
    assert len(secret) >= 43  # 32 random bytes, base64url
    row = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert secret not in row.key_hash and secret not in repr(row)

    listed = client.get("/api/auth/api-keys", headers=headers).get_json()["apiKeys"]
    assert [entry["prefix"] for entry in listed] == [prefix]
    assert "key" not in listed[0]
    assert secret not in str(listed)


@pytest.mark.answers("Q098")
def test_api_key_authenticates_requests_and_records_last_use(app, client):
    """X-API-Key identifies the user on /api/auth/me; last_used_at is set by the use."""
    user = create_user("ada", "viewer")
    created = _create_key(client, _jwt_headers(client, user))
    assert created["lastUsedAt"] is None

    response = client.get("/api/auth/me", headers={"X-API-Key": created["key"]})

    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "ada"
    assert response.get_json()["auth"] == {
        "method": "api_key",
        "roles": ["viewer"],
        "permissions": ["articles:read", "profile:read"],
    }
    row = db.session.get(ApiKey, created["id"])
    db.session.refresh(row)
    assert row.last_used_at is not None


@pytest.mark.answers("Q098")
def test_wrong_malformed_or_unknown_keys_are_refused(app, client):
    """Right prefix with a wrong secret, a malformed key, an unknown prefix: all 401 JSON."""
    created = _create_key(client, _jwt_headers(client, create_user("ada")))
    prefix = created["prefix"]

    for bad in (f"fp_{prefix}_{'A' * 43}", "not-a-key", "fp__", f"fp_{'0' * 12}_secret"):
        response = client.get("/api/auth/me", headers={"X-API-Key": bad})
        assert response.status_code == 401, bad
        assert response.get_json() == {
            "errors": {"body": ["Invalid or revoked API key."], "X-API-Key": ["is invalid"]}
        }
    assert split_key("fp_abc_with_underscores_inside") == "abc"


@pytest.mark.answers("Q098")
def test_revoked_key_stops_working_and_stays_listed(app, client):
    """DELETE sets revoked_at; the key is then refused, and still listed for the audit trail."""
    headers = _jwt_headers(client, create_user("ada"))
    created = _create_key(client, headers)
    assert client.get("/api/auth/me", headers={"X-API-Key": created["key"]}).status_code == 200

    revoke = client.delete(f"/api/auth/api-keys/{created['id']}", headers=headers)

    assert revoke.status_code == 204
    assert client.get("/api/auth/me", headers={"X-API-Key": created["key"]}).status_code == 401
    listed = client.get("/api/auth/api-keys", headers=headers).get_json()["apiKeys"]
    assert listed[0]["revokedAt"] is not None
    assert authenticate_api_key(created["key"]) is None


@pytest.mark.answers("Q098")
def test_keys_belong_to_their_owner(app, client):
    """Another user can neither list nor revoke my key: it is a 404 to them."""
    mine = _create_key(client, _jwt_headers(client, create_user("ada")))
    eve = _jwt_headers(client, create_user("eve"))

    assert client.get("/api/auth/api-keys", headers=eve).get_json() == {"apiKeys": []}
    assert client.delete(f"/api/auth/api-keys/{mine['id']}", headers=eve).status_code == 404
    assert client.get("/api/auth/me", headers={"X-API-Key": mine["key"]}).status_code == 200


@pytest.mark.answers("Q098")
def test_a_key_cannot_create_or_list_keys(app, client):
    """Managing keys takes a JWT login: a leaked key cannot mint itself a successor."""
    created = _create_key(client, _jwt_headers(client, create_user("ada")))
    key_only = {"X-API-Key": created["key"]}

    assert (
        client.post("/api/auth/api-keys", json={"name": "x"}, headers=key_only).status_code == 401
    )
    assert client.get("/api/auth/api-keys", headers=key_only).status_code == 401


@pytest.mark.answers("Q098")
def test_key_name_is_required(app, client):
    """A key needs a name so its owner can tell keys apart: a blank one is a 422."""
    headers = _jwt_headers(client, create_user("ada"))
    response = client.post("/api/auth/api-keys", json={"name": "  "}, headers=headers)

    assert response.status_code == 422
    assert response.get_json()["errors"]["name"] == ["can't be blank"]


@pytest.mark.answers("Q098")
def test_each_key_is_rate_limited_across_routes(database_server):
    """A key's quota counts every route it calls; past it, 429 JSON with Retry-After."""
    with built_app(API_KEY_RATE_LIMIT="3/minute") as app:
        client = app.test_client()
        headers = _jwt_headers(client, create_user("ada", "editor"))
        first = {"X-API-Key": _create_key(client, headers, "first")["key"]}
        second = {"X-API-Key": _create_key(client, headers, "second")["key"]}

        statuses = [
            client.get("/api/auth/me", headers=first).status_code,
            client.get("/api/auth/editor-desk", headers=first).status_code,
            client.get("/api/auth/me", headers=first).status_code,
        ]
        limited = client.get("/api/auth/editor-desk", headers=first)
        other_key = client.get("/api/auth/me", headers=second)
        jwt_user = client.get("/api/auth/me", headers=headers)

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.is_json
    assert "API key" in limited.get_json()["errors"]["body"][0]
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    # The quota is per key: another key, and JWT callers, are not affected.
    assert other_key.status_code == 200
    assert jwt_user.status_code == 200


@pytest.mark.answers("Q098")
def test_invalid_keys_do_not_spend_a_real_keys_quota(database_server):
    """Only verified keys are counted, so knowing a key's public prefix cannot exhaust it."""
    with built_app(API_KEY_RATE_LIMIT="2/minute") as app:
        client = app.test_client()
        created = _create_key(client, _jwt_headers(client, create_user("ada")))
        forged = {"X-API-Key": f"fp_{created['prefix']}_{'A' * 43}"}
        refused = [client.get("/api/auth/me", headers=forged).status_code for _ in range(5)]
        genuine = client.get("/api/auth/me", headers={"X-API-Key": created["key"]})

    assert refused == [401] * 5
    assert genuine.status_code == 200
