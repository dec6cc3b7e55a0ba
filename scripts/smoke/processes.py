"""Start and stop the smoke test's processes (Q105, Q109): each in a process group of its own.

`Launcher.start` runs a command with its output in two files; `Launcher.stop_all` sends every
group SIGTERM at once (gunicorn and Celery stop gracefully) and SIGKILLs what is still running
after the grace period. The kernel also SIGTERMs each child if the smoke process itself dies
without cleaning up (PR_SET_PDEATHSIG), so a killed run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from scripts.smoke.compose import ROOT

READY_TIMEOUT = 90.0
_PR_SET_PDEATHSIG = 1


class SmokeError(AssertionError):
    """The deployment did not come up or did not behave: the smoke test fails, saying why."""


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SmokeError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> Callable[[], None]:
    # Resolved here, in the parent: the function run in the child between fork and exec
    # only makes one C call, no imports or allocations that could deadlock after a fork.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return in_child


@dataclass
class Process:
    """One started process: its name, its output files, and how to reach it over HTTP."""

    name: str
    popen: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """stdout and stderr so far."""
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def tail(self, size: int = 3000) -> str:
        return f"--- {self.name} (last output) ---\n{self.output()[-size:]}"

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise SmokeError(f"{self.name} exited with {self.popen.returncode}\n{self.tail()}")

    def answers_healthz(self) -> bool:
        """What the compose healthcheck asks: does GET /healthz answer 200?"""
        self.check_alive()
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def signal_group(self, sig: signal.Signals) -> None:
        """Send `sig` to its whole process group (gunicorn's or celery's children included).

        Only while the leader has not been reaped: until then its pid, which names the
        group, cannot belong to anybody else's process.
        """
        if self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)


class Launcher:
    """Starts processes with their output in one workdir, and stops them all together."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[Process] = []
        (workdir / "logs").mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[str], env: dict[str, str], port: int | None) -> Process:
        """Run `argv` from the repository root; `port` is where it serves HTTP, if it does."""
        stdout_path = self.workdir / "logs" / f"{name}.out"
        stderr_path = self.workdir / "logs" / f"{name}.err"
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            popen = subprocess.Popen(  # noqa: S603 (the commands come from the repo's own files)
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                # Its own group: stopped as a whole, and not hit by the terminal's Ctrl-C.
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        process = Process(name, popen, stdout_path, stderr_path, port)
        self.started.append(process)
        return process

    def stop_all(self, grace: float = 20.0) -> None:
        """SIGTERM (a graceful stop) to every group at once; SIGKILL what outlives `grace`."""
        for process in self.started:
            process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        for process in self.started:
            if process.popen.returncode is None:
                process.signal_group(signal.SIGKILL)
                process.popen.wait()
