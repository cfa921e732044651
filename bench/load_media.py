"""bench/load.py's media, made here: a short song-like WAV to upload and a short video with cuts."""

from __future__ import annotations

import io
from pathlib import Path


def short_wav(seed: int, seconds: float = 8.0, sr: int = 22050) -> bytes:
    """A short, unique song-like WAV: a chord progression over a kick and hats at a random tempo."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(seed)
    bpm = float(rng.uniform(80, 160))
    t = np.arange(int(seconds * sr)) / sr
    beat = 60.0 / bpm
    y = np.zeros_like(t)
    for b, start in enumerate(np.arange(0, seconds, 4 * beat)):
        root = 110 * 2 ** (int(rng.integers(0, 12)) / 12)
        span = (t >= start) & (t < start + 4 * beat)
        for ratio in (1, 1.25 if b % 2 else 1.2, 1.5):
            y[span] += 0.12 * np.sin(2 * np.pi * root * ratio * t[span])
    k = np.arange(int(0.12 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-k / 0.03)) * k) * np.exp(-k / 0.08)
    hat = rng.standard_normal(int(0.03 * sr)) * np.exp(-np.arange(int(0.03 * sr)) / (0.008 * sr)) * 0.2
    for i, start in enumerate(np.arange(0, seconds, beat / 2)):
        j = int(start * sr)
        hit = kick if i % 2 == 0 else hat
        n = min(hit.size, y.size - j)
        y[j : j + n] += hit[:n]
    y += 0.01 * rng.standard_normal(y.size)
    buf = io.BytesIO()
    sf.write(buf, (y / np.max(np.abs(y)) * 0.8).astype(np.float32), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def short_video(folder: Path, seed: int, seconds: float = 8.0) -> bytes:
    """A silent 160×90 clip with a hard cut every 2 s (the test suite's generator)."""
    from tests.media import write_shot_video

    return write_shot_video(folder / f"clip-{seed}.mp4", seconds=seconds, cut_every=2.0, fps=12.0,
                            seed=seed).read_bytes()  # fmt: skip
