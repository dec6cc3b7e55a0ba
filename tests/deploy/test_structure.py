"""The deployment files agree with the code they deploy (Q108, Q168, Q169, Q170).

No Docker engine or cluster runs here, so these checks read the files the way their tools
would and hold them against the code: every command's module is resolved by the loader of
the server that will run it (gunicorn, Celery, flask), every variable the code reads is
documented, the Kubernetes probes and ports match the app and gunicorn, `nginx -t` accepts
the proxy configurations and `systemd-analyze verify` the units. Missing nginx or systemd
tools fail the tests; nothing skips.
"""

from __future__ import annotations

import ast
import json
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.nginx_local import nginx_binary, write_local_config
from demo import create_app

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
EC2 = ROOT / "deploy" / "aws-ec2"
EC2_PREFIX = "/opt/flaskproof"  # where deploy/aws-ec2/README.md checks the project out
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


# --- where the environment is read ------------------------------------------------------------


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def environment_reads(source: str) -> set[str]:
    """Names of the environment variables a Python module reads, found in its syntax tree.

    Reads are ``os.environ.get/pop/setdefault("X")``, ``os.environ["X"]``, ``"X" in
    os.environ`` and ``os.getenv("X")``, also through a name bound to ``os.environ`` (as in
    ``env = os.environ if environ is None else environ``; config helpers take that ``env``
    as a parameter), and calls of a module function that reads the variable named by one of
    its parameters (gunicorn.conf.py's ``_env("GUNICORN_BIND", ...)``). A WSGI ``environ``
    is not the process environment and is not counted.
    """
    tree = ast.parse(source)
    env_names = {"env"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(_is_os_environ(n) for n in ast.walk(node.value)):
            env_names.update(t.id for t in node.targets if isinstance(t, ast.Name))

    def is_env(node: ast.AST) -> bool:
        return _is_os_environ(node) or (isinstance(node, ast.Name) and node.id in env_names)

    def read_key(node: ast.AST) -> ast.AST | None:
        """The key expression when `node` reads the environment, else None."""
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in {"get", "pop", "setdefault"}:
                return node.args[0] if is_env(func.value) else None
            if (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Name) and func.id == "getenv"
            ):
                return node.args[0]
        if isinstance(node, ast.Subscript) and is_env(node.value):
            return node.slice
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and is_env(node.comparators[0])
        ):
            return node.left
        return None

    found: set[str] = set()
    wrappers: dict[str, int] = {}  # function name -> index of the parameter naming a variable
    for node in ast.walk(tree):
        key = read_key(node)
        if _string(key):
            found.add(_string(key))
        if isinstance(node, ast.FunctionDef):
            params = [arg.arg for arg in node.args.args]
            for inner in ast.walk(node):
                key = read_key(inner)
                if isinstance(key, ast.Name) and key.id in params:
                    wrappers[node.name] = params.index(key.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            index = wrappers.get(node.func.id)
            if index is not None and len(node.args) > index and _string(node.args[index]):
                found.add(_string(node.args[index]))
    return {name for name in found if ENV_NAME.match(name)}


def python_sources() -> list[Path]:
    """The code that runs in production: the package and the gunicorn settings."""
    return [*sorted((ROOT / "demo").rglob("*.py")), ROOT / "gunicorn.conf.py"]


def variables_read_by_the_code() -> set[str]:
    """Every variable the Python code reads, plus those the container entrypoint reads."""
    names: set[str] = set()
    for path in python_sources():
        names |= environment_reads(path.read_text())
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", entrypoint))
    return names


def documented_variables() -> set[str]:
    """The `NAME=` lines of .env.example, and its `# NAME=value` examples.

    A variable that must stay unset by default is documented commented out (an empty
    PROMETHEUS_MULTIPROC_DIR would still switch prometheus-client's mode on).
    """
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_environment_scanner_finds_every_form_of_read_and_only_those():
    """The scanner sees direct, aliased and wrapped reads, and ignores WSGI environs."""
    source = """
import os
from os import getenv
env = os.environ if True else {}
def _env(name, default):
    return os.environ.get(name) or default
A = os.environ.get("A_VAR")
B = os.getenv("B_VAR")
C = os.environ["C_VAR"]
D = env.get("D_VAR")
E = "E_VAR" in os.environ
F = getenv("F_VAR")
G = _env("G_VAR", "x")
def view(environ, request):
    return environ.get("HTTP_X_REQUEST_ID"), request.environ.get("REMOTE_ADDR")
"""
    assert environment_reads(source) == {f"{letter}_VAR" for letter in "ABCDEFG"}


@pytest.mark.answers("Q114", "Q169")
def test_every_variable_the_code_reads_is_documented_in_env_example():
    """Each variable read by demo/, gunicorn.conf.py or the entrypoint is in .env.example."""
    read = variables_read_by_the_code()
    # The scan is not vacuous: it sees config, the server settings and observability.
    assert {"SECRET_KEY", "DATABASE_URL", "PORT", "GUNICORN_BIND", "SENTRY_DSN"} <= read
    assert {"METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR", "RUN_MIGRATIONS"} <= read
    undocumented = sorted(read - documented_variables())
    assert not undocumented, f"read by the code but missing from .env.example: {undocumented}"


# --- commands: every module a server is told to load exists ------------------------------------


def entry_points(argv: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """What a command loads: ``(loader, target)`` pairs and the files it reads.

    ``gunicorn -c FILE MODULE:APP``, ``celery -A MODULE ...``, ``flask --app MODULE ...``.
    """
    program = Path(argv[0]).name
    targets: list[tuple[str, str]] = []
    files: list[str] = []
    if program == "gunicorn":
        for flag in ("-c", "--config"):
            if flag in argv:
                files.append(argv[argv.index(flag) + 1])
        targets.append(("gunicorn", argv[-1]))
    elif program == "celery":
        flag = "-A" if "-A" in argv else "--app"
        targets.append(("celery", argv[argv.index(flag) + 1]))
    elif program == "flask":
        targets.append(("flask", argv[argv.index("--app") + 1]))
    else:
        raise AssertionError(f"unexpected program in a deployment command: {argv}")
    return targets, files


def compose_services() -> dict[str, dict[str, Any]]:
    """docker-compose.yml's services."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def app_commands() -> dict[str, list[str]]:
    """Every command that runs project code, keyed by where it is declared.

    Paths of the EC2 units (/opt/flaskproof/...) are mapped onto this checkout.
    """
    commands: dict[str, list[str]] = {}
    for name, service in compose_services().items():
        if "build" in service and service["build"].get("target") == "runtime":
            commands[f"docker-compose.yml:{name}"] = service["command"]
    for kind, name, container in kubernetes_containers():
        commands[f"deploy/kubernetes {kind}/{name}:{container['name']}"] = container["args"]
    for unit, exec_start in unit_exec_starts().items():
        commands[f"deploy/aws-ec2/{unit}"] = shlex.split(exec_start.replace(EC2_PREFIX, str(ROOT)))
    return commands


_RESOLVER = """
import json, sys
from celery import Celery
from celery.app.utils import find_app
from flask import Flask
from flask.cli import ScriptInfo
from gunicorn.util import import_app

results = {}
for loader, target in json.loads(sys.argv[1]):
    try:
        if loader == "gunicorn":
            found = import_app(target)
            ok = isinstance(found, Flask)
        elif loader == "celery":
            found = find_app(target)
            ok = isinstance(found, Celery)
        else:
            found = ScriptInfo(app_import_path=target).load_app()
            ok = isinstance(found, Flask)
        results[f"{loader} {target}"] = "ok" if ok else f"not an app: {found!r}"
    except Exception as exc:
        results[f"{loader} {target}"] = f"{type(exc).__name__}: {exc}"
print("RESULTS " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each command's targets loaded by gunicorn's, Celery's and Flask's own loaders.

    In a child process, as the servers do: building the apps starts nothing here, and a
    broker URL is given because `demo.make_celery` refuses to load without one.
    """
    targets = sorted(
        {target for argv in app_commands().values() for target in entry_points(argv)[0]}
    )
    workdir = tmp_path_factory.mktemp("resolve")
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        FLASK_CONFIG="development",
        DATABASE_URL=f"sqlite:///{workdir / 'resolve.db'}",
        CELERY_BROKER_URL="memory://",
        REDIS_URL="",
        SENTRY_DSN="",
        SESSION_BACKEND="",
        MAIL_SERVER="",
    )
    result = subprocess.run(
        [sys.executable, "-c", _RESOLVER, json.dumps(targets)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULTS ")]
    assert result.returncode == 0 and lines, result.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("RESULTS "))


@pytest.mark.answers("Q108", "Q168")
def test_every_deployment_command_loads_an_app_that_exists(resolved):
    """Compose, Kubernetes and systemd commands name installed programs, files and real apps."""
    commands = app_commands()
    assert any(key.startswith("docker-compose.yml:web") for key in commands)
    assert any("deployment/flaskproof-worker" in key for key in commands)
    assert any(key.startswith("deploy/aws-ec2/flaskproof-beat") for key in commands)
    problems = []
    for where, argv in commands.items():
        program = Path(argv[0])
        installed = program if program.is_absolute() else BIN / program
        if not os.access(installed, os.X_OK):
            problems.append(f"{where}: {argv[0]} is not installed")
        targets, files = entry_points(argv)
        problems += [f"{where}: no file {name}" for name in files if not (ROOT / name).is_file()]
        for loader, target in targets:
            outcome = resolved[f"{loader} {target}"]
            if outcome != "ok":
                problems.append(f"{where}: {loader} cannot load {target}: {outcome}")
    assert not problems, "\n".join(problems)


def test_compose_builds_dockerfile_stages_and_the_image_copies_files_that_exist():
    """Every compose build target is a Dockerfile stage; every COPY source is in the repo."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, flags=re.MULTILINE | re.I))
    targets = {s["build"]["target"] for s in compose_services().values() if "build" in s}
    assert targets and targets <= stages, (targets, stages)
    for line in re.findall(r"^COPY\s+(.+)$", dockerfile, flags=re.MULTILINE):
        words = [word for word in line.split() if not word.startswith("--")]
        if "--from=" in line:
            continue
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
    entrypoint = ROOT / "docker" / "entrypoint.sh"
    assert subprocess.run(["sh", "-n", str(entrypoint)], check=False).returncode == 0


# --- Kubernetes -----------------------------------------------------------------------------


def kubernetes_objects() -> list[dict[str, Any]]:
    """Every object in deploy/kubernetes/*.yaml except the kustomization itself."""
    objects = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") != "Kustomization":
                objects.append(document)
    return objects


def kubernetes_object(kind: str, name: str) -> dict[str, Any]:
    """The one object of `kind` called `name`."""
    matches = [
        o for o in kubernetes_objects() if o["kind"] == kind and o["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def kubernetes_containers() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, name, container) of every workload's containers."""
    for obj in kubernetes_objects():
        if obj["kind"] in {"Deployment", "Job"}:
            for container in obj["spec"]["template"]["spec"]["containers"]:
                yield obj["kind"].lower(), obj["metadata"]["name"], container


def test_kustomization_lists_files_that_exist_and_leaves_out_the_secret_template():
    """`kubectl apply -k` finds every resource, and never applies the example Secret."""
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (KUBERNETES / resource).is_file(), resource
    assert "secret.example.yaml" not in kustomization["resources"]
    kinds = {o["kind"] for o in kubernetes_objects()}
    assert {"Deployment", "Service", "Ingress", "ConfigMap", "HorizontalPodAutoscaler"} <= kinds
    assert {"Job", "PodDisruptionBudget", "PersistentVolumeClaim", "Secret"} <= kinds


@pytest.mark.answers("Q168", "Q170")
def test_kubernetes_probes_point_at_routes_of_the_app():
    """Readiness is /readyz and liveness /healthz, both GET routes of the app, on a named port."""
    web = kubernetes_object("Deployment", "flaskproof-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    port_names = {port["name"] for port in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    urls = create_app("testing").url_map.bind("localhost")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        http_get = container[probe]["httpGet"]
        endpoint, _ = urls.match(http_get["path"], method="GET")
        assert endpoint.startswith("health."), (probe, endpoint)
        assert http_get["port"] in port_names, probe


def _gunicorn_settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """gunicorn.conf.py's module namespace, evaluated with exactly `env` as the environment."""
    # The file may set ACCESS_LOG itself: register it with monkeypatch first, so that it is
    # removed again after the test instead of leaking into the apps of later tests.
    monkeypatch.setenv("ACCESS_LOG", "")
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def _gunicorn_bind(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """gunicorn.conf.py's `bind`, evaluated with exactly `env` as the environment."""
    # Empty, not absent: a developer's .env (which gunicorn.conf.py loads) must not fill it.
    return _gunicorn_settings({"GUNICORN_BIND": "", **env}, monkeypatch)["bind"]


@pytest.mark.answers("Q113", "Q102")
def test_gunicorn_writes_the_access_line_and_the_app_then_writes_none(monkeypatch):
    """One access line per request: gunicorn's turns the app's off; GUNICORN_ACCESSLOG=off swaps."""
    settings = _gunicorn_settings({"GUNICORN_ACCESSLOG": "-"}, monkeypatch)
    assert settings["accesslog"] == "-"
    assert "request_id=%({x-request-id}o)s" in settings["access_log_format"]
    assert os.environ["ACCESS_LOG"] == "false"
    assert create_app("testing").config["ACCESS_LOG"] is False

    settings = _gunicorn_settings({"GUNICORN_ACCESSLOG": "off"}, monkeypatch)
    assert settings["accesslog"] is None
    assert "ACCESS_LOG" not in os.environ
    assert create_app("testing").config["ACCESS_LOG"] is True


@pytest.mark.answers("Q168")
def test_service_ingress_container_and_gunicorn_agree_on_the_port(monkeypatch):
    """Ingress → Service port → container port 8000 → the port gunicorn binds in that container."""
    web = kubernetes_object("Deployment", "flaskproof-web")
    pod = web["spec"]["template"]
    container = pod["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}

    service = kubernetes_object("Service", "flaskproof-web")
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert web["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    service_ports = {port["name"]: port for port in service["spec"]["ports"]}
    backend = kubernetes_object("Ingress", "flaskproof-web")["spec"]["rules"][0]["http"]
    backend = backend["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    target = service_ports[backend["port"]["name"]]["targetPort"]
    container_port = ports[target] if isinstance(target, str) else target
    assert container_port == 8000

    config = kubernetes_object("ConfigMap", "flaskproof-config")["data"]
    env = {**config, **{item["name"]: item["value"] for item in container["env"]}}
    bind = _gunicorn_bind(env, monkeypatch)
    assert bind.rsplit(":", 1)[1] == str(container_port), bind
    assert bind.startswith("0.0.0.0:")  # reachable from the kubelet and the Service


@pytest.mark.answers("Q168")
def test_workloads_run_as_non_root_with_resources_config_and_secret_references():
    """Each container: non-root, no escalation, requests and limits, ConfigMap and Secret refs."""
    config_name = kubernetes_object("ConfigMap", "flaskproof-config")["metadata"]["name"]
    secret_name = kubernetes_object("Secret", "flaskproof-secrets")["metadata"]["name"]
    for obj in kubernetes_objects():
        if obj["kind"] not in {"Deployment", "Job"}:
            continue
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, obj["metadata"]["name"]
        assert pod["securityContext"]["runAsUser"] != 0
        for container in pod["containers"]:
            where = f"{obj['metadata']['name']}/{container['name']}"
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where
            assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), where
            assert "memory" in container["resources"]["limits"], where
            refs = {
                (kind, source[kind]["name"]) for source in container["envFrom"] for kind in source
            }
            assert refs == {("configMapRef", config_name), ("secretRef", secret_name)}, where


def test_configmap_keys_are_variables_the_code_reads():
    """A ConfigMap, compose or systemd key nobody reads is a typo: every one is read somewhere."""
    read = variables_read_by_the_code()
    config = set(kubernetes_object("ConfigMap", "flaskproof-config")["data"])
    secret = set(kubernetes_object("Secret", "flaskproof-secrets")["stringData"])
    compose = set()
    for service in compose_services().values():
        if "build" in service and service["build"].get("target") == "runtime":
            compose |= set(service.get("environment", {}))
    env_file = (EC2 / "flaskproof.env.example").read_text()
    ec2 = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", env_file, flags=re.MULTILINE))
    for unit in EC2.glob("*.service"):
        ec2 |= set(re.findall(r"^Environment=([A-Z][A-Z0-9_]*)=", unit.read_text(), re.M))
    unread = sorted((config | secret | compose | ec2) - read)
    assert not unread, f"set by a deployment file but read by nothing: {unread}"


@pytest.mark.answers("Q168")
def test_ingress_supports_socketio_and_matches_the_body_limit():
    """Cookie affinity, hour-long proxy timeouts and a body limit equal to MAX_CONTENT_LENGTH."""
    annotations = kubernetes_object("Ingress", "flaskproof-web")["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "affinity"] == "cookie"
    assert annotations[prefix + "affinity-mode"] == "persistent"
    assert int(annotations[prefix + "proxy-read-timeout"]) >= 3600
    assert int(annotations[prefix + "proxy-send-timeout"]) >= 3600
    body = annotations[prefix + "proxy-body-size"]
    assert body.endswith("m")
    config = kubernetes_object("ConfigMap", "flaskproof-config")["data"]
    assert int(body[:-1]) * 1024 * 1024 == int(config["MAX_CONTENT_LENGTH"])


def test_autoscaler_targets_web_and_beat_never_runs_twice():
    """The HPA (autoscaling/v2) scales the web Deployment; beat is one replica, recreated."""
    hpa = kubernetes_object("HorizontalPodAutoscaler", "flaskproof-web")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert kubernetes_object(target["kind"], target["name"])["metadata"]["name"] == "flaskproof-web"
    assert 1 < hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    beat = kubernetes_object("Deployment", "flaskproof-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    job = kubernetes_object("Job", "flaskproof-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"][-2:] == ["db", "upgrade"]


# --- nginx ----------------------------------------------------------------------------------


def _nginx_test(prefix: Path, conf: Path) -> subprocess.CompletedProcess[str]:
    command = [nginx_binary(), "-t", "-p", f"{prefix}/", "-c", str(conf)]
    command += ["-e", str(prefix / "logs" / "error.log")]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.answers("Q108")
def test_nginx_accepts_the_repository_configuration(tmp_path):
    """`nginx -t` passes nginx/nginx.conf with only loopback addresses and paths changed."""
    conf = write_local_config(
        tmp_path, listen_port=18080, upstreams=["127.0.0.1:18001", "127.0.0.1:18002"]
    )
    result = _nginx_test(tmp_path, conf)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.answers("Q108")
def test_nginx_accepts_the_ec2_site_and_refuses_a_broken_one(tmp_path):
    """The EC2 site file passes `nginx -t` inside a stock http block; a broken copy fails."""
    (tmp_path / "logs").mkdir()
    site = (EC2 / "nginx-flaskproof.conf").read_text()
    assert "server 127.0.0.1:8001" in site and "server 127.0.0.1:8002" in site
    temp = "\n".join(
        f"    {name}_temp_path {tmp_path / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )

    def main_conf(site_text: str) -> Path:
        (tmp_path / "site.conf").write_text(site_text)
        conf = tmp_path / "nginx.conf"
        conf.write_text(
            f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\nhttp {{\n{temp}\n"
            f"    access_log {tmp_path / 'logs' / 'access.log'};\n"
            f"    include /etc/nginx/mime.types;\n    include {tmp_path / 'site.conf'};\n}}\n"
        )
        return conf

    result = _nginx_test(tmp_path, main_conf(site))
    assert result.returncode == 0, result.stderr
    broken = _nginx_test(tmp_path, main_conf(site.replace("proxy_pass", "proxy_passs", 1)))
    assert broken.returncode != 0


# --- systemd --------------------------------------------------------------------------------


def unit_exec_starts() -> dict[str, str]:
    """ExecStart of every unit in deploy/aws-ec2."""
    found = {}
    for path in sorted(EC2.glob("*.service")):
        lines = re.findall(r"^ExecStart=(.+)$", path.read_text(), flags=re.MULTILINE)
        assert len(lines) == 1, path.name
        found[path.name] = lines[0]
    return found


@pytest.mark.answers("Q108")
def test_systemd_analyze_verifies_the_units_against_this_checkout(tmp_path):
    """`systemd-analyze verify` accepts every unit, its ExecStart binaries included."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, (
        "systemd-analyze is missing: install systemd (Debian/Ubuntu: apt install systemd)"
    )
    units = []
    for path in [*EC2.glob("*.service"), *EC2.glob("*.target")]:
        text = path.read_text().replace(EC2_PREFIX, str(ROOT))
        name = path.name.replace("@.service", "@8001.service")
        (tmp_path / name).write_text(text)
        units.append(str(tmp_path / name))
    env = {**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"}

    def verify(paths: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [analyze, "verify", "--man=no", *paths],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    result = verify(units)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert any(units_name.endswith("flaskproof-web@8001.service") for units_name in units)
    # The check has teeth: a unit whose program is missing is refused.
    broken = tmp_path / "broken.service"
    broken.write_text("[Service]\nExecStart=/nonexistent/gunicorn demo.wsgi:app\n")
    assert verify([str(broken)]).returncode != 0
