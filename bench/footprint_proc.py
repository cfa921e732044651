"""bench/footprint.py's view of the processes: the tree under the ``runlocal`` supervisor, read from /proc, named
by role (supervisor, web master, web worker, worker, worker child, seeding), with each one's RSS and PSS sampled
over the run (peak, and a steady mean over a quiet window)."""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# What a process holds, read from the files it maps: a shared library of each heavy package (librosa is pure Python,
# seen through numba and scipy.signal, which it imports).
HEAVY_MAPS = {
    "torch": "/torch/lib/libtorch_cpu",
    "numba": "/numba/",
    "scipy.signal": "/scipy/signal/",
    "scipy.linalg": "/scipy/linalg/",
    "faiss": "/faiss/",
    "cv2": "/cv2/",
    "av": "/av/",
    "sklearn": "/sklearn/",
}


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def cmdline(pid: int) -> str:
    raw = _read(f"/proc/{pid}/cmdline")
    return raw.replace("\0", " ").strip() if raw else ""


def children(pid: int) -> list[int]:
    """Direct children. Linux lists them per thread (``/proc/PID/task/TID/children``: those that thread forked), so
    every thread's list: Celery's autoscaler forks the children it adds from its own thread."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [int(c) for tid in tids for c in (_read(f"/proc/{pid}/task/{tid}/children") or "").split()]


def tree(root: int) -> dict[int, int]:
    """Every process under ``root`` (itself included), mapped to its parent."""
    out, todo = {root: 0}, [root]
    while todo:
        pid = todo.pop()
        for child in children(pid):
            out[child] = pid
            todo.append(child)
    return out


def memory_kb(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) in kB. PSS splits each shared page between the processes that map it, so PSS adds up."""
    rollup = _read(f"/proc/{pid}/smaps_rollup")
    if rollup is None:
        return None
    values = {}
    for line in rollup.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1])
    if "Rss:" not in values:
        return None
    return values["Rss:"], values.get("Pss:", values["Rss:"])


def cpu_ticks(pid: int) -> int | None:
    """CPU time ``pid`` has used (user + system, its own threads), in clock ticks."""
    raw = _read(f"/proc/{pid}/stat")
    if raw is None:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def machine_busy_ticks() -> int:
    """Clock ticks every core of the machine has spent not idle (everyone's processes, not only ours)."""
    values = [int(v) for v in (_read("/proc/stat") or "cpu 0").splitlines()[0].split()[1:]]
    return sum(values) - sum(values[3:5])  # minus idle and iowait


def heavy_mapped(pid: int) -> list[str]:
    """The heavy packages whose shared libraries ``pid`` maps (so has imported)."""
    raw = _read(f"/proc/{pid}/maps") or ""
    return [name for name, needle in HEAVY_MAPS.items() if needle in raw]


def role(pid: int, parent: int, parents: dict[int, int], root: int) -> str:
    """What a process is, from its command line and where it hangs in the tree."""
    cmd = cmdline(pid)
    if pid == root:
        return "supervisor"
    if "seed_demo" in cmd:
        return "seeding"
    if "gunicorn" in cmd:
        return "web master" if parent == root else "web worker"
    if "celery" in cmd:
        queues = cmd.split(" -Q ", 1)[1].split()[0] if " -Q " in cmd else "?"
        return f"worker [{queues}]" if parent == root else f"worker child [{queues}]"
    return "other"


@dataclass
class Series:
    role: str
    cmd: str
    rss: list[tuple[float, int]] = field(default_factory=list)  # (t, kB)
    pss: list[tuple[float, int]] = field(default_factory=list)
    cpu: list[tuple[float, int]] = field(default_factory=list)  # (t, clock ticks used so far)
    heavy: list[str] = field(default_factory=list)  # heavy packages mapped at the last look


class Sampler:
    """Samples the tree under ``root`` every ``interval`` seconds in a thread, until ``stop()``."""

    def __init__(self, root: int, t0: float, interval: float = 0.5) -> None:
        self.root, self.t0, self.interval = root, t0, interval
        self.series: dict[int, Series] = {}
        self.totals: list[tuple[float, int, int]] = []  # (t, sum RSS, sum PSS)
        self.machine: list[tuple[float, int]] = []  # (t, busy clock ticks of the whole machine so far)
        self.n = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="footprint-sampler", daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        t = time.monotonic() - self.t0
        parents = tree(self.root)
        total_rss = total_pss = 0
        for pid, parent in parents.items():
            mem = memory_kb(pid)
            if mem is None:
                continue
            if pid not in self.series:
                self.series[pid] = Series(role(pid, parent, parents, self.root), cmdline(pid)[:120])
            s = self.series[pid]
            s.rss.append((t, mem[0]))
            s.pss.append((t, mem[1]))
            if (ticks := cpu_ticks(pid)) is not None:
                s.cpu.append((t, ticks))
            if self.n % 10 == 0:  # every 5 s: a process only ever adds libraries
                s.heavy = heavy_mapped(pid) or s.heavy
            total_rss += mem[0]
            total_pss += mem[1]
        self.totals.append((t, total_rss, total_pss))
        self.machine.append((t, machine_busy_ticks()))
        self.n += 1

    def busy_cores(self, start: float, end: float, roles: tuple[str, ...] = ("worker",)) -> tuple[float, float]:
        """Over [start, end] (seconds since t0, widened to the samples around it): the cores our processes whose
        role starts with one of ``roles`` kept busy, and the cores the whole machine kept busy (everyone's)."""
        hz = os.sysconf("SC_CLK_TCK")

        def rate(series: list[tuple[float, int]]) -> float:
            before = [(t, v) for t, v in series if t <= start]
            after = [(t, v) for t, v in series if t >= end]
            if not before or not after or after[0][0] <= before[-1][0]:
                return 0.0
            return (after[0][1] - before[-1][1]) / hz / (after[0][0] - before[-1][0])

        ours = sum(rate(s.cpu) for s in list(self.series.values()) if s.role.startswith(roles))
        return ours, rate(self.machine)


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else float("nan")


def summary(sampler: Sampler, steady_from: float, steady_to: float) -> list[dict]:
    """One row per process: role, peak and steady (mean over [steady_from, steady_to]) RSS and PSS, in MB."""
    rows = []
    counts: dict[str, int] = defaultdict(int)
    for pid, s in sorted(sampler.series.items(), key=lambda kv: kv[0]):
        counts[s.role] += 1
        steady_rss = [v for t, v in s.rss if steady_from <= t <= steady_to]
        steady_pss = [v for t, v in s.pss if steady_from <= t <= steady_to]
        rows.append({
            "pid": pid, "role": s.role, "n": counts[s.role],
            "peak_rss_mb": max(v for _, v in s.rss) / 1024, "steady_rss_mb": _mean(steady_rss) / 1024,
            "peak_pss_mb": max(v for _, v in s.pss) / 1024, "steady_pss_mb": _mean(steady_pss) / 1024,
            "heavy": s.heavy,
        })  # fmt: skip
    return rows


def totals(sampler: Sampler, steady_from: float, steady_to: float) -> dict:
    """The whole tree: peak and steady of the summed RSS (double-counts shared pages) and PSS (does not)."""
    steady = [(r, p) for t, r, p in sampler.totals if steady_from <= t <= steady_to]
    return {
        "peak_rss_mb": max((r for _, r, _ in sampler.totals), default=0) / 1024,
        "peak_pss_mb": max((p for _, _, p in sampler.totals), default=0) / 1024,
        "steady_rss_mb": _mean([r for r, _ in steady]) / 1024,
        "steady_pss_mb": _mean([p for _, p in steady]) / 1024,
    }
