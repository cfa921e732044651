"""Footprint of the embedded default (issue 17): what `make run` holds in memory, and how long it takes to serve.

    .venv/bin/python bench/footprint.py [--before DIR] [--rounds 1] [--json out.json]

Each run starts ``manage.py runlocal`` (what ``make run`` runs: the supervisor, gunicorn, a Celery worker on both
queues, the demo catalog seeded) from a clean ``SEGUE_VAR_DIR`` on a free loopback port, and samples every process
under the supervisor from /proc every 0.5 s (RSS, and PSS, which splits shared pages so that it adds up). It
measures the time from the run command to the first page (the login page answers 200) and to the demo catalog
being searchable (every demo song analysed, embedded and found by ``GET /api/tracks/?q=``), then runs a fixed mix
as the demo user (bench/footprint_mix.py: 5 track and 2 video uploads, recommendations in both modes, 40 drum
ratings, listens and playlists, searches), lets it settle and takes the steady figures over a quiet window.
Beside them, the floor: the size of the index and model files, and the RSS of one process that holds Django,
torch, the models and the indexes (nothing else), measured in the same run.

``--before DIR`` runs a second checkout (e.g. ``git archive <commit> | tar -x -C DIR``) the same way, alternating
with this tree for ``--rounds`` rounds, and prints p95 per request kind side by side with the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint_mix import Client, run_mix  # noqa: E402
from bench.footprint_proc import Sampler, summary, totals  # noqa: E402
from bench.load_stats import percentile  # noqa: E402
from scripts.stack_process import free_port  # noqa: E402

FLOOR = r"""
import json, os
def rss():
    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024
import django
django.setup()
from django.conf import settings
out = {"django_mb": rss()}
import torch
out["torch_mb"] = rss()
from recommender.models import registry
registry.audio_encoder(str(settings.AUDIO_MODEL_PATH))
registry.crossmodal(str(settings.CROSSMODAL_MODEL_PATH))
out["models_mb"] = rss()
from webapp.catalog import indexes
for get in (indexes.track_index, indexes.section_index, indexes.xm_track_index, indexes.xm_section_index):
    len(get())
