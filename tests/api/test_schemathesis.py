"""The Conduit API against its own OpenAPI document, fuzzed by schemathesis (Q151).

schemathesis loads /api/openapi.json from the app through WSGI (no server) and, for every
operation, generates requests from the document: its examples, boundary values (the
coverage phase), then random ones (fuzzing), valid and invalid alike. Each is sent twice:

- as generated: unknown slugs and usernames, junk or missing tokens where a token is
  optional, so the 401, 404, 415 and 422 answers are checked;
- with path parameters that exist (an author, their article and its comment, a second
  user) and the author's token, so the 200, 201 and 204 answers are checked too, and
  every operation must reach one of them at least once.

Every answer must be no server error, a status the document lists for the operation, the
content type it lists, a body that validates against its schema, and carry the headers it
says are required. The run is reproducible (fixed seed, derandomized), keeps no example
database and writes nothing into the repository. `test_a_broken_api_is_reported` shows
the same checks failing on an app that breaks its document.
"""

from __future__ import annotations

import atexit
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import CheckFunction
from schemathesis.core.failures import ServerError
from schemathesis.errors import FailureGroup
from schemathesis.openapi.checks import JsonSchemaError, UndefinedStatusCode
from sqlalchemy.engine import Engine

from demo import create_app
from demo.api.docs import operation
from demo.api.docs.spec import openapi_document
from demo.api.schemas import (
    EXAMPLE_USER,
    NewUserRequest,
    ProfileResponse,
    TagsResponse,
    UserResponse,
)
from demo.extensions import db
from tests.api.support import errors_of, new_user_body

pytestmark = pytest.mark.answers("Q151")

# Hypothesis caches what it learns under ./.hypothesis. Tests are generated while this module
# is collected, before any fixture runs, so its home moves to a temporary folder right here.
_hypothesis_home = tempfile.TemporaryDirectory(prefix="flaskproof-hypothesis-")
atexit.register(_hypothesis_home.cleanup)
set_hypothesis_home_dir(_hypothesis_home.name)

SEED = 151
MAX_EXAMPLES = 12
CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    # One request at a time, each judged on its own: links between operations are not
    # declared, and the second, authenticated request below covers the happy paths.
    "phases": {"stateful": {"enabled": False}},
}


def conformance_checks() -> list[CheckFunction]:
    """The checks every answer must pass (schemathesis exposes them by name)."""
    return [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.content_type_conformance,
        schemathesis.checks.response_schema_conformance,
        schemathesis.checks.response_headers_conformance,
    ]


