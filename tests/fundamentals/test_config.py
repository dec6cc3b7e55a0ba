"""Configuration, secrets and the factory (Q114, Q141, Q153, Q155, Q156).

Every test here builds its apps through `create_app`, with the factory's `.env` file and
instance folder pointed at a temporary directory, so a developer's own `.env` or
`instance/config.py` can neither change a result nor be changed by one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, MutableMapping
from functools import partial
from pathlib import Path
from unittest import mock

import pytest
from dotenv import dotenv_values, load_dotenv
from flask import Flask
from sqlalchemy import inspect, text

import demo
from demo import create_app
from demo.config import (
    DEV_JWT_SECRET_KEY,
    DEV_SECRET_KEY,
    InsecureConfigError,
    ProductionConfig,
    normalise_database_url,
)
from demo.extensions import db

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
# Variables whose values would change what a test observes; each test sets what it needs.
CONFIG_VARIABLES = (
    "FLASK_CONFIG",
    "SECRET_KEY",
    "JWT_SECRET_KEY",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "REDIS_URL",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "SESSION_COOKIE_SECURE",
    "SEND_FILE_MAX_AGE_DEFAULT",
    "DEMO_GREETING",
)


@pytest.fixture
def environ() -> Iterator[MutableMapping[str, str]]:
    """`os.environ` without the config variables, restored afterwards, `.env` writes included."""
    with mock.patch.dict(os.environ):
        for name in CONFIG_VARIABLES:
            os.environ.pop(name, None)
        yield os.environ


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environ: MutableMapping) -> Path:
    """A temporary project directory: the factory reads `.env` and `instance/` from here."""
    (tmp_path / "instance").mkdir()
    # The factory still calls the real load_dotenv with its own override=False; only the
    # file it reads changes.
    monkeypatch.setattr(demo, "load_dotenv", partial(load_dotenv, tmp_path / ".env"))
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda app: str(tmp_path / "instance"))
    return tmp_path


def strong_secrets(environ: MutableMapping[str, str]) -> dict[str, str]:
    """Put production-grade secrets into the environment, as a platform's secret store would."""
    values = {"SECRET_KEY": secrets.token_hex(32), "JWT_SECRET_KEY": secrets.token_hex(32)}
    environ.update(values)
    return values


# --- Q114: environment variables and .env -------------------------------------------------


@pytest.mark.answers("Q114")
def test_dotenv_fills_in_unset_variables_but_the_real_environment_wins(project, environ):
    """`.env` supplies what the environment lacks; a variable already set is never overridden."""
    (project / ".env").write_text(
        "# comments and `export` prefixes are fine\n"
        'DEMO_GREETING="Hello from .env"\n'
        "SEND_FILE_MAX_AGE_DEFAULT=60\n"
        "export SESSION_COOKIE_SECURE=yes\n",
        encoding="utf-8",
    )
    environ["SEND_FILE_MAX_AGE_DEFAULT"] = "120"

    app = create_app("testing")

    assert app.test_client().get("/basics/hello").text == "Hello from .env"
    assert app.config["SEND_FILE_MAX_AGE_DEFAULT"] == 120
    # Everything arrives as a string; the config class turns it into the right type.
    assert app.config["SESSION_COOKIE_SECURE"] is True
    # load_dotenv writes into os.environ: the process environment stays the one source.
    assert environ["DEMO_GREETING"] == "Hello from .env"


