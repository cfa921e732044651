"""Drum kits: one mono one-shot per instrument. A built-in kit synthesised in code, or one-shots from files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np

from recommender.drums.patterns import INSTRUMENTS


def _signal():
    """scipy.signal (~60 MB resident), imported only to resample a sample file that is not at the kit's rate."""
    from scipy import signal

    return signal


MAX_SAMPLE_SECONDS = 2.0
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".aif", ".aiff"}


@dataclass(frozen=True)
class Kit:
    """``samples[name]`` is a float32 mono array at ``sr`` Hz, peak-normalised to 1."""

    name: str
    sr: int
    samples: dict[str, np.ndarray] = field(hash=False, compare=False)

    def key(self) -> tuple[str, int]:
        return (self.name, self.sr)


def _env(n: int, sr: int, decay: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (decay * sr))


def _norm(x: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(x))) or 1.0
    return (x / peak).astype(np.float32)


def _butter_zpk(order: int, lo: float | None, hi: float | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Digital Butterworth zeros, poles and gain (``scipy.signal.butter(..., output="zpk")``'s design: analogue
    prototype, pre-warped band edges, bilinear transform). ``lo``/``hi``: band edges as fractions of Nyquist
    (``lo`` alone: high-pass; ``hi`` alone: low-pass; both: band-pass of twice the order)."""
    p = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))  # analogue prototype, cutoff 1 rad/s
    w_lo, w_hi = (4.0 * np.tan(np.pi * w / 2.0) if w else None for w in (lo, hi))  # pre-warped (fs = 2)
    if w_lo and w_hi:
        bw, w0 = w_hi - w_lo, np.sqrt(w_lo * w_hi)
        half = p * bw / 2
        p = np.concatenate([half + np.sqrt(half**2 - w0**2), half - np.sqrt(half**2 - w0**2)])
        z, k = np.zeros(order), bw**order
    elif w_lo:
        z, k, p = np.zeros(order), float(np.real(1.0 / np.prod(-p))), w_lo / p
    else:
        z, k, p = np.zeros(0), w_hi**order, p * w_hi
    k = k * float(np.real(np.prod(4.0 - z) / np.prod(4.0 - p)))
    z = np.concatenate([(4.0 + z) / (4.0 - z), -np.ones(len(p) - len(z))])
    return z, (4.0 + p) / (4.0 - p), k


def _band(x: np.ndarray, sr: int, lo: float | None, hi: float | None) -> np.ndarray:
    """4th-order Butterworth filter (causal, as ``scipy.signal.sosfilt`` runs it; equal to it within 1e-9 of the
    peak), applied as the filter's exact frequency response on an FFT long enough that the tail of the impulse
    response wrapping around is below 1e-12: numpy only, no scipy.signal (~60 MB) in a web process."""
    nyq = sr / 2
    if lo and hi:
        z, p, k = _butter_zpk(4, lo / nyq, min(hi / nyq, 0.99))
    else:
        z, p, k = _butter_zpk(4, min(lo / nyq, 0.99) if lo else None, None if lo else min(hi / nyq, 0.99))
    tail = int(np.ceil(np.log(1e-12) / np.log(np.max(np.abs(p)))))  # samples for the impulse response to die out
    n_fft = 1 << int(np.ceil(np.log2(x.size + tail)))
    e = np.exp(1j * np.pi * np.arange(n_fft // 2 + 1) / (n_fft // 2))
    num, den = np.full(e.shape, complex(k)), np.ones_like(e)
    for zero, pole in zip(z, p, strict=True):
        num *= e - zero
        den *= e - pole
    return np.fft.irfft(np.fft.rfft(x, n_fft) * (num / den), n_fft)[: x.size]


def _tone(sr: int, seconds: float, f0: float, f1: float, decay: float, sweep: float) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    freq = f1 + (f0 - f1) * np.exp(-t / sweep)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr) * _env(t.size, sr, decay)


@lru_cache(maxsize=8)
def synth_kit(sr: int = 44100) -> Kit:
    """The built-in kit: classic analogue-style voices from sines, noise and filters (deterministic)."""
    rng = np.random.default_rng(1234)

    def noise(seconds: float) -> np.ndarray:
        return rng.standard_normal(int(seconds * sr))

    n = noise(0.3)
    kick = _tone(sr, 0.5, 160, 45, 0.18, 0.03) + 0.3 * _band(noise(0.5), sr, 1500, 6000) * _env(
        int(0.5 * sr), sr, 0.004
    )
    snare = 0.5 * _tone(sr, 0.3, 220, 180, 0.08, 0.02) + _band(n, sr, 1200, 9000) * _env(n.size, sr, 0.07)
    chh = _band(noise(0.12), sr, 6000, None) * _env(int(0.12 * sr), sr, 0.018)
    ohh = _band(noise(0.6), sr, 5500, None) * _env(int(0.6 * sr), sr, 0.16)
    c = noise(0.35)
    burst = sum(np.roll(_env(c.size, sr, 0.006), int(k * 0.011 * sr)) for k in range(3))
    clap = _band(c, sr, 900, 3500) * (burst + 0.4 * np.roll(_env(c.size, sr, 0.09), int(0.033 * sr)))
    low_tom = _tone(sr, 0.6, 130, 85, 0.2, 0.08)
    high_tom = _tone(sr, 0.5, 230, 170, 0.15, 0.06)
    rim = _band(noise(0.06), sr, 1500, 5000) * _env(int(0.06 * sr), sr, 0.006) + 0.6 * _tone(
        sr, 0.06, 1700, 1700, 0.01, 1
    )
    t = np.arange(int(1.5 * sr)) / sr
    metal = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (317, 421, 553, 701, 839, 1013))
    cymbal = (_band(noise(1.5), sr, 4000, None) + 0.3 * _band(metal, sr, 3000, None)) * _env(t.size, sr, 0.45)
    voices = [kick, snare, chh, ohh, clap, low_tom, high_tom, rim, cymbal]
    return Kit("builtin", sr, {name: _norm(v) for name, v in zip(INSTRUMENTS, voices, strict=True)})


# File-name keywords per instrument, most specific first (open hat before closed hat, toms before "tom").
_KEYWORDS: list[tuple[str, str]] = [
    ("open_hat", r"open|ohh|\boh\b|hat.?o"),
    ("closed_hat", r"closed|chh|hi.?hat|hihat|\bhh\b|hat"),
    ("low_tom", r"low.?tom|tom.?low|floor|\blt\b|tom.?1\b|tom.?l"),
    ("high_tom", r"hi(gh)?.?tom|tom.?hi|\bht\b|tom.?2\b|tom.?h|\btom"),
    ("kick", r"kick|\bbd\b|bass.?drum|\bkik"),
    ("snare", r"snare|\bsd\b|snr"),
    ("clap", r"clap|\bcp\b"),
    ("rim", r"rim|stick|\brs\b"),
    ("cymbal", r"crash|ride|cymbal|\bcy\b|splash|china"),
]


def classify_sample(filename: str) -> str | None:
    """The instrument a one-shot's file name suggests, or None."""
    stem = re.sub(r"[_\-.]+", " ", Path(filename).stem.lower())
    for name, pattern in _KEYWORDS:
        if re.search(pattern, stem):
            return name
    return None


def load_sample(path: Path, sr: int) -> np.ndarray:
    """Decode a one-shot to mono float32 at ``sr``, at most MAX_SAMPLE_SECONDS, peak-normalised."""
    import soundfile as sf

    data, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if mono.size == 0 or not np.any(mono):
        raise ValueError(f"{path.name}: silent or empty sample")
    mono = mono[: int(MAX_SAMPLE_SECONDS * file_sr)]
    if file_sr != sr:
        g = gcd(int(file_sr), sr)
        mono = _signal().resample_poly(mono, sr // g, int(file_sr) // g)
    return _norm(mono)


def load_kit(folder: str | Path, *, sr: int = 44100, name: str | None = None) -> tuple[Kit, dict[str, str]]:
    """A kit from a folder of one-shot files, matched to instruments by file name.

    Returns the kit and ``{instrument: file name}`` for the samples used; instruments without a file keep the
    built-in voice. Raises ValueError when no file in the folder matches any instrument.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    chosen: dict[str, Path] = {}
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        inst = classify_sample(path.name)
        if inst and inst not in chosen:
            chosen[inst] = path
    if not chosen:
        raise ValueError(f"no drum one-shots recognised in {folder} (names like kick.wav, snare.wav, hihat.wav)")
    samples = dict(synth_kit(sr).samples)
    used: dict[str, str] = {}
    for inst, path in chosen.items():
        try:
            samples[inst] = load_sample(path, sr)
            used[inst] = str(path.relative_to(folder))
        except (ValueError, RuntimeError) as exc:  # soundfile raises RuntimeError on undecodable files
            raise ValueError(f"cannot read {path.name}: {exc}") from exc
    return Kit(name or folder.name, sr, samples), used
