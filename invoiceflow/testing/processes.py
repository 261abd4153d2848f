"""Starting and stopping the servers the tests run on loopback: free ports, process groups."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; a race with another process is
    possible, so callers retry their server start once on failure)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def _die_with_parent() -> None:
    """Runs in the child before exec: if pytest dies (Ctrl-C twice, OOM), the kernel sends the
    server SIGTERM, so no test server outlives the run that started it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the fixtures' own teardown still stops it
        pass


_PR_SET_PDEATHSIG = 1


def start_process(
    argv: list[str],
    *,
    env: dict[str, str],
    log_path: Path,
    cwd: Path | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server in its own process group (its PID is the group id), output to a file.
    `user`: run it as that system user (root only; PostgreSQL refuses to run as root)."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            user=user,
            group=user,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def stop_process(
    process: subprocess.Popen[bytes], *, grace: float = 10.0, first: signal.Signals = signal.SIGTERM
) -> None:
    """Signal the process group we started (by its PID), SIGKILL whatever lingers after `grace`.

    The leader is only reaped at the end: until then its PID (the group id) cannot be reused
    by an unrelated process that our signals would hit.
    """
    if process.returncode is None:
        _signal_group(process.pid, first)
        wait_until(lambda: _has_exited(process.pid), timeout=grace)
        # Children of the server (Celery's pool processes) share its group: none may survive it.
        _signal_group(process.pid, signal.SIGKILL)
    process.wait(timeout=max(grace, 5.0))


def _has_exited(pid: int) -> bool:
    # WNOWAIT: look without reaping.
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def tail(path: Path, lines: int | None = 60) -> str:
    """The last `lines` lines of a server's log (all of it with None)."""
    try:
        text = path.read_text(errors="replace")
        return text if lines is None else "\n".join(text.splitlines()[-lines:])
    except OSError:
        return "(no log)"