@pytest.mark.answers("Q114", "Q156")
@pytest.mark.parametrize("blank_values", [False, True], ids=["as-shipped", "all-blank"])
def test_copying_env_example_to_dotenv_gives_a_working_development_app(
    project, environ, blank_values
):
    """`cp .env.example .env` starts; a blank `KEY=` line means "use the default"."""
    example = dotenv_values(ENV_EXAMPLE)
    for name in example:
        environ.pop(name, None)
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    if blank_values:
        lines = [line.split("=", 1)[0] + "=" if "=" in line else line for line in lines]
    (project / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")

    app = create_app()
    summary = app.test_client().get("/basics/config").get_json()

    assert summary["config"] == "development"
    assert summary["database"] == "sqlite"
    assert summary["redis"] == "embedded mode"
    assert summary["log_level"] == "INFO"
    assert app.test_client().get("/basics/hello").status_code == 200


# --- Q141: config.from_pyfile ---------------------------------------------------------------


@pytest.mark.answers("Q141")
def test_from_pyfile_executes_a_python_file_and_keeps_its_uppercase_names(tmp_path):
    """The file is real Python; only UPPERCASE names become config, and a missing file raises."""
    (tmp_path / "settings.py").write_text(
        "from datetime import timedelta\n"
        "PERMANENT_SESSION_LIFETIME = timedelta(hours=2)\n"
        "RETRY_DELAYS = [2**n for n in range(3)]\n"
        "helper = 'lower-case names are ignored'\n",
        encoding="utf-8",
    )
    app = Flask(__name__, instance_path=str(tmp_path), instance_relative_config=True)

    assert app.config.from_pyfile("settings.py") is True
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 7200
    assert app.config["RETRY_DELAYS"] == [1, 2, 4]
    assert "helper" not in app.config
    assert "timedelta" not in app.config

    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        app.config.from_pyfile("absent.py")
    assert app.config.from_pyfile("absent.py", silent=True) is False


@pytest.mark.answers("Q141", "Q155")
def test_factory_layers_class_then_instance_config_then_overrides(project):
    """`instance/config.py` beats the config class; `create_app(**overrides)` beats both."""
    (project / "instance" / "config.py").write_text(
        'DEMO_GREETING = "Hello from instance/config.py"\nSEND_FILE_MAX_AGE_DEFAULT = 5\n',
        encoding="utf-8",
    )

    app = create_app("testing", SEND_FILE_MAX_AGE_DEFAULT=7)

    assert app.instance_path == str(project / "instance")
    assert app.test_client().get("/basics/hello").text == "Hello from instance/config.py"
    assert app.config["SEND_FILE_MAX_AGE_DEFAULT"] == 7


@pytest.mark.answers("Q141")
def test_factory_starts_without_an_instance_config(project):
    """No `instance/config.py` is fine: the factory loads it with silent=True."""
    assert not (project / "instance" / "config.py").exists()

    app = create_app("testing")

    assert app.test_client().get("/basics/hello").text == "Hello from flaskproof"


# --- Q153: secrets --------------------------------------------------------------------------


@pytest.mark.answers("Q153", "Q156")
@pytest.mark.parametrize(
    ("secret_key", "problem"),
    [
        (None, "SECRET_KEY is not set"),
        ("", "SECRET_KEY is not set"),
        (DEV_SECRET_KEY, "SECRET_KEY is the development default"),
        ("too-short", "SECRET_KEY is shorter than 32 characters"),
    ],
)
def test_production_refuses_to_start_with_a_weak_secret_key(project, environ, secret_key, problem):
    """Missing, empty, default or short SECRET_KEY stops production with a message saying why."""
    environ["JWT_SECRET_KEY"] = secrets.token_hex(32)
    if secret_key is not None:
        environ["SECRET_KEY"] = secret_key

    with pytest.raises(InsecureConfigError) as refused:
        create_app("production")

    message = str(refused.value)
    assert problem in message
    assert "JWT_SECRET_KEY" not in message
    assert "secrets.token_hex(32)" in message  # and how to fix it


@pytest.mark.answers("Q153")
def test_production_names_every_weak_secret_at_once(project, environ):
    """Both secrets are checked before failing, so one restart fixes everything."""
    environ["JWT_SECRET_KEY"] = DEV_JWT_SECRET_KEY

    with pytest.raises(InsecureConfigError) as refused:
        create_app("production")

    assert "SECRET_KEY is not set" in str(refused.value)
    assert "JWT_SECRET_KEY is the development default" in str(refused.value)


@pytest.mark.answers("Q153", "Q156")
def test_production_starts_with_strong_secrets_and_never_shows_them(project, environ):
    """With real secrets production starts hardened; its config page shows no secret values."""
    values = strong_secrets(environ)
    environ["DATABASE_URL"] = "postgres://flaskproof:hunter2@db.internal:5432/flaskproof"

    app = create_app("production")
    response = app.test_client().get("/basics/config")

    assert app.config["SECRET_KEY"] == values["SECRET_KEY"]
    assert response.get_json()["secrets"] == {"SECRET_KEY": "set", "JWT_SECRET_KEY": "set"}
    assert response.get_json()["database"] == "postgresql"
    for private in (*values.values(), "hunter2", "db.internal"):
        assert private not in response.text


@pytest.mark.answers("Q141", "Q153")
def test_secrets_may_come_from_the_instance_folder_instead_of_the_environment(project):
    """A deploy can keep secrets in `instance/config.py`, outside the code and out of git."""
    key, jwt_key = secrets.token_hex(32), secrets.token_hex(32)
    (project / "instance" / "config.py").write_text(
        f"SECRET_KEY = {key!r}\nJWT_SECRET_KEY = {jwt_key!r}\n", encoding="utf-8"
    )

    app = create_app("production")

    assert (app.config["SECRET_KEY"], app.config["JWT_SECRET_KEY"]) == (key, jwt_key)


@pytest.mark.answers("Q153")
def test_secret_files_are_ignored_by_git_and_the_template_holds_no_secrets():
    """`.env` and `instance/` never get committed; `.env.example` ships the names, not values."""
    ignored = {
        line.strip()
        for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", "instance/"} <= ignored
    assert ".env.example" not in ignored

    example = dotenv_values(ENV_EXAMPLE)
    assert example["SECRET_KEY"] == ""
    assert example["JWT_SECRET_KEY"] == ""


# --- Q155: the application factory ----------------------------------------------------------


@pytest.mark.answers("Q155")
def test_each_factory_call_builds_an_independent_app(project):
    """Two apps share extension objects but not config, engines or data."""
    first = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    second = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", DEMO_GREETING="second")

    first.config["DEMO_GREETING"] = "changed in the first app only"
    assert second.test_client().get("/basics/hello").text == "second"
    assert first.test_client().get("/basics/hello").text == "changed in the first app only"

    # One `db` object, bound to both apps with init_app; each app gets its own engine.
    assert first.extensions["sqlalchemy"] is second.extensions["sqlalchemy"] is db
    with first.app_context():
        first_engine = db.engine
        with first_engine.begin() as connection:
            connection.execute(text("CREATE TABLE only_in_first (id INTEGER PRIMARY KEY)"))
    with second.app_context():
        assert db.engine is not first_engine
        assert "only_in_first" not in inspect(db.engine).get_table_names()


@pytest.mark.answers("Q155", "Q156")
def test_the_environment_is_read_when_an_app_is_built_not_at_import(project, environ):
    """Changing a variable and calling the factory again gives a differently configured app."""
    environ["DEMO_GREETING"] = "first build"
    first = create_app("testing")
    environ["DEMO_GREETING"] = "second build"
    second = create_app("testing")

    assert first.config["DEMO_GREETING"] == "first build"
    assert second.config["DEMO_GREETING"] == "second build"


# --- Q156: one codebase, several environments -----------------------------------------------


@pytest.mark.answers("Q156")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "development",
            {"debug": True, "testing": False, "session_cookie_secure": False, "log_format": "text"},
        ),
        (
            "testing",
            {"debug": False, "testing": True, "session_cookie_secure": False, "log_format": "text"},
        ),
        (
            "production",
            {"debug": False, "testing": False, "session_cookie_secure": True, "log_format": "json"},
        ),
    ],
)
def test_each_environment_has_its_own_settings(project, environ, name, expected):
    """development, testing and production differ in debug, cookies and log format."""
    strong_secrets(environ)

    app = create_app(name)
    summary = app.test_client().get("/basics/config").get_json()

    assert summary["config"] == name
    assert {key: summary[key] for key in expected} == expected
    assert app.debug is expected["debug"]


