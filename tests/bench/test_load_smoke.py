"""bench/load.py's figures on a fake run (no stack, no timing): percentiles, per-endpoint rows, the table."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

PATH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("bench_load", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_percentile_matches_numpy(load):
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 100):
        values = list(rng.exponential(0.2, n))
        for q in (0, 50, 95, 100):
            assert load.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert np.isnan(load.percentile([], 50))


def test_summary_of_a_fake_run(load):
    S = load.Sample
    samples = [S("POST /api/listens/", 201, 0.010 * (i + 1)) for i in range(20)]
    samples += [S("GET /api/playlists/now/", 200, 0.1), S("GET /api/playlists/now/", 500, 0.3),
                S("GET /api/playlists/now/", 429, 0.01), S("GET /api/playlists/now/", 0, 60.0)]  # fmt: skip
    rows = {r.endpoint: r for r in load.summarise(samples, wall_seconds=10.0)}
    listens, playlist, total = rows["POST /api/listens/"], rows["GET /api/playlists/now/"], rows["all"]
    assert (listens.n, listens.per_second, listens.ok, listens.server_errors) == (20, 2.0, 20, 0)
    assert listens.p50_ms == pytest.approx(105.0) and listens.p95_ms == pytest.approx(190.5)
    assert (playlist.ok, playlist.client_errors, playlist.server_errors, playlist.no_answer) == (1, 1, 1, 1)
    assert playlist.p95_ms < 1000  # a request with no answer has no latency
    assert total.n == 24 and total.server_errors == 1 and list(rows)[-1] == "all"
    text = load.table(list(rows.values()), "embedded")
    assert text.count("\n") == len(rows) + 1 and "| embedded | `POST /api/listens/` | 20 | 2.00 |" in text
