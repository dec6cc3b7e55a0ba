"""Plain helpers for the Conduit API tests (the fixtures in conftest.py use them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PASSWORD = "jakejake-secret"


@dataclass(frozen=True)
class ApiUser:
    """A registered user and the token the API gave them."""

    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Conduit `Authorization: Token <jwt>` header."""
        return {"Authorization": f"Token {self.token}"}


def new_user_body(name: str, /, **fields: Any) -> dict[str, Any]:
    """A valid registration body for user `name`; `fields` override or add keys."""
    user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return {"user": {**user, **fields}}


def errors_of(response: Any) -> dict[str, list[str]]:
    """The Conduit error object of a response, after checking it has the required `body`."""
    payload = response.get_json()
    assert isinstance(payload["errors"]["body"], list) and payload["errors"]["body"]
    return payload["errors"]
