"""What docker-compose.yml, the Procfile and .env.example say to run (Q105, Q107, Q109).

The smoke test runs what these files say, not a copy of it: each app service's command
(through the image's entrypoint) with the environment compose would give it, where the
`.env` compose reads is replaced by `.env.example` (the documented defaults). Only the
addresses and paths that must differ on one machine are changed afterwards, by the caller.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROCFILE = ROOT / "Procfile"
ENV_EXAMPLE = ROOT / ".env.example"
# The Dockerfile copies this script to /usr/local/bin/entrypoint and makes it the image's
# ENTRYPOINT: every service built from the `runtime` target runs its command through it.
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
APP_TARGET = "runtime"

# Compose's variable syntax: $$ (a literal $), ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error} and $NAME.
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>\w+))"
)


class ComposeError(RuntimeError):
    """docker-compose.yml, the Procfile or .env.example is not what the smoke test expects."""


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Substitute variables the way `docker compose` does for the forms it documents."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        present = name in variables
        value = variables.get(name, "")
        unset = not present or (op is not None and op.startswith(":") and value == "")
        if op in ("-", ":-"):
            return arg if unset else value
        if op in ("?", ":?"):
            if unset:
                raise ComposeError(f"compose needs {name}: {arg}")
            return value
        return value

    return _VARIABLE.sub(substitute, value)


def example_environment(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """Every variable .env.example documents, with its value ("" for the unset ones)."""
    return {name: value or "" for name, value in dotenv_values(path).items()}


@dataclass(frozen=True)
class Service:
    """One compose service: its name, the argv to run, its environment, its raw definition."""

    name: str
    argv: list[str]
    environment: dict[str, str]
    definition: dict[str, Any]

    @property
    def is_app(self) -> bool:
        """Built from the app image (web, worker, beat), not a stock one (nginx, postgres)."""
        build = self.definition.get("build") or {}
        return isinstance(build, dict) and build.get("target") == APP_TARGET


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as data, YAML anchors and merge keys resolved."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ComposeError(f"{path} has no services")
    return data


def _command(definition: dict[str, Any]) -> list[str]:
    command = definition.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def _environment(definition: dict[str, Any], variables: Mapping[str, str]) -> dict[str, str]:
    raw = definition.get("environment") or {}
    if isinstance(raw, list):  # the `- NAME=value` form
        raw = dict(item.split("=", 1) for item in raw)
    return {
        str(name): interpolate("" if value is None else str(value), variables)
        for name, value in raw.items()
    }


def service(compose: dict[str, Any], name: str, variables: Mapping[str, str]) -> Service:
    """The service `name` as compose would start it, `variables` feeding ${...}.

    Its environment is .env.example (standing in for the `env_file`) overlaid with the
    service's own `environment`, which wins in compose too. App services run through the
    entrypoint, as the image's ENTRYPOINT makes them.
    """
    try:
        definition = compose["services"][name]
    except KeyError:
        raise ComposeError(f"docker-compose.yml has no service {name!r}") from None
    environment = {**example_environment(), **_environment(definition, variables)}
    argv = _command(definition)
    found = Service(name, argv, environment, definition)
    if found.is_app:
        if not argv:
            raise ComposeError(f"app service {name!r} has no command")
        found = Service(name, [str(ENTRYPOINT), *argv], environment, definition)
    return found


def app_services(compose: dict[str, Any]) -> list[str]:
    """Names of the services built from the app image, in file order."""
    return [
        name
        for name, definition in compose["services"].items()
        if isinstance(definition.get("build"), dict)
        and definition["build"].get("target") == APP_TARGET
    ]


def published_port(compose: dict[str, Any], name: str) -> tuple[int, int]:
    """(host port, container port) of a service's single published port."""
    ports = compose["services"][name].get("ports") or []
    if len(ports) != 1:
        raise ComposeError(f"service {name!r} should publish exactly one port, not {ports!r}")
    host, _, container = str(ports[0]).rpartition(":")
    return int(host.rpartition(":")[2]), int(container)


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's process types and their shell command lines."""
    processes: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, separator, command = line.partition(":")
        if not separator or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise ComposeError(f"{path}:{number}: expected '<process type>: <command>'")
        processes[name] = command.strip()
    return processes
