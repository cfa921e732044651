"""What a ``cpu``-queue worker child holds after analysing tracks, with the analysis's STFT in numpy (as
``recommender/spectral.py`` computes it since issue 17's third pass) or in torch (as it did before), side by side in
the same run (issue 17).

    .venv/bin/python bench/footprint_analysis.py [--seconds 180] [--tracks 3] [--repeats 5]

Each variant runs in a fresh interpreter that imports what a worker child has (Django, the Celery app and every
task module, the cpu worker's preload ``CPU_WORKER_PRELOAD``), then analyses ``--tracks`` generated tracks of
``--seconds`` the way ``analyze_track`` does (spectra, analysis, passages, highlight, join features, log-mel from the
analysis's power spectrogram), gives freed memory back (``malloc_trim``) and reports its RSS and which heavy
packages it imported. The torch variant puts the former ``torch.stft`` version in place of ``power_spectrogram`` in
its process only; nothing in the project changes. Also printed: the largest difference between the two
spectrograms (relative to the peak) and each one's time on the same signal (best and median of ``--repeats``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def torch_power(y: np.ndarray, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
    """``|STFT|²`` as ``recommender.spectral.power_spectrogram`` computed it before issue 17's third pass: torch."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
    spec = torch.stft(x, n_fft, hop_length, window=torch.hann_window(n_fft), center=True, pad_mode="constant",
                      return_complex=True)  # fmt: skip
    return (spec.real.square() + spec.imag.square()).numpy()


def rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


def child(variant: str, seconds: float, tracks: int) -> dict:
    """One worker child's imports and analyses; its figures as a dict."""
    import importlib

    import django

    django.setup()
    from django.conf import settings

    # what the worker's autodiscovery imports
    import webapp.catalog.tasks
    import webapp.listening.tasks
    import webapp.videos.tasks  # noqa: F401
    from workers.celery import app  # noqa: F401

    out = {"variant": variant, "django_celery_tasks_mb": rss_mb()}
    for name in settings.CPU_WORKER_PRELOAD:
        importlib.import_module(name)
    out["preloaded_mb"] = rss_mb()
    if variant == "torch":
        for name in ("recommender.spectral", "recommender.analysis", "recommender.arrange_features"):
            importlib.import_module(name).power_spectrogram = torch_power
    import librosa

    from recommender.analysis import analyze, spectra
    from recommender.arrange_features import downbeat_features
    from recommender.highlights import highlight
    from recommender.media import ANALYSIS_SR
    from recommender.passages import block_features
    from webapp.core.memory import trim

    sr, rng = ANALYSIS_SR, np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in range(tracks):
        t = np.arange(int(seconds * sr)) / sr
        beat = np.sin(2 * np.pi * (2 + i * 0.1) * t) > 0
        y = (0.3 * np.sin(2 * np.pi * 110 * (1 + i) * t) * beat + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
        spec = spectra(y, sr)
        result = analyze(y, sr, spec=spec)
        blocks = block_features(spec.power, sr)
        highlight(blocks, result.energy, result.duration, energy_hop=result.energy_hop,
                  section_starts=[s.start for s in result.sections], downbeats=result.downbeats)  # fmt: skip
        downbeat_features(None, sr, result.downbeats, power=spec.power, duration=result.duration)
        np.log1p(100.0 * librosa.feature.melspectrogram(S=spec.power, sr=sr, n_mels=64, fmin=30, fmax=sr / 2))
        del y, spec, result, blocks
        trim()
    out["analysis_s"] = time.perf_counter() - t0  # torch's variant includes importing torch (first spectra call)
    out["after_analyses_mb"] = rss_mb()
    out["imported"] = [m for m in ("torch", "numba", "scipy.signal", "sklearn") if m in sys.modules]
    return out


def compare_stft(seconds: float, repeats: int) -> dict:
    from recommender.spectral import power_spectrogram

    y = (0.1 * np.random.default_rng(1).standard_normal(int(seconds * 22050))).astype(np.float32)
    a, b = torch_power(y), power_spectrogram(y)
    out = {"shape": list(a.shape), "max_rel_diff": float(np.abs(a - b).max() / a.max())}
    for name, fn in (("torch", torch_power), ("numpy", power_spectrogram)):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(y)
            times.append(time.perf_counter() - t0)
        out[f"{name}_best_ms"], out[f"{name}_median_ms"] = 1000 * min(times), 1000 * float(np.median(times))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--tracks", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", choices=["torch", "numpy"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.seconds, args.tracks)))
        return
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.settings", "MALLOC_ARENA_MAX": "2"}
    rows = []
    for variant in ("torch", "numpy"):
        argv = [sys.executable, __file__, "--child", variant, "--seconds", str(args.seconds), "--tracks",
                str(args.tracks)]  # fmt: skip
        res = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(f"\n{args.tracks} analyses of {args.seconds:.0f} s tracks in a fresh worker-child-like process:\n")
    print("| STFT | Django + Celery + tasks MB | + CPU_WORKER_PRELOAD MB | after the analyses MB | analyses s "
          "| imported |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['variant']} | {r['django_celery_tasks_mb']:.0f} | {r['preloaded_mb']:.0f} "
              f"| {r['after_analyses_mb']:.0f} | {r['analysis_s']:.1f} | {', '.join(r['imported'])} |")  # fmt: skip
    c = compare_stft(args.seconds, args.repeats)
    print(f"\nSTFT of {args.seconds:.0f} s at 22,050 Hz {c['shape']}: max difference {c['max_rel_diff']:.1e} of the "
          f"peak; torch {c['torch_best_ms']:.0f} ms best, {c['torch_median_ms']:.0f} median; numpy "
          f"{c['numpy_best_ms']:.0f} ms best, {c['numpy_median_ms']:.0f} median ({args.repeats} each)")  # fmt: skip


if __name__ == "__main__":
    main()
