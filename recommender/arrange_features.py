"""What a join at a downbeat sounds like: the signal on either side of every downbeat, and the cost of jumping.

"Infinite jukebox"-style: leaving the track at downbeat ``i`` and resuming at downbeat ``j`` is inaudible when the
music around ``j`` is like the music around ``i`` (chroma, timbre, loudness), so the listener hears the usual
change at a downbeat and nothing more. Costs are in units of the track's own change across its ordinary downbeats
(1.0 = the median downbeat of this track), so thresholds mean the same on every track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.spectral import power_spectrogram

HOP = 512
N_FFT = 2048


@dataclass
class DownbeatFeatures:
    """Features of the audio just before and just after every downbeat."""

    downbeats: np.ndarray  # (n,) seconds
    duration: float  # seconds
    chroma_before: np.ndarray  # (n, 12) unit norm
    chroma_after: np.ndarray  # (n, 12)
    timbre_before: np.ndarray  # (n, 13) MFCC 1..13, standardised over the track
    timbre_after: np.ndarray  # (n, 13)
    loud_before: np.ndarray  # (n,) dB
    loud_after: np.ndarray  # (n,) dB
    natural: np.ndarray  # (n,) change across each downbeat in the track itself, in ``scale`` units
    scale: float  # median raw change across the track's downbeats

    @property
    def bar(self) -> float:
        """Typical bar length, seconds."""
        return float(np.median(np.diff(self.downbeats))) if len(self.downbeats) > 1 else 2.0


def downbeat_features(
    y: np.ndarray | None, sr: int, downbeats, *, window: float | None = None, duration: float | None = None,
    power: np.ndarray | None = None,
) -> DownbeatFeatures:  # fmt: skip
    """Chroma, MFCC and loudness over ``window`` seconds (default: half a bar) before and after each downbeat.

    ``y`` mono float ``(n,)`` at ``sr`` Hz (22050 is plenty); ``downbeats`` seconds. One STFT, then cumulative sums.
    ``power``: that STFT's power ``(1 + N_FFT // 2, frames)`` at hop ``HOP`` when the caller already has it (the
    analysis does), then ``y`` may be None and ``duration`` is required.
    """
    import librosa

    db = np.asarray(downbeats, dtype=float)
    if power is None:
        power = power_spectrogram(np.asarray(y, dtype=np.float32), n_fft=N_FFT, hop_length=HOP)
    elif duration is None:
        raise ValueError("duration is required when the power spectrogram is given")
    duration = float(duration if duration is not None else len(y) / sr)
    chroma = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0)
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=64)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel, top_db=80.0), n_mfcc=14)[1:]
    loud = power.mean(axis=0)
    bar = float(np.median(np.diff(db))) if len(db) > 1 else 2.0
    win = window if window is not None else max(0.1, bar / 2)
    rate = sr / HOP
    frames = power.shape[1]
    cum = np.concatenate([np.zeros((1, 12 + 13 + 1)), np.cumsum(np.vstack([chroma, mfcc, loud[None]]).T, axis=0)])
    centre = np.clip(np.round(db * rate).astype(int), 0, frames)
    k = max(1, int(round(win * rate)))

    def mean_over(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        lo, hi = np.clip(lo, 0, frames), np.clip(hi, 0, frames)
        hi = np.maximum(hi, lo + 1).clip(max=frames)
        lo = np.minimum(lo, hi - 1)
        return (cum[hi] - cum[lo]) / (hi - lo)[:, None]

    before, after = mean_over(centre - k, centre), mean_over(centre, centre + k)
    mu = mfcc.mean(axis=1)
    sd = mfcc.std(axis=1) + 1e-6

    def unit(c: np.ndarray) -> np.ndarray:
        return c / (np.linalg.norm(c, axis=1, keepdims=True) + 1e-9)

    f = DownbeatFeatures(
        downbeats=db, duration=duration, chroma_before=unit(before[:, :12]), chroma_after=unit(after[:, :12]),
        timbre_before=(before[:, 12:25] - mu) / sd, timbre_after=(after[:, 12:25] - mu) / sd,
        loud_before=10 * np.log10(before[:, 25] + 1e-10), loud_after=10 * np.log10(after[:, 25] + 1e-10),
        natural=np.zeros(len(db)), scale=1.0,
    )  # fmt: skip
    return _normalised(f)


def _normalised(f: DownbeatFeatures) -> DownbeatFeatures:
    """``natural`` and ``scale`` from the before/after features: the track's own change at its downbeats."""
    raw = change(f, np.arange(len(f.downbeats)), np.arange(len(f.downbeats)))
    f.scale = max(float(np.median(raw)) if len(raw) else 1.0, 1e-3)
    f.natural = raw / f.scale
    return f


