"""PostgreSQL and Redis for the stack's postgres profile: finding the programs, a fresh cluster, its database,
a Redis server, and when each is ready. Used by scripts/stack.py.

PostgreSQL refuses to run as root, so as root the cluster is owned and run by the ``postgres`` system user
(``setpriv``, else ``runuser``) in a fresh directory under $TMPDIR, which the ``Stack`` removes when it closes.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from scripts.stack_process import Spec, StackError

PROFILES = ("postgres", "embedded")


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server program: Debian's newest /usr/lib/postgresql/<version>/bin, else PATH."""

    def version(path: str) -> int:
        part = Path(path).parent.parent.name
        return int(part) if part.isdigit() else 0

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    return found[-1] if found else shutil.which(name)


def missing(profile: str) -> list[str]:
    """The programs ``profile`` needs that this machine lacks (empty: it can run)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; one of {PROFILES}")
    if profile == "embedded":
        return []
    pg = ("initdb", "postgres", "pg_isready", "createdb")
    out = [f"{name} (apt-get install postgresql)" for name in pg if postgres_bin(name) is None]
    if shutil.which("redis-server") is None:
        out.append("redis-server (apt-get install redis-server)")
    if os.geteuid() == 0 and profile == "postgres" and not as_postgres_prefix():
        out.append("setpriv or runuser and the postgres system user (PostgreSQL does not run as root)")
    return out


def as_postgres_prefix() -> list[str]:
    """The command prefix that runs a program as the ``postgres`` user (for when we are root)."""
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    return []


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def redis_pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def pg_env(base: Path | None) -> dict[str, str]:
    """The environment of the PostgreSQL programs, with the cluster's base folder as HOME."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(base),
    }


def postgres_base(workdir: Path) -> tuple[Path, bool]:
    """The cluster's base folder and whether it is a temporary one to remove when the stack closes:
    ``workdir/postgres``, or as root a fresh folder under $TMPDIR owned by the postgres user."""
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        base = Path(tempfile.mkdtemp(prefix="segue-pg-"))
        os.chown(base, pw.pw_uid, pw.pw_gid)
        return base, True
    base = workdir / "postgres"
    base.mkdir(parents=True, exist_ok=True)
    return base, False


def postgres_spec(base: Path, port: int, log: Callable[[], IO[bytes]], log_path: Path) -> Spec:
    """initdb a fresh cluster in ``base/data`` unless there is one (as the postgres user when we are root;
    its output to ``log()``), and how to run its server on 127.0.0.1:``port``."""
    prefix = as_postgres_prefix() if os.geteuid() == 0 else []
    data = base / "data"
    if not (data / "PG_VERSION").exists():
        out = log()
        out.write(f"===== stack: initdb {data}\n".encode())
        out.flush()
        cmd = [*prefix, postgres_bin("initdb"), "-D", str(data), "-U", "segue", "--auth=trust", "-E", "UTF8",
               "--no-locale", "--no-sync"]  # fmt: skip
        res = subprocess.run(cmd, cwd=base, env=pg_env(base), stdout=out, stderr=subprocess.STDOUT)
        if res.returncode:
            raise StackError(f"initdb failed ({res.returncode}); see {log_path}")
    argv = [*prefix, postgres_bin("postgres"), "-D", str(data), "-p", str(port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200"]  # fmt: skip

    def ready() -> bool:
        cmd = [postgres_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "segue"]
        return subprocess.run(cmd, env=pg_env(base), cwd=base).returncode == 0

    return Spec(argv, pg_env(base), base, ready)


def createdb(base: Path, port: int) -> None:
    """Create the ``segue`` database in the running cluster (fine if it is there already)."""
    cmd = [postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "segue", "segue"]
    res = subprocess.run(cmd, env=pg_env(base), cwd=base, capture_output=True, text=True)
    if res.returncode and "already exists" not in res.stderr:
        raise StackError(f"createdb failed: {res.stderr}")


def redis_spec(workdir: Path, port: int) -> Spec:
    """How to run redis-server on 127.0.0.1:``port`` with its append-only file in ``workdir/redis``."""
    data = workdir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    argv = [shutil.which("redis-server") or "redis-server", "--port", str(port),
            "--bind", "127.0.0.1", "--dir", str(data), "--appendonly", "yes", "--save", ""]  # fmt: skip
    return Spec(argv, dict(os.environ), data, lambda: redis_pong(port))
