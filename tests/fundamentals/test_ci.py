"""CI runs the same `make test` as a developer, with real PostgreSQL and Redis beside it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
CI_RUN = ROOT / ".ci" / "run"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    """The GitHub Actions workflow, parsed."""
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def test_job(workflow) -> dict[str, Any]:
    """The one job that tests the project."""
    return workflow["jobs"]["test"]


@pytest.mark.answers("Q165")
def test_workflow_runs_on_every_push_to_main_and_every_pull_request(workflow):
    """The workflow triggers on pushes to main and on pull requests."""
    # YAML 1.1 reads a bare `on` key as the boolean True; GitHub reads it as "on".
    triggers = workflow.get("on", workflow.get(True))
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers


@pytest.mark.answers("Q165")
def test_workflow_runs_exactly_make_test_as_its_last_step(test_job):
    """CI runs `make test`, then `make smoke`, with nothing masking either failure."""
    steps = test_job["steps"]
    runs = [step["run"].strip() for step in steps if "run" in step]

    assert runs == ["make test", "make smoke"]
    assert not any(step.get("continue-on-error") for step in steps)
    assert not test_job.get("continue-on-error")


@pytest.mark.answers("Q165")
def test_workflow_sets_up_python_3_11(test_job):
    """Python comes from `actions/setup-python`, pinned to the project's 3.11 as a string."""
    [setup] = [
        step
        for step in test_job["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    assert setup["with"]["python-version"] == "3.11"


@pytest.mark.answers("Q165")
def test_workflow_declares_postgres_and_redis_with_health_checks(test_job):
    """PostgreSQL and Redis run as service containers that must be healthy before the steps."""
    services = test_job["services"]

    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "5432:5432" in services["postgres"]["ports"]
    assert "6379:6379" in services["redis"]["ports"]
    for service in services.values():
        assert "--health-cmd" in service["options"]


@pytest.mark.answers("Q165")
def test_workflow_points_the_tests_at_its_postgres_service(test_job):
    """`TEST_DATABASE_URL` names the service's database, so CI tests on PostgreSQL for real."""
    postgres = test_job["services"]["postgres"]
    url = test_job["env"]["TEST_DATABASE_URL"]

    assert url == f"postgresql://postgres@127.0.0.1:5432/{postgres['env']['POSTGRES_DB']}"
    assert postgres["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"


@pytest.mark.answers("Q165")
def test_make_test_lints_then_runs_the_whole_suite():
    """`make -n test` (a dry run) shows the lint commands and pytest it would run."""
    make = shutil.which("make")
    assert make, "make is required: it is the project's entry point"

    planned = subprocess.run(
        [make, "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()

    lint = planned.index(".venv/bin/ruff check .")
    format_check = planned.index(".venv/bin/ruff format --check .")
    [pytest_at] = [i for i, line in enumerate(planned) if line.startswith(".venv/bin/pytest")]
    assert lint < pytest_at
    assert format_check < pytest_at


@pytest.mark.answers("Q165")
def test_ci_run_calls_make_test_and_fails_when_it_fails(tmp_path):
    """`.ci/run` invokes `make test` first and stops with its exit status when it fails."""
    calls = tmp_path / "calls.txt"
    fake_make = tmp_path / "make"
    # Fails for `test`: the failure must reach CI's exit status, and nothing runs after it.
    fake_make.write_text(f'#!/bin/sh\necho "$PWD $*" >> "{calls}"\nexit 3\n')
    fake_make.chmod(fake_make.stat().st_mode | stat.S_IXUSR)

    assert os.access(CI_RUN, os.X_OK)
    finished = subprocess.run(
        [str(CI_RUN)],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )

    assert finished.returncode == 3
    assert calls.read_text().splitlines() == [f"{ROOT} test"]