@pytest.fixture(scope="module")
def fuzzed_app(database_server: Engine | None, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One app for every operation, with a request budget no run reaches (429: elsewhere).

    One app, not one per operation, because building an app costs more than a dozen
    requests. On SQLite it uses a file, since the suite closes every pool after each test
    and an in-memory database would go with it; on a server, the suite empties the tables
    after each test and `Worlds` rebuilds what it needs.
    """
    overrides: dict[str, Any] = {"RATELIMIT_API_DEFAULT": "100000/minute"}
    if database_server is None:
        database = tmp_path_factory.mktemp("fuzzed") / "api.db"
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    app = create_app("testing", **overrides)
    if database_server is None:
        with app.app_context():
            db.create_all()
    return app


@pytest.fixture
def example_user(fuzzed_app: Flask) -> None:
    """The user of the document's examples, so that its login example logs in."""
    response = fuzzed_app.test_client().post("/api/users", json={"user": EXAMPLE_USER})
    # Or still there from an earlier operation: on SQLite the database lives for the module.
    taken = response.status_code == 422 and "username" in errors_of(response)
    assert response.status_code == 201 or taken, response.get_json()


def load_schema(url: str = "/api/openapi.json") -> schemathesis.BaseSchema:
    """The document as an app serves it, read through WSGI like a client would.

    Read once, when the tests are collected, since `parametrize` makes one test per
    operation from it. This app only serves the document; requests go to `fuzzed_app`.
    (`schemathesis.pytest.from_fixture` would defer this to a fixture, but its loader
    sets `Function._nodeid`, which pytest 9.2 no longer has.)
    """
    config = schemathesis.Config.from_dict(CONFIG)
    return schemathesis.openapi.from_wsgi(url, create_app("testing"), config=config)


@dataclass(frozen=True)
class World:
    """Rows that exist, for the second request of each case, and the author's token."""

    headers: dict[str, str]
    path_parameters: dict[str, Any]


# Names stay unique across operations: they share one app and its database.
_numbers = itertools.count()


class Worlds:
    """A `World` per case that needs one; rebuilt only after a request may have spent it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.world: World | None = None
        self.successes = 0

    def current(self) -> World:
        if self.world is None:
            self.world = self.build()
        return self.world

    def after(self, case: schemathesis.Case, status: int) -> None:
        """Count successes; after a successful PUT or DELETE, build a new world next time,
        since the request may have renamed, removed or logged out what we use."""
        if status >= 300:
            return
        if case.method.upper() in ("PUT", "DELETE"):
            self.world = None
        # A 200 to an OPTIONS or TRACE the coverage phase slips in is not this operation's.
        if case.method.upper() == case.operation.method.upper():
            self.successes += 1

    def build(self) -> World:
        """An author with an article and a comment on it, and another user to follow."""
        number = next(_numbers)
        author = self.post("/api/users", new_user_body(f"author{number}"))["user"]
        other = self.post("/api/users", new_user_body(f"other{number}"))["user"]
        headers = {"Authorization": f"Token {author['token']}"}
        article = {"title": f"Fuzzed {number}", "description": "d", "body": "b", "tagList": ["t"]}
        slug = self.post("/api/articles", {"article": article}, headers)["article"]["slug"]
        comment = self.post(f"/api/articles/{slug}/comments", {"comment": {"body": "c"}}, headers)
        parameters = {
            "slug": slug,
            "username": other["username"],
            "comment_id": comment["comment"]["id"],
        }
        return World(headers, parameters)

    def post(self, url: str, body: dict, headers: dict[str, str] | None = None) -> Any:
        response = self.client.post(url, json=body, headers=headers)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()


@pytest.fixture
def worlds(fuzzed_app: Flask, example_user: None) -> Iterator[Worlds]:
    """The rows each operation's cases use, made through the API itself.

    Afterwards: at least one answer was a success, or the run only proved the failures.
    """
    worlds = Worlds(fuzzed_app.test_client())
    yield worlds
    assert worlds.successes, "no generated request to this operation succeeded"


schema = load_schema()
schema_v2 = load_schema("/api/v2/openapi.json")


def exercise(case: schemathesis.Case, app: Flask, worlds: Worlds) -> None:
    """Send `case` as generated, then again with rows that exist, checking both answers."""
    checks = conformance_checks()
    world = worlds.current()
    # As generated. An operation that requires a token gets the author's, or every one of
    # these would be the same 401 (test_openapi checks that 401 once per operation).
    security = case.operation.definition.raw.get("security", [])
    headers = world.headers if security and {} not in security else None
    response = case.call_and_validate(app=app, headers=headers, checks=checks)
    worlds.after(case, response.status_code)

    # With path parameters that exist, as their author: the success answers.
    world = worlds.current()
    signed_in = case.derive()
    signed_in.path_parameters = {name: world.path_parameters[name] for name in case.path_parameters}
    response = signed_in.call_and_validate(app=app, headers=world.headers, checks=checks)
    worlds.after(case, response.status_code)


@schema.parametrize()
# `worlds` lives for one operation's examples on purpose: it hands each case rows that exist.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_answer_matches_the_document(
    case: schemathesis.Case, fuzzed_app: Flask, worlds: Worlds
) -> None:
    """Generated requests, anonymous and as an author, all get answers the document allows."""
    exercise(case, fuzzed_app, worlds)


@schema_v2.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_v2_answer_matches_the_v2_document(
    case: schemathesis.Case, fuzzed_app: Flask, worlds: Worlds
) -> None:
    """/api/v2 keeps its own generated document too: cursors, links envelope, errors."""
    exercise(case, fuzzed_app, worlds)


# --- The same checks against an API that breaks its document ---------------------------


def broken_app() -> Flask:
    """A small app documented by the same builder, whose views break their document."""
    app = Flask(__name__)
    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @shop.get("/tags")
    @operation(tag="Tags", responses={200: TagsResponse})
    def tags() -> dict[str, Any]:
        """One string where the document promises a list."""
        return {"tags": "flask"}

    @shop.get("/profiles/<username>")
    @operation(tag="Profile", responses={200: ProfileResponse})
    def profile(username: str) -> tuple[dict[str, Any], int]:
        """A 500, in the error shape the app's catch-all handler gives one."""
        return {"errors": {"body": [f"no profile for {username} today"]}}, 500

    @shop.post("/users")
    @operation(tag="Users", body=NewUserRequest, responses={201: UserResponse})
    def register() -> tuple[dict[str, Any], int]:
        """A status the document does not list."""
        return {"errors": {"body": ["not today"]}}, 409

    app.register_blueprint(shop)
    app.add_url_rule(
        "/openapi.json",
        "openapi",
        lambda: openapi_document(app, "shop", title="Broken shop", version="1"),
    )
    return app


@pytest.mark.parametrize(
    ("path", "method", "failure"),
    [
        ("/shop/tags", "GET", JsonSchemaError),
        ("/shop/profiles/{username}", "GET", ServerError),
        ("/shop/users", "POST", UndefinedStatusCode),
    ],
)
def test_a_broken_api_is_reported(path, method, failure):
    """The checks of the run above fail on a wrong body, a 500 and an unlisted status."""
    config = schemathesis.Config.from_dict(CONFIG)
    broken = schemathesis.openapi.from_wsgi("/openapi.json", broken_app(), config=config)

    @given(case=broken[path][method].as_strategy())
    @settings(max_examples=3, derandomize=True, database=None)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=conformance_checks())

    with pytest.raises(FailureGroup) as reported:
        run()
    assert failure in {type(found) for found in reported.value.exceptions}
