"""Start everything on one machine: migrate, demo user and catalog, web server and Celery workers.

The embedded default needs no server: SQLite for data, kombu's SQLAlchemy transport on a SQLite
file as the broker. Ctrl-C stops it all; running it again is harmless (every step is idempotent).

This process only supervises, so it stays small: migrations and the demo catalog run in child processes
(``manage.py migrate``, ``manage.py seed_demo``) and it imports nothing of the numeric stack. The web server
loads the application once before forking its workers (``webapp/core/gunicorn.py``: they share its pages); the number of
web workers and worker children comes from the machine (settings ``WEB_WORKERS``, ``WORKER_CONCURRENCY``). Two Celery
workers by default (``WORKER_SPLIT``): the ``cpu`` queue's children never import torch; the ``gpu`` worker's grow
from ``GPU_WORKER_IDLE_CHILDREN`` to ``GPU_WORKER_CONCURRENCY`` while embeddings wait (README, "Footprint and sizing").
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

DEMO_USER = "demo"
GPU_PRELOAD = "torch,recommender.models.audio_encoder,recommender.models.crossmodal"  # the gpu worker's tasks' own


def ensure_demo_user() -> tuple[str, str]:
    """Create the demo user once; its random password is kept in VAR_DIR and shown every run."""
    path = settings.VAR_DIR / "demo-credentials.json"
    users = get_user_model().objects
    if path.exists() and users.filter(username=DEMO_USER).exists():
        creds = json.loads(path.read_text())
        return creds["username"], creds["password"]
    password = secrets.token_urlsafe(9)
    user, _ = users.get_or_create(username=DEMO_USER, defaults={"email": "demo@example.invalid"})
    user.set_password(password)
    user.save()
    path.write_text(json.dumps({"username": DEMO_USER, "password": password}))
    path.chmod(0o600)
    return DEMO_USER, password


def celery_worker(queues: str, concurrency: int, name: str, *, idle: int | None = None) -> list[str]:
    """The command line of a Celery worker on ``queues`` with ``concurrency`` prefork children; with ``idle``, it
    grows to ``concurrency`` children while tasks wait and shrinks back to ``idle`` after 30 s without any."""
    size = f"--concurrency={concurrency}" if idle is None else f"--autoscale={concurrency},{idle}"
    return [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", queues, size, "-n", name,
            "--loglevel=INFO"]  # fmt: skip


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class Command(BaseCommand):
    help = "Run Segue on this machine: web server on 127.0.0.1:8000 and Celery workers (cpu, gpu)."
    # The system checks import the URLconf, so every view and what they import (torch, numba, scipy: ~400 MB held
    # for nothing here); `migrate`, run first as a child process, runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--concurrency", type=int, default=settings.WORKER_CONCURRENCY)
        parser.add_argument("--web-workers", type=int, default=settings.WEB_WORKERS)
        parser.add_argument("--no-seed", action="store_true", help="do not seed the demo catalog")

    def handle(self, *args, host: str, port: int, concurrency: int, web_workers: int, no_seed: bool, **options) -> None:
        if port_in_use(host, port):
            raise CommandError(f"{host}:{port} is already in use: is Segue already running? (try --port)")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "webapp.settings"),
            # glibc makes up to 8 malloc arenas per core for threaded processes (gunicorn threads, torch): 2 hold
            # less memory for the same work (README: "Footprint and sizing").
            "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        }
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        if subprocess.run([*manage, "migrate", "--noinput", "--verbosity", "0"], env=env).returncode:
            raise CommandError("the database migrations failed; see the log above")
        username, password = ensure_demo_user()
        if settings.WORKER_SPLIT:  # cpu children never hold torch (workers/memory.py preloads by queue)
            gpu_env = {**env, "WORKER_PRELOAD": os.environ.get("WORKER_PRELOAD", GPU_PRELOAD)}
            gpu = celery_worker("gpu", settings.GPU_WORKER_CONCURRENCY, "segue-gpu@%h",
                                idle=settings.GPU_WORKER_IDLE_CHILDREN)  # fmt: skip
            workers = [(celery_worker("cpu", concurrency, "segue-cpu@%h"), env), (gpu, gpu_env)]
        else:
            workers = [(celery_worker("cpu,gpu", concurrency, "segue-local@%h"), env)]
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "webapp.wsgi",
            "-c",
            "python:webapp.core.gunicorn",  # loads the application once, before forking the workers
            "-b",
            f"{host}:{port}",
            "--workers",
            str(web_workers),
            "--threads",
            str(settings.WEB_THREADS),
            "--timeout",
            "120",
            "--access-logfile",
            "-",
        ]
        procs = [*(subprocess.Popen(argv, env=e) for argv, e in workers), subprocess.Popen(web, env=env)]
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSegue is starting on http://{host}:{port}/\n"
                f"  demo user: {username}   password: {password}\n"
                f"  health:    curl -s http://{host}:{port}/healthz\n"
                "  Ctrl-C stops the web server and the worker.\n"
            )
        )
        seeding = None
        if not no_seed and "seed_demo" in get_commands():
            # analysed by the worker; then it compiles the alignment kernels for the first recommendation
            seeding = subprocess.Popen([*manage, "seed_demo", "--skip-checks", "--warm"], env=env)
        self._supervise(procs, seeding)

    def _supervise(self, procs: list[subprocess.Popen], seeding: subprocess.Popen | None) -> None:
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(p.poll() is None for p in procs):
            if seeding is not None and seeding.poll() is not None:
                if seeding.returncode:
                    self.stderr.write(f"seeding the demo catalog failed (exit {seeding.returncode}); Segue goes on")
                seeding = None
            time.sleep(0.5)
        self._stop([p for p in (seeding, *procs) if p is not None])
        if not stopping:
            raise CommandError("a Segue process exited unexpectedly; see the log above")
        self.stdout.write("Segue stopped.")

    @staticmethod
    def _stop(procs: list[subprocess.Popen]) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
