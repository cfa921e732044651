"""Request latency of two checkouts served side by side, requests interleaved (issue 17's "no request slower").

    .venv/bin/python bench/footprint_latency.py --before DIR [--requests 300]

bench/footprint.py runs one stack after the other, so a p95 of a few dozen samples there carries the machine's
load of the moment. Here both stacks run at once (``manage.py runlocal --no-seed``, each from a clean
``SEGUE_VAR_DIR``), one track is uploaded to each and analysed, then the same light requests go to one stack and
then the other, in turn: both see the same load at the same moments. Prints n, median, p95 and max per request
kind and stack, and the ratio of the p95s.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import wait_for  # noqa: E402
from bench.footprint_mix import Client, wait_ready  # noqa: E402
from bench.load_media import short_wav  # noqa: E402
from bench.load_stats import percentile  # noqa: E402
from scripts.stack_process import free_port  # noqa: E402


@contextlib.contextmanager
def stack(root: Path, label: str):
    """``manage.py runlocal --no-seed`` from ``root`` on a free port; yields a Client of its demo user."""
    import requests

    var = Path(tempfile.mkdtemp(prefix=f"segue-latency-{label}-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # the rate limit off: one client sends more than the default 1,200 requests a minute
    env = {**os.environ, "SEGUE_VAR_DIR": str(var), "PYTHONUNBUFFERED": "1", "THROTTLE_USER": "1000000/min"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(var / "runlocal.log", "w")  # noqa: SIM115 - closed below
    argv = [sys.executable, "manage.py", "runlocal", "--no-seed", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: requests.get(base + "/accounts/login/", timeout=5).status_code == 200, 300, "first page")
        creds = wait_for(lambda: json.loads((var / "demo-credentials.json").read_text()), 60, "demo user")
        yield Client(base, requests.post(base + "/api/auth/token/", json=creds, timeout=30).json()["token"])
    finally:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300, help="rounds; each sends every kind to both stacks")
    args = parser.parse_args()
    with stack(args.before.resolve(), "before") as a, stack(ROOT, "after") as b:
        clients = {"before": a, "after": b}
        track = {}
        for label, c in clients.items():
            body = c.call("POST", "/api/tracks/", "upload", ok=(201,),
                          files={"file": ("latency.wav", short_wav(7), "audio/wav")})  # fmt: skip
            track[label] = body["id"]
        for label, c in clients.items():
            assert wait_ready(c, [f"/api/tracks/{track[label]}/"], 600) == 1, f"{label}: the track was not analysed"
        for c in clients.values():
            c.samples.clear()
        for i in range(args.requests):
            for label, c in clients.items() if i % 2 == 0 else reversed(clients.items()):
                c.call("GET", "/api/jobs/", "GET /api/jobs/")
                c.call("GET", "/api/tracks/?q=latency", "GET /api/tracks/?q=")
                c.call("GET", f"/api/tracks/{track[label]}/", "GET /api/tracks/{id}/")
                c.call("GET", f"/api/tracks/{track[label]}/similar/?k=5", "GET /api/tracks/{id}/similar/")
                c.call("GET", "/api/playlists/now/?device=mobile&k=10", "GET /api/playlists/now/")
                listen = {"track": track[label], "action": "play", "device": "mobile", "context": "focus"}
                c.call("POST", "/api/listens/", "POST /api/listens/", ok=(201,), json=listen)
    kinds = sorted({s.endpoint for s in a.samples})
    print("\n| request kind | before n, p50, p95, max ms | after n, p50, p95, max ms | p95 after / before |")
    print("| --- | --- | --- | --- |")
    for kind in kinds:
        cells, p95 = [], []
        for c in (a, b):
            ms = [s.seconds * 1000 for s in c.samples if s.endpoint == kind and 200 <= s.status < 300]
            p95.append(percentile(ms, 95))
            cells.append(f"{len(ms)}, {percentile(ms, 50):.1f}, {p95[-1]:.1f}, {max(ms):.0f}")
        print(f"| `{kind}` | {' | '.join(cells)} | {p95[1] / p95[0]:.2f} |")


if __name__ == "__main__":
    main()
