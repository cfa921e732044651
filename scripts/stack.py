"""Run a whole Segue deployment on this machine, without Docker: for end-to-end tests and load benchmarks.

    from scripts.stack import Stack          # or: importlib by path, scripts/stack.py

    with Stack("postgres", workdir, port=0, env={"JOB_LEASE_SECONDS": "5"}) as stack:
        stack.create_user("alice", "pw")                  # manage.py in the stack's env
        requests.get(stack.url + "/healthz")              # http://127.0.0.1:<port>
        stack.kill("worker-cpu")                           # SIGKILL its process group, as a crash would
        stack.start("worker-cpu")                          # start it again; waits until it is ready
        print(stack.logs("worker-cpu"))

Profiles (both run the same three application processes, so they differ only in database and broker):

- ``"postgres"`` — the scale-out of docker-compose.yml: a fresh PostgreSQL cluster (Debian's ``postgresql``,
  ``/usr/lib/postgresql/*/bin``; ``initdb`` with trust auth, fsync off, TCP on loopback only) and
  ``redis-server`` (append-only file on), each on a free loopback port.
- ``"embedded"`` — the embedded default that ``manage.py runlocal --no-seed`` runs: SQLite and kombu's
  SQLite broker, both files under ``workdir/var``. Unlike runlocal (one worker on both queues), the
  workers are split by queue as in the postgres profile.

Application processes, each started as ``scripts/serve <name>`` (the commands docker-compose.yml runs), after
one ``scripts/serve migrate``: ``web`` (gunicorn on 127.0.0.1:``port``), ``worker-cpu`` and ``worker-gpu``.
``.procs`` also holds ``postgres`` and ``redis`` in the postgres profile; every name works with ``kill``,
``start`` and ``logs``.

Interface (kept stable: tests/e2e/test_scaleout.py and bench/load.py use it):

- ``Stack(profile, workdir, port=0, *, env=None, health_timeout=180.0)``: ``port`` 0 picks a free port;
  ``env`` adds or overrides variables for the application processes (e.g. ``WEB_WORKERS``,
  ``CPU_WORKER_CONCURRENCY``, ``JOB_LEASE_SECONDS``, ``CELERY_VISIBILITY_TIMEOUT``,
  ``WORKER_HEARTBEAT_SECONDS``; see scripts/serve and README "Configuration").
- ``with`` starts everything and returns when ``/healthz`` reports the database, the broker and a worker on each
  queue ok; on leaving (also on an exception) everything is stopped, and on an exception the tail of every
  process's log is printed to stderr. ``start_all()`` / ``close()`` do the same without ``with``.
- ``.url``, ``.port``, ``.env`` (the application processes' environment), ``.procs`` (name -> ``Popen``),
  ``.workdir``, ``.profile``, ``.database_url``, ``.broker_url``.
- ``.kill(name)``: SIGKILL the process group (a crash; Celery's pool children die with it). ``.stop(name)``:
  SIGTERM, then SIGKILL after a grace period.
- ``.start(name, wait=True)``: (re)start one process with the same settings (stopping it first if it runs) and
  wait until it is ready: a worker until it logs "ready", web until it answers ``/healthz``, postgres and
  redis until they accept connections. After a worker is killed, ``/healthz`` may still say ok for up to
  ``WORKER_STALE_SECONDS`` (its last heartbeat); use ``start`` to know the new one is up.
- ``.logs(name) -> str``: everything the process wrote (stdout and stderr, across restarts), kept in
  ``workdir/logs/<name>.log``. ``.wait_healthy(timeout)``, ``.health() -> dict | None``.
- ``.manage(*args)``: ``manage.py`` in the stack's environment (a ``CompletedProcess``; raises on failure).
  ``.create_user(username, password)``.
- ``missing(profile) -> list[str]``: the system programs a profile needs that this machine lacks.

Files: ``workdir/var`` (SEGUE_VAR_DIR), ``workdir/media`` (MEDIA_ROOT), ``workdir/indexes`` (INDEX_DIR),
``workdir/redis``, ``workdir/logs``, and the PostgreSQL cluster in ``workdir/postgres`` — except as root:
PostgreSQL refuses to run as root, so there the cluster is owned and run by the ``postgres`` system user
(``setpriv``, else ``runuser``) in a fresh directory under $TMPDIR (the workdir may not be reachable by that
user), removed when the stack closes.

Modules: this one (the ``Stack``), scripts/stack_process.py (how a process is started and stopped),
scripts/stack_services.py (PostgreSQL and Redis: the programs, the cluster, readiness).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

if not __package__:  # loaded by path (importlib, or python scripts/stack.py): its sibling modules by their names
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stack_process import Spec, StackError, free_port, stop_processes
from scripts.stack_services import PROFILES, createdb, missing, postgres_base, postgres_bin, postgres_spec, redis_spec

# Kept importable from here (the PostgreSQL and Redis helpers live in scripts/stack_services.py).
__all__ = ["APP_PROCS", "PROFILES", "ROOT", "SERVE", "Stack", "StackError", "free_port", "missing", "postgres_bin"]

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "scripts" / "serve"
APP_PROCS = ("web", "worker-cpu", "worker-gpu")
# Settings of the caller's process that must not leak into the stack (it sets its own).
_DROP_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SEGUE_TEST_BROKER",
    "SEGUE_TEST_REDIS_PORT",
)


class Stack:
    """A whole Segue deployment in local processes; see the module docstring."""

    def __init__(
        self,
        profile: str,
        workdir: Path | str,
        port: int = 0,
        *,
        env: dict[str, str] | None = None,
        health_timeout: float = 180.0,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; one of {PROFILES}")
        self.profile = profile
        self.workdir = Path(workdir).resolve()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.health_timeout = health_timeout
        self.procs: dict[str, subprocess.Popen] = {}
        self._specs: dict[str, Spec] = {}
        self._log_files: dict[str, object] = {}
        self._log_offsets: dict[str, int] = {}
        self._pg_base: Path | None = None
        self._pg_tmp = False
        self._started = False
        self._extra_env = {k: str(v) for k, v in (env or {}).items()}
        self.logdir = self.workdir / "logs"
        var = self.workdir / "var"
        if profile == "postgres":
            self.pg_port, self.redis_port = free_port(), free_port()
            self.database_url = f"postgres://segue@127.0.0.1:{self.pg_port}/segue"
            self.broker_url = f"redis://127.0.0.1:{self.redis_port}/0"
        else:
            self.pg_port = self.redis_port = None
            self.database_url = f"sqlite:///{var / 'segue.sqlite3'}"
            self.broker_url = f"sqla+sqlite:///{var / 'broker.sqlite3'}"
        base = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
        self.env: dict[str, str] = {
            **base,
            "DJANGO_SETTINGS_MODULE": "webapp.settings",
            "PYTHON": sys.executable,
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "SEGUE_VAR_DIR": str(var),
            "MEDIA_ROOT": str(self.workdir / "media"),
            "INDEX_DIR": str(self.workdir / "indexes"),
            "SECRET_KEY": "stack-" + secrets.token_urlsafe(24),
            "SEGUE_DEVICE": "cpu",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "BIND": f"127.0.0.1:{self.port}",
            **self._extra_env,
        }

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        self.start_all()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.print_logs()
        self.close()

    def start_all(self) -> Stack:
        """Start every process and wait for /healthz; on failure print the logs, stop all and raise."""
        if self._started:
            return self
        self._started = True
        atexit.register(self.close)
        try:
            if lacking := missing(self.profile):
                raise StackError(f"cannot run the {self.profile} profile: missing {', '.join(lacking)}")
            for sub in ("var", "media", "indexes", "logs"):
                (self.workdir / sub).mkdir(parents=True, exist_ok=True)
            if self.profile == "postgres":
                self._setup_postgres()
                self._specs["redis"] = redis_spec(self.workdir, self.redis_port)
                self.start("postgres")
                createdb(self._pg_base, self.pg_port)
                self.start("redis")
            self._migrate()
            for name in APP_PROCS:
                self._specs[name] = self._app_spec(name)
                self.start(name, wait=False)
            self.wait_healthy(self.health_timeout)
        except BaseException:
            self.print_logs()
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every process (the application first, then the broker and the database)."""
        for group in (APP_PROCS, ("redis", "postgres")):
            with contextlib.suppress(Exception):
                self._stop([n for n in group if n in self.procs], grace=5.0)
        for f in self._log_files.values():
            with contextlib.suppress(Exception):
                f.close()
        self._log_files.clear()
        if self._pg_tmp and self._pg_base is not None:
            shutil.rmtree(self._pg_base, ignore_errors=True)
            self._pg_tmp = False
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)

    # --- one process ----------------------------------------------------------------------------

    def start(self, name: str, wait: bool = True, timeout: float = 120.0) -> subprocess.Popen:
        """(Re)start process ``name`` with its settings; with ``wait``, return once it is ready."""
        spec = self._specs.get(name)
        if spec is None:
            raise KeyError(f"no process {name!r} in this stack; one of {sorted(self._specs)}")
        if name in self.procs and self.procs[name].poll() is None:
            self.stop(name)
        log = self._log(name)
        log.write(f"\n===== stack: start {name} at {time.strftime('%H:%M:%S')}: {' '.join(spec.argv)}\n".encode())
        log.flush()
        self._log_offsets[name] = self.log_path(name).stat().st_size
        proc = subprocess.Popen(
            spec.argv,
            cwd=spec.cwd,
            env=spec.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes its children too
        )
        self.procs[name] = proc
        if wait:
            self._wait(spec.ready, timeout, f"{name} to be ready", watch=name)
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL the process group of ``name``, as a crash or the OOM killer would."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def stop(self, name: str, grace: float = 15.0) -> None:
        """Stop ``name`` politely (SIGTERM; SIGINT for PostgreSQL's fast shutdown), SIGKILL after ``grace``."""
        if name in self.procs:
            self._stop([name], grace)

    def _stop(self, names: list[str], grace: float) -> None:
        """Signal all of ``names`` at once, wait for them together, then SIGKILL whatever is left."""
        stop_processes([(name, self.procs[name]) for name in names], grace)

    def log_path(self, name: str) -> Path:
        return self.logdir / f"{name}.log"

    def logs(self, name: str) -> str:
        """Everything ``name`` wrote, across restarts (``workdir/logs/<name>.log``)."""
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def print_logs(self, lines: int = 200, file=None) -> None:
        """The last ``lines`` lines of every process's log, to stderr."""
        out = file or sys.stderr
        names = [*(n for n in ("postgres", "redis", "migrate") if self.log_path(n).exists()), *APP_PROCS]
        for name in names:
            text = self.logs(name)
            if not text:
                continue
            proc = self.procs.get(name)
            state = "" if proc is None else f" (exit code {proc.poll()})" if proc.poll() is not None else " (running)"
            tail = "\n".join(text.splitlines()[-lines:])
            print(f"\n----- {self.profile} stack: {name}{state}, last {lines} lines -----\n{tail}", file=out)
        out.flush()

    # --- health ---------------------------------------------------------------------------------

    def health(self) -> dict | None:
        """The /healthz report (also when 503), or None when the web server does not answer."""
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=10) as res:
                return json.load(res)
        except urllib.error.HTTPError as err:
            with contextlib.suppress(ValueError):
                return json.loads(err.read())
            return None
        except (OSError, ValueError):
            return None

    def wait_healthy(self, timeout: float = 180.0) -> dict:
        """Wait until /healthz says ok: database, broker, and a live worker on each queue."""
        report: dict = {}

        def ok() -> bool:
            nonlocal report
            for name in self.procs:
                if not self._alive(name):
                    raise StackError(f"{name} exited with code {self.procs[name].returncode}; see its log above")
            report = self.health() or {}
            return bool(report.get("ok"))

        self._wait(ok, timeout, f"/healthz to be ok (last report: {report})", interval=0.5)
        return report

    # --- manage.py ------------------------------------------------------------------------------

    def manage(self, *args: str, input: str | None = None, timeout: float = 300.0) -> subprocess.CompletedProcess:
        """Run ``manage.py args`` in the stack's environment; raise StackError with its output on failure."""
        res = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if res.returncode:
            raise StackError(f"manage.py {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
        return res

    def create_user(self, username: str, password: str, *, superuser: bool = False) -> None:
        """Create (or reset the password of) a user."""
        code = (
            "from django.contrib.auth import get_user_model\n"
            "import sys\n"
            "name, pw, su = sys.stdin.read().split('\\n')[:3]\n"
            "u, _ = get_user_model().objects.get_or_create(username=name)\n"
            "u.set_password(pw); u.is_staff = u.is_superuser = su == '1'; u.save()\n"
        )
        self.manage("shell", "-c", code, input=f"{username}\n{password}\n{int(superuser)}\n")

    # --- internals ------------------------------------------------------------------------------

    def _log(self, name: str):
        f = self._log_files.get(name)
        if f is None or f.closed:
            self.logdir.mkdir(parents=True, exist_ok=True)
            f = self._log_files[name] = open(self.log_path(name), "ab")  # noqa: SIM115 - kept open for the process
        return f

    def _new_output(self, name: str) -> str:
        path = self.log_path(name)
        if not path.exists():
            return ""
        with open(path, "rb") as f:
            f.seek(self._log_offsets.get(name, 0))
            return f.read().decode(errors="replace")

    def _alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def _wait(self, predicate: Callable[[], bool], timeout: float, what: str, *, watch: str | None = None,
              interval: float = 0.2) -> None:  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if watch is not None and not self._alive(watch):
                code = self.procs[watch].returncode
                raise StackError(
                    f"{watch} exited with code {code} while waiting for {what}; see {self.log_path(watch)}"
                )
            if predicate():
                return
            time.sleep(interval)
        raise StackError(f"timed out after {timeout:.0f}s waiting for {what}")

    def _app_spec(self, name: str) -> Spec:
        if name == "web":

            def ready() -> bool:
                return self.health() is not None
        else:

            def ready() -> bool:
                return " ready." in self._new_output(name)

        return Spec([str(SERVE), name], self.env, ROOT, ready)

    def _migrate(self) -> None:
        log = self._log("migrate")
        log.write(f"\n===== stack: scripts/serve migrate at {time.strftime('%H:%M:%S')}\n".encode())
        log.flush()
        res = subprocess.run([str(SERVE), "migrate"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if res.returncode:
            raise StackError(f"scripts/serve migrate failed ({res.returncode}); see {self.log_path('migrate')}")

    def _setup_postgres(self) -> None:
        """initdb a fresh cluster (as the postgres user when we are root)."""
        self._pg_base, self._pg_tmp = postgres_base(self.workdir)
        self.pgdata = self._pg_base / "data"
        log_path = self.log_path("postgres")
        self._specs["postgres"] = postgres_spec(self._pg_base, self.pg_port, lambda: self._log("postgres"), log_path)