WIDTH = 2 * 12 + 2 * 13 + 2  # values kept per downbeat: chroma, timbre and loudness, before and after


def to_bytes(f: DownbeatFeatures) -> bytes:
    """The features as compact float16 bytes ``(n, WIDTH)`` (about 100 bytes a bar), to keep with the track."""
    cols = [f.chroma_before, f.chroma_after, f.timbre_before, f.timbre_after, f.loud_before[:, None],
            f.loud_after[:, None]]  # fmt: skip
    return np.hstack(cols).astype(np.float16).tobytes() if len(f.downbeats) else b""


def from_bytes(raw: bytes | memoryview | None, downbeats, duration: float) -> DownbeatFeatures | None:
    """Features kept by :func:`to_bytes` for these ``downbeats`` (seconds) and ``duration``; None when missing or
    kept for another grid (the track was analysed again), so the caller computes them from the audio."""
    db = np.asarray(downbeats, dtype=float)
    if not raw or len(db) == 0 or len(raw) != len(db) * WIDTH * 2:
        return None
    a = np.frombuffer(bytes(raw), dtype=np.float16).astype(np.float64).reshape(len(db), WIDTH)
    if not np.isfinite(a).all():
        return None
    f = DownbeatFeatures(
        downbeats=db, duration=float(duration), chroma_before=a[:, 0:12], chroma_after=a[:, 12:24],
        timbre_before=a[:, 24:37], timbre_after=a[:, 37:50], loud_before=a[:, 50], loud_after=a[:, 51],
        natural=np.zeros(len(db)), scale=1.0,
    )  # fmt: skip
    return _normalised(f)


def change(f: DownbeatFeatures, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Raw change heard across a join that leaves at downbeat ``i`` and resumes at downbeat ``j`` (arrays)."""
    chroma = 1.0 - np.sum(f.chroma_before[i] * f.chroma_after[j], axis=-1)
    timbre = np.linalg.norm(f.timbre_before[i] - f.timbre_after[j], axis=-1) / np.sqrt(13)
    loud = np.abs(f.loud_before[i] - f.loud_after[j]) / 6.0
    return chroma + 0.5 * timbre + 0.5 * loud


def join_costs(f: DownbeatFeatures) -> np.ndarray:
    """``(n, n)`` audibility of leaving at downbeat ``i`` and resuming at downbeat ``j``, in track units.

    The change heard across the join, beyond what this track does at an ordinary downbeat, plus the
    infinite-jukebox context term (are ``j``'s surroundings like ``i``'s), plus a tempo term (bar lengths
    differ: the beat phase drifts after the join). ``i == j`` (no jump) costs ``inf``.
    """
    n = len(f.downbeats)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    heard = change(f, ii, jj) / f.scale
    ctx_b = 1.0 - f.chroma_before @ f.chroma_before.T + _pairwise(f.timbre_before) * 0.5
    ctx_a = 1.0 - f.chroma_after @ f.chroma_after.T + _pairwise(f.timbre_after) * 0.5
    context = 0.5 * (ctx_b + ctx_a) / f.scale
    bars = np.diff(np.r_[f.downbeats, f.duration])
    prev = np.r_[bars[0], bars[:-1]]  # the bar that ends at each downbeat
    tempo = np.abs(prev[:, None] - bars[None, :]) / max(f.bar, 1e-3) * 8.0
    cost = np.maximum(heard, 0.0) + 0.5 * context + tempo
    np.fill_diagonal(cost, np.inf)
    return cost


def _pairwise(x: np.ndarray) -> np.ndarray:
    sq = (x * x).sum(axis=1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)) / np.sqrt(x.shape[1])


def strongest_change(f: DownbeatFeatures, section_starts) -> float:
    """The downbeat (seconds) of the track's biggest section change: the largest change, louder after counts double.

    ``section_starts`` seconds; falls back to every downbeat when there are no section boundaries inside the track.
    """
    starts = [s for s in section_starts if 0.5 < s < f.duration - 0.5]
    cand = np.unique([int(np.argmin(np.abs(f.downbeats - s))) for s in starts]) if starts else np.arange(len(f.natural))
    if len(cand) == 0:
        return float(f.downbeats[0]) if len(f.downbeats) else 0.0
    rise = np.maximum(f.loud_after[cand] - f.loud_before[cand], 0.0) / 6.0
    return float(f.downbeats[cand[int(np.argmax(f.natural[cand] + rise))]])
