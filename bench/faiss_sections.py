"""FAISS at catalog scale: 1M section vectors of dimension 128, the configured index type against exact search.

    .venv/bin/python bench/faiss_sections.py [--n 1000000] [--factory IVF4096,SQ8] [--nprobe 16 32 64]

Vectors are generated with structure like real embeddings (a mixture of clusters on a 32-dimensional
manifold embedded in 128 dimensions, L2-normalised); ``--uniform`` uses uniform random directions, the
worst case for any partitioning index. Prints, beside exact search measured in the same run: median and
p95 single-query latency, recall@10 against exact search, index size on disk and the resident memory that
loading the file adds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import faiss

from recommender.index import build, normalise, set_search_params


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def loaded_mb(path: str) -> float:
    """Resident memory that loading the index file adds, in a fresh process (what a web or worker process pays)."""
    import subprocess

    code = (
        "import faiss, os\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20\n"
        f"before = rss(); index = faiss.read_index({path!r}); print(rss() - before)"
    )
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def generate(n: int, dim: int, rng: np.random.Generator, uniform: bool) -> np.ndarray:
    if uniform:
        return normalise(rng.standard_normal((n, dim)).astype(np.float32))
    clusters = 2000
    centers = rng.standard_normal((clusters, 32)).astype(np.float32) * 2.0
    proj = rng.standard_normal((32, dim)).astype(np.float32) / np.sqrt(32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 200_000):
        m = min(200_000, n - start)
        c = rng.integers(clusters, size=m)
        spread = rng.uniform(0.5, 1.5, size=(m, 1)).astype(np.float32)
        latent = centers[c] + spread * rng.standard_normal((m, 32)).astype(np.float32)
        out[start : start + m] = latent @ proj + 0.15 * rng.standard_normal((m, dim)).astype(np.float32)
    return normalise(out)


def timed_queries(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        index.search(q[None], k)
        times.append(time.perf_counter() - t0)
    return np.array(times) * 1000, index.search(queries, k)[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--factory", default="IVF4096,SQ8")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--uniform", action="store_true")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # single-query latency, one core: what a web request gets
    rng = np.random.default_rng(0)
    data = generate(args.n, args.dim, rng, args.uniform)
    queries = normalise(data[rng.choice(args.n, args.queries, replace=False)] + 0.05 * rng.standard_normal(
        (args.queries, args.dim)).astype(np.float32))  # fmt: skip
    ids = np.arange(args.n, dtype=np.int64)
    print(f"{args.n:,} x {args.dim} {'uniform' if args.uniform else 'clustered'} vectors, {args.queries} queries, k=10")

    exact = build(data, ids, "Flat")
    faiss.omp_set_num_threads(2)
    truth = exact.search(queries, 10)[1]
    faiss.omp_set_num_threads(1)
    exact_ms, _ = timed_queries(exact, queries[:100], 10)
    with tempfile.TemporaryDirectory() as tmp:
        faiss.write_index(exact, f"{tmp}/exact.faiss")
        exact_disk = os.path.getsize(f"{tmp}/exact.faiss") / 2**20
        del exact
        exact_mb = loaded_mb(f"{tmp}/exact.faiss")
        print(
            f"{'index':<24}{'median ms':>10}{'p95 ms':>8}{'recall@10':>11}{'disk MB':>9}{'RAM MB':>8}{'vs exact':>10}"
        )
        print(f"{'Flat (exact)':<24}{np.median(exact_ms):>10.3f}{np.percentile(exact_ms, 95):>8.3f}{1.0:>11.3f}"
              f"{exact_disk:>9.0f}{exact_mb:>8.0f}{'1.0x':>10}")  # fmt: skip
        faiss.omp_set_num_threads(2)
        t0 = time.perf_counter()
        index = build(data, ids, args.factory)
        build_s = time.perf_counter() - t0
        faiss.omp_set_num_threads(1)
        faiss.write_index(index, f"{tmp}/approx.faiss")
        disk = os.path.getsize(f"{tmp}/approx.faiss") / 2**20
        del index
        approx_mb = loaded_mb(f"{tmp}/approx.faiss")
        index = faiss.read_index(f"{tmp}/approx.faiss")  # as the web process loads it
        for nprobe in args.nprobe:
            set_search_params(index, nprobe=nprobe)
            ms, found = timed_queries(index, queries, 10)
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
            name = f"{args.factory} np={nprobe}"
            print(f"{name:<24}{np.median(ms):>10.3f}{np.percentile(ms, 95):>8.3f}{recall:>11.3f}{disk:>9.0f}"
                  f"{approx_mb:>8.0f}{np.median(exact_ms) / np.median(ms):>9.0f}x")  # fmt: skip
        print(f"build (train + add) {build_s:.0f} s")


if __name__ == "__main__":
    main()
