"""The stack's processes, one at a time: how to start one (``Spec``), a free port, and the polite stop.

Used by scripts/stack.py (the ``Stack``) and scripts/stack_services.py (PostgreSQL and Redis).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class StackError(RuntimeError):
    """A process of the stack did not start, or the stack did not become healthy."""


def free_port() -> int:
    """A free TCP port on the loopback (bound to port 0, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Spec:
    """How to start one process: argv, environment, working directory, readiness check."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, ready: Callable[[], bool]) -> None:
        self.argv, self.env, self.cwd, self.ready = argv, env, cwd, ready


def stop_processes(procs: list[tuple[str, subprocess.Popen]], grace: float) -> None:
    """Signal all of ``procs`` (name, process) at once (SIGTERM; SIGINT for PostgreSQL's fast shutdown), wait
    for them together, then SIGKILL whatever is left in their process groups."""
    for name, proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT if name == "postgres" else signal.SIGTERM)
    deadline = time.monotonic() + grace
    for _, proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.1, deadline - time.monotonic()))
    for _, proc in procs:  # whatever is left in its group (e.g. pool children) goes too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
