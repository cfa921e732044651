"""How many processes this machine can afford: web workers and Celery worker children, from its cores and memory.

Plain Python (no Django): the settings, the ``runlocal`` supervisor and ``scripts/serve`` (``python -m
webapp.core.sizing web``) all size from here, and an environment variable always wins. Memory is the container's
limit when there is one (cgroup v2 ``memory.max`` or v1 ``memory.limit_in_bytes``), else the machine's.

The rule (figures from ``bench/footprint.py``, see the README's "Footprint and sizing"): one process per core, at
most 4, and at most one per GiB of memory for web workers and one per 1.5 GiB for worker children: a web worker
that has served every kind of request holds ~0.29 GB resident (~0.19 GB of it its own, PSS); each unit of worker
concurrency is a ``cpu`` child (~0.29 GB, ~0.13 GB PSS) and, while the catalog is ingested, a ``gpu`` child
(~0.3-0.5 GB, ~0.2 GB PSS).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

GIB = 1024**3
MAX_PROCESSES = 4


def cpu_count() -> int:
    """Cores this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def memory_bytes() -> int:
    """Memory this process may use: the cgroup limit when one is set, else the machine's physical memory."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = Path(path).read_text().strip()
        except OSError:
            continue
        if raw.isdigit():
            return min(total, int(raw))
    return total


def web_workers(cpus: int | None = None, memory: int | None = None) -> int:
    """gunicorn worker processes: one per core, at most 4, at most one per GiB."""
    cpus = cpu_count() if cpus is None else cpus
    memory = memory_bytes() if memory is None else memory
    return max(1, min(cpus, MAX_PROCESSES, memory // GIB))


def worker_concurrency(cpus: int | None = None, memory: int | None = None) -> int:
    """Celery worker children (prefork): one per core, at most 4, at most one per 1.5 GiB."""
    cpus = cpu_count() if cpus is None else cpus
    memory = memory_bytes() if memory is None else memory
    return max(1, min(cpus, MAX_PROCESSES, int(memory // (1.5 * GIB))))


if __name__ == "__main__":  # python -m webapp.core.sizing web|worker: print the default
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind not in ("web", "worker"):
        sys.exit("usage: python -m webapp.core.sizing web|worker")
    print(web_workers() if kind == "web" else worker_concurrency())
