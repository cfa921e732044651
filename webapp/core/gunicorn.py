"""gunicorn's settings for the web process: ``gunicorn -c python:webapp.core.gunicorn webapp.wsgi``.

The master loads the application once before it forks its workers (``preload_app``), and with it the URLconf and
every view module (no torch, numba or scipy.signal: tests/test_footprint.py) and the modules of ``WEB_PRELOAD``
(default: the drum learner and numba for the alignment; no torch, which no everyday request imports). The workers
share those pages with the master (copy-on-write) instead of each importing its own copy after the fork: every
worker that serves the drum studio or alignment would import them anyway, and measured larger for it
(docs/benchmarks.md); ``WEB_PRELOAD=`` (empty) leaves them to the worker whose request needs one, for a
deployment whose workers mostly never do. Importing is all that happens here: no model is loaded and no thread
pool started before the fork. Models and FAISS indexes are loaded lazily, once per worker, the indexes
memory-mapped (webapp/catalog/indexes.py), so the page cache holds one copy for every process. Every few seconds
each worker gives its freed heap pages back (``post_worker_init``, webapp/core/memory.py).
"""

from __future__ import annotations

import gc
import importlib
import logging

log = logging.getLogger("segue.web")

preload_app = True
TRIM_SECONDS = 5.0


def warm_up() -> list[str]:
    """Import the URLconf (so every view) and the modules named in ``settings.WEB_PRELOAD``; returns those that
    could not be imported (a missing optional module is logged, never fatal)."""
    from django.conf import settings
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and every view module
    missing = []
    for name in settings.WEB_PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.warning("WEB_PRELOAD: cannot import %s: %s", name, exc)
            missing.append(name)
    return missing


def post_worker_init(worker) -> None:
    """In each worker after the fork: a daemon thread gives freed heap pages back to the system every
    ``TRIM_SECONDS`` (webapp/core/memory.py), off the request path (a trim after each request would add up to
    ~10 ms to the next request on a keep-alive connection)."""
    from webapp.core.memory import trim_every

    trim_every(TRIM_SECONDS)


def when_ready(server) -> None:
    """In the master, after the application is loaded and before the first worker is forked."""
    from django.db import connections

    warm_up()
    connections.close_all()  # a connection opened while importing must not be shared by the forked workers
    gc.freeze()  # what is loaded now is permanent: collections skip it, and never write to (unshare) its pages
