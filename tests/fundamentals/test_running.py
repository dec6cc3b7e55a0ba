"""How the app is run, and on which address by default."""

from __future__ import annotations

import pytest
from flask.cli import run_command

from demo.fundamentals.running import DEFAULT_HOST, DEFAULT_PORT, dev_server_address


@pytest.mark.answers("Q008", "Q132")
def test_flask_run_defaults_to_localhost_port_5000():
    """`flask run`'s own option defaults are host 127.0.0.1 and port 5000, as the project's are."""
    defaults = {param.name: param.default for param in run_command.params}
    assert defaults["host"] == "127.0.0.1"
    assert defaults["port"] == 5000
    assert (defaults["host"], defaults["port"]) == (DEFAULT_HOST, DEFAULT_PORT)


@pytest.mark.answers("Q008", "Q132")
def test_make_run_address_follows_host_and_port_variables():
    """`python -m demo` binds 127.0.0.1:5000 by default and HOST/PORT when they are set."""
    assert dev_server_address({}) == ("127.0.0.1", 5000)
    assert dev_server_address({"HOST": "0.0.0.0", "PORT": "8000"}) == ("0.0.0.0", 8000)
    assert dev_server_address({"HOST": "", "PORT": ""}) == ("127.0.0.1", 5000)