out["indexes_mb"] = rss()
files = list(settings.INDEX_DIR.glob("*.faiss")) + [settings.AUDIO_MODEL_PATH, settings.CROSSMODAL_MODEL_PATH]
files += [p for p in (settings.VAR_DIR / "models").rglob("*") if p.is_file()]
out["index_bytes"] = sum(p.stat().st_size for p in settings.INDEX_DIR.glob("*.faiss"))
out["model_bytes"] = sum(p.stat().st_size for p in files if p.exists()) - out["index_bytes"]
print(json.dumps(out))
"""


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - not up yet
            value = None
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


def run_stack(root: Path, label: str, *, settle: float, window: float, timeout: float) -> dict:
    """One whole run of ``manage.py runlocal`` from ``root``: figures as a dict."""
    import requests

    var = Path(tempfile.mkdtemp(prefix=f"segue-footprint-{label}-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SEGUE_VAR_DIR": str(var), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(var / "runlocal.log", "w")  # noqa: SIM115 - closed below
    t0 = time.monotonic()
    argv = [sys.executable, "manage.py", "runlocal", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    sampler = Sampler(proc.pid, t0).start()
    out: dict = {"label": label, "root": str(root), "var": str(var)}
    try:
        wait_for(lambda: requests.get(base + "/accounts/login/", timeout=5).status_code == 200, timeout, "first page")
        out["first_page_s"] = time.monotonic() - t0
        creds = wait_for(lambda: json.loads((var / "demo-credentials.json").read_text()), timeout, "demo user")
        token = requests.post(base + "/api/auth/token/", json=creds, timeout=30).json()["token"]
        client = Client(base, token)

        def searchable():
            body = client.get("/api/tracks/?q=Segue%20demo&state=ready")
            return body if body and body["count"] >= 100 else None

        wait_for(searchable, timeout, "the demo catalog", interval=1.0)
        out["searchable_s"] = time.monotonic() - t0
        catalog = [t["id"] for page in (1, 2) for t in client.get(f"/api/tracks/?state=ready&page={page}")["results"]]
        print(f"[{label}] first page {out['first_page_s']:.1f} s, catalog searchable {out['searchable_s']:.1f} s")
        t_mix = time.monotonic()
        out["stored"] = run_mix(client, var, catalog)
        out["mix_s"] = time.monotonic() - t_mix
        time.sleep(settle)
        steady_from = time.monotonic() - t0
        time.sleep(window)
        steady_to = time.monotonic() - t0
        out["floor"] = json.loads(subprocess.run([sys.executable, "-c", FLOOR], cwd=root, capture_output=True,
                                                 text=True, check=True, timeout=300,
                                                 env={**env, "DJANGO_SETTINGS_MODULE": "webapp.settings"}
                                                 ).stdout.strip().splitlines()[-1])  # fmt: skip
        out["samples"] = [(s.endpoint, s.status, s.seconds, start - t0)
                          for s, start in zip(client.samples, client.started, strict=True)]  # fmt: skip
    finally:
        sampler.stop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops `make run`
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    # what else ran while each request was served: cores our Celery workers kept busy, and the whole machine
    out["samples"] = [(*row, *sampler.busy_cores(row[3], row[3] + row[2])) for row in out.get("samples", [])]
    out["processes"] = summary(sampler, steady_from, steady_to)
    out["totals"] = totals(sampler, steady_from, steady_to)
    return out


def by_kind(runs: list[dict]) -> dict[str, list[tuple]]:
    """Answered (2xx) samples of every run of a label per request kind: (ms, workers' busy cores, machine's)."""
    kinds: dict[str, list[tuple]] = {}
    for run in runs:
        for kind, status, seconds, *busy in run["samples"]:
            if 200 <= status < 300:
                kinds.setdefault(kind, []).append((seconds * 1000, *(busy[1:] or (float("nan"), float("nan")))))
    return dict(sorted(kinds.items()))


def p95s(runs: list[dict]) -> dict[str, tuple[int, float, float]]:
    """(n, p50, p95) in ms per request kind over every run of a label (only answered, 2xx requests)."""
    return {k: (len(v), percentile([x[0] for x in v], 50), percentile([x[0] for x in v], 95))
            for k, v in by_kind(runs).items()}  # fmt: skip


def slow_samples(by_label: dict[str, list[dict]], kind: str) -> None:
    """Where one kind's slow requests come from: each label's latency beside what else was running, split at
    the median of the workers' busy cores (background jobs of this stack) and of the machine's (everyone's)."""
    print(f"\n`{kind}`: latency against load while it ran")
    print("| run | n | p50 / p95 ms | slowest 6 ms (workers' busy cores, machine's) | p95: workers < / ≥ median |")
    print("| --- | --- | --- | --- | --- |")
    for label, runs in by_label.items():
        rows = by_kind(runs).get(kind, [])
        if not rows:
            continue
        ms = [r[0] for r in rows]
        slow = sorted(rows, reverse=True)[:6]
        mid = sorted(r[1] for r in rows)[len(rows) // 2]
        quiet, busy = [r[0] for r in rows if r[1] < mid], [r[0] for r in rows if r[1] >= mid]
        split = " / ".join(f"{percentile(v, 95):.0f} (n {len(v)})" if v else "–" for v in (quiet, busy))
        print(
            f"| {label} | {len(rows)} | {percentile(ms, 50):.0f} / {percentile(ms, 95):.0f} | "
            + ", ".join(f"{m:.0f} ({w:.1f}, {c:.1f})" for m, w, c in slow)
            + f" | {split} (at {mid:.2f}) |"
        )


def report(by_label: dict[str, list[dict]]) -> None:
    print("\n| run | process | peak RSS MB | steady RSS MB | steady PSS MB | imported |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, runs in by_label.items():
        for i, run in enumerate(runs, 1):
            for p in run["processes"]:
                if p["role"] == "other" and p["peak_rss_mb"] < 20:
                    continue
                print(f"| {label} #{i} | {p['role']} {p['n']} | {p['peak_rss_mb']:.0f} | {p['steady_rss_mb']:.0f} "
                      f"| {p['steady_pss_mb']:.0f} | {', '.join(p.get('heavy', [])) or '–'} |")  # fmt: skip
            t = run["totals"]
            print(f"| {label} #{i} | **all (sum)** | RSS {t['peak_rss_mb']:.0f} / PSS {t['peak_pss_mb']:.0f} "
                  f"| {t['steady_rss_mb']:.0f} | {t['steady_pss_mb']:.0f} | |")  # fmt: skip
    print(
        "\n| run | first page s | catalog searchable s | mix s | stored | floor: index + model files KB "
        "| floor RSS MB: Django / +torch / +models / +indexes |\n| --- | --- | --- | --- | --- | --- | --- |"
    )
    for label, runs in by_label.items():
        for i, run in enumerate(runs, 1):
            f = run["floor"]
            print(
                f"| {label} #{i} | {run['first_page_s']:.1f} | {run['searchable_s']:.1f} | {run['mix_s']:.0f} "
                f"| {run['stored']} | {f['index_bytes'] / 1024:.0f} + {f['model_bytes'] / 1024:.0f} "
                f"| {f['django_mb']:.0f} / {f['torch_mb']:.0f} / {f['models_mb']:.0f} / {f['indexes_mb']:.0f} |"
            )
    labels = list(by_label)
    tables = {label: p95s(runs) for label, runs in by_label.items()}
    kinds = sorted({k for t in tables.values() for k in t})
    head = " | ".join(f"{label} n, p50, p95 ms" for label in labels)
    ratio = " | p95 ratio" if len(labels) == 2 else ""
    print(f"\n| request kind | {head}{ratio} |\n| --- |{' --- |' * (len(labels) + (len(labels) == 2))}")
    for kind in kinds:
        cells = []
        for label in labels:
            n, p50, p95 = tables[label].get(kind, (0, float("nan"), float("nan")))
            cells.append(f"{n}, {p50:.0f}, {p95:.0f}")
        r = ""
        if len(labels) == 2:
            a, b = (tables[label].get(kind, (0, 0, float("nan")))[2] for label in labels)
            r = f" | {b / a:.2f}" if a == a and b == b and a > 0 else " | –"
        print(f"| `{kind}` | {' | '.join(cells)}{r} |")
    for kind in kinds:  # global recommendations (1.57x at p95 in the second pass) and any kind slower by > 10 %
        a, b = (tables[label].get(kind, (0, 0, float("nan")))[2] for label in labels[-2:])
        if kind.endswith("mode=global") or (len(labels) == 2 and a > 0 and b / a > 1.1):
            slow_samples(by_label, kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="another checkout to run the same way (the baseline)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--settle", type=float, default=15.0, help="seconds after the mix before the steady window")
    parser.add_argument("--window", type=float, default=10.0, help="seconds of the steady window")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    trees = ([("before", args.before.resolve())] if args.before else []) + [("this tree", ROOT)]
    by_label: dict[str, list[dict]] = {label: [] for label, _ in trees}
    for _ in range(args.rounds):
        for label, root in trees:
            by_label[label].append(run_stack(root, label.replace(" ", "-"), settle=args.settle, window=args.window,
                                             timeout=args.timeout))  # fmt: skip
            if args.json:  # after every stack: a long run cut short keeps what it measured
                args.json.write_text(json.dumps(by_label, indent=1))
    report(by_label)


if __name__ == "__main__":
    main()
