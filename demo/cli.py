"""Custom `flask` commands (Q068): Click commands registered on the app's CLI group.

Flask-Script's `Manager` is gone; Flask's own CLI loads the app through the factory
(`flask --app demo ...`), so every command runs with the same config as the server.
"""

from __future__ import annotations

import click
from flask import Flask, current_app

from demo.answers.cli import answers_command
from demo.data.seed import seed_command


@click.command("config-summary")
def config_summary_command() -> None:
    """Print which config is active and which embedded defaults are in use."""
    from demo import describe_mode

    for line in describe_mode(current_app):
        click.echo(line)


def register_commands(app: Flask) -> None:
    """Attach every project command to `app.cli`."""
    app.cli.add_command(answers_command)
    app.cli.add_command(config_summary_command)
    app.cli.add_command(seed_command)
