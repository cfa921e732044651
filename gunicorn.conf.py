"""gunicorn reads this file when it starts from the repository root (``scripts/serve web``, docker-compose, the
scale-out stack): Segue's web settings live in webapp/core/gunicorn.py (load once before forking, give freed
memory back). Command-line options still win."""

from webapp.core.gunicorn import post_worker_init, preload_app, when_ready  # noqa: F401
