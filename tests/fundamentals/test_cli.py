"""Custom `flask` commands: Click commands on `app.cli`, Flask-Script's modern replacement."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from flask import current_app
from flask.cli import AppGroup, cli


@pytest.mark.answers("Q068")
def test_config_summary_command_reports_the_active_config(app, runner):
    """`flask config-summary` runs against the test app and says which defaults it uses."""
    result = runner.invoke(args=["config-summary"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "config: testing"
    if app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        assert "database: SQLite (in memory)" in lines
    else:  # TEST_DATABASE_URL points the suite at a real server
        assert lines[1].startswith("database: ") and "SQLite" not in lines[1]
    assert any(line.startswith("redis: not configured") for line in lines)


@pytest.mark.answers("Q068")
def test_a_new_command_group_is_added_with_click(app, runner):
    """A Click group added with `app.cli.add_command` runs with the app's config and arguments."""
    tools = AppGroup("tools", help="Small maintenance commands.")

    @tools.command("greet")
    @click.argument("name")
    @click.option("--shout", is_flag=True)
    def greet(name: str, shout: bool) -> None:
        message = f"{current_app.config['DEMO_GREETING']}, {name}"
        click.echo(message.upper() if shout else message)

    app.cli.add_command(tools)

    result = runner.invoke(args=["tools", "greet", "Ada", "--shout"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{app.config['DEMO_GREETING']}, Ada".upper() + "\n"

    missing = runner.invoke(args=["tools", "greet"])
    assert missing.exit_code == 2
    assert "Missing argument 'NAME'" in missing.output


@pytest.mark.answers("Q068")
def test_the_flask_command_finds_the_factory_and_lists_project_commands(monkeypatch):
    """`flask --app demo` calls `create_app()` itself and exposes the project's commands."""
    monkeypatch.setenv("FLASK_CONFIG", "testing")
    # The `flask` group sets this to make `app.run()` a no-op; keep it out of other tests.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    runner = CliRunner()

    listing = runner.invoke(cli, ["--app", "demo", "--help"])
    assert listing.exit_code == 0, listing.output
    listed = {line.split()[0] for line in listing.output.splitlines() if line.startswith("  ")}
    assert {"config-summary", "answers", "run", "shell", "routes"} <= listed

    summary = runner.invoke(cli, ["--app", "demo", "config-summary"])
    assert summary.exit_code == 0, summary.output
    # Log lines from start-up (on stderr, which the runner mixes in) may come first.
    assert "config: testing" in summary.output.splitlines()