@pytest.mark.answers("Q156")
def test_testing_config_never_touches_the_real_database_or_redis(project, environ):
    """Even with DATABASE_URL and REDIS_URL set, tests get in-memory SQLite and no Redis."""
    environ["DATABASE_URL"] = "postgresql://prod-user:secret@db.internal/prod"
    environ["REDIS_URL"] = "redis://cache.internal:6379/0"

    app = create_app("testing")

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert app.config["REDIS_URL"] is None
    assert app.extensions["redis"] is None


@pytest.mark.answers("Q156")
def test_flask_config_variable_chooses_the_config_class(project, environ):
    """`FLASK_CONFIG` picks the class when the factory gets no name; a typo fails loudly."""
    strong_secrets(environ)
    environ["FLASK_CONFIG"] = "production"
    assert create_app().config["CONFIG_NAME"] == "production"

    environ["FLASK_CONFIG"] = "prodution"
    with pytest.raises(RuntimeError, match="Unknown FLASK_CONFIG 'prodution'"):
        create_app()


@pytest.mark.answers("Q156")
def test_a_config_object_can_be_built_from_an_explicit_mapping(project):
    """Config classes accept their environment as an argument, so nothing global is needed."""
    settings = ProductionConfig(
        {"SECRET_KEY": secrets.token_hex(32), "JWT_SECRET_KEY": secrets.token_hex(32)}
    )

    app = create_app(settings)

    assert app.config["CONFIG_NAME"] == "production"
    assert app.config["SECRET_KEY"] == settings.SECRET_KEY


@pytest.mark.answers("Q156")
@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql+psycopg://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("sqlite:///flaskproof.db", "sqlite:///flaskproof.db"),
    ],
)
def test_platform_database_urls_are_mapped_onto_the_installed_driver(given, used):
    """Heroku-style `postgres://` and plain `postgresql://` both select psycopg 3."""
    assert normalise_database_url(given) == used
