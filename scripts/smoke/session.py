"""An HTTP client for a running smoke stack, and its logs as witnesses (Q105, Q112).

`Session` talks to the stack (through nginx, or to the Procfile's web process directly),
from any 127.0.0.0/8 source address, and creates the account and article the checks need
once. Requests carry their own `X-Request-ID`, so `web_process_that_served` and
`assert_app_never_saw` can say from the processes' logs which app server saw a request, if any.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from scripts.smoke.processes import SmokeError, wait_until
from scripts.smoke.stack import Stack

TIMEOUT = 15.0
PASSWORD = "smoke-test-password"  # noqa: S105 (a throwaway account in a throwaway database)


class SourceAddressAdapter(HTTPAdapter):
    """Connect from a chosen loopback address, so nginx sees a client other than 127.0.0.1."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def request_id(label: str) -> str:
    """A fresh, greppable request id."""
    return f"smoke-{label}-{uuid.uuid4().hex[:16]}"


@dataclass
class Session:
    """HTTP clients for one stack, and the account and article the checks create once."""

    stack: Stack
    _clients: dict[str, requests.Session] = field(default_factory=dict)
    _account: dict[str, str] = field(default_factory=dict)
    _article: str = ""

    def http(self, source: str = "127.0.0.1") -> requests.Session:
        """A client connecting from `source` (a 127.0.0.0/8 address)."""
        if source not in self._clients:
            client = requests.Session()
            client.mount("http://", SourceAddressAdapter(source))
            self._clients[source] = client
        return self._clients[source]

    def get(self, path: str, rid: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), **({"X-Request-ID": rid} if rid else {})}
        source = kwargs.pop("source", "127.0.0.1")
        return self.http(source).get(
            self.stack.url + path, headers=headers, timeout=TIMEOUT, **kwargs
        )

    def post(self, path: str, rid: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), **({"X-Request-ID": rid} if rid else {})}
        return self.http().post(self.stack.url + path, headers=headers, timeout=60, **kwargs)

    def account(self) -> dict[str, str]:
        """Register a user through the API, then log in; its name and token."""
        if not self._account:
            name = f"smoke{uuid.uuid4().hex[:8]}"
            user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            registered = self.post("/api/users", json={"user": user})
            expect(registered.status_code == 201, "POST /api/users did not register", registered)
            login = {"email": user["email"], "password": PASSWORD}
            logged_in = self.post("/api/users/login", json={"user": login})
            expect(logged_in.status_code == 200, "POST /api/users/login failed", logged_in)
            token = logged_in.json()["user"]["token"]
            self._account = {"username": name, "token": token}
        return self._account

    def auth(self) -> dict[str, str]:
        """The Conduit API's spelling; the uploads API takes it too."""
        return {"Authorization": f"Token {self.account()['token']}"}

    def bearer(self) -> dict[str, str]:
        """The tasks API takes only the standard spelling."""
        return {"Authorization": f"Bearer {self.account()['token']}"}

    def article(self) -> str:
        """The slug of an article the account wrote (created once)."""
        if not self._article:
            body = {"title": "Smoke test", "description": "deployed", "body": "It runs."}
            created = self.post("/api/articles", json={"article": body}, headers=self.auth())
            expect(created.status_code == 201, "POST /api/articles failed", created)
            self._article = created.json()["article"]["slug"]
        return self._article

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def expect(condition: bool, message: str, response: requests.Response | None = None) -> None:
    """Raise SmokeError with `message` (and the response that disproved it) unless true."""
    if not condition:
        if response is not None:
            message += (
                f"\n{response.request.method} {response.url} -> {response.status_code} "
                f"{dict(response.headers)}\n{response.text[:1000]}"
            )
        raise SmokeError(message)


# --- Logs: who saw which request ----------------------------------------------------------


def app_log_records(stack: Stack) -> list[dict[str, Any]]:
    """The app's JSON log records (production logs JSON lines to stderr)."""
    records = []
    for process in stack.web():
        for line in process.stderr_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return records


def web_process_that_served(stack: Stack, rid: str, timeout: float = 10.0) -> str:
    """The name of the app server whose log has request `rid` (waiting for the line)."""
    found: list[str] = []

    def logged() -> bool:
        found[:] = [p.name for p in stack.web() if rid in p.output()]
        return bool(found)

    wait_until(logged, timeout, f"request {rid} in an app server's log")
    if len(found) != 1:
        raise SmokeError(f"request {rid} appears in the logs of {found}")
    return found[0]


def assert_app_never_saw(session: Session, rids: list[str], *fragments: str) -> None:
    """No app server logged these requests: proven after a later request was logged."""
    sentinel = request_id("sentinel")
    expect(session.get("/healthz", sentinel).status_code == 200, "/healthz failed")
    web_process_that_served(session.stack, sentinel)
    output = session.stack.web_output()
    for needle in (*rids, *fragments):
        if needle in output:
            raise SmokeError(f"{needle!r} reached an app server; it should have stayed in nginx")


def nginx_access_log(stack: Stack) -> str:
    if stack.nginx_prefix is None:
        raise SmokeError("this stack has no nginx")
    return (stack.nginx_prefix / "logs" / "access.log").read_text(errors="replace")
