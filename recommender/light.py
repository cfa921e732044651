"""Light that follows the music: the picture's brightness against the track's loudness, frame by frame.

Editors and lighting desks make light pulse with the music (stage and club lighting, strobes, grades keyed to
the mix, flashes on hits). On a 0.25-s grid a loudness curve is smooth and many tracks and offsets correlate
with a picture by chance; at 25 ms the kicks, accents and swells of one track at one offset form a pattern that
no other has. So the light term correlates, at every offset of every candidate, the video's brightness with
the track's loudness, both high-passed over ``HIGHPASS`` seconds: what remains is how the light moves within a
shot (camera moves, fades and the photograph's own brightness vary slowly and are removed) against how the
music's level moves beat to beat.

Curves live on the fine grid of :mod:`recommender.fine_sync` (``FINE_HOP`` seconds per frame). Shapes:
``loudness`` ``(ceil(duration / FINE_HOP),)`` dB, ``light`` ``(ceil(video duration / FINE_HOP),)``
(high-passed log brightness), scores ``(n_offsets,)`` Pearson correlations in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from recommender.fine_sync import FINE_HOP, evidence

HIGHPASS = 0.5  # seconds: slower changes of light or level are not the music's pulse (bench/real_media.py)
# The light is clipped at this many robust standard deviations (1.4826 × MAD) before it is correlated: a fade from
# black or a dip at a cut swings log brightness more than any pulse does, and would otherwise own the correlation
# (bench/real_media.py, sets with fades: R@10 0.50-0.72 unclipped).
CLIP = 3.0


def highpass(x: np.ndarray, width: int) -> np.ndarray:
    """``x`` minus its centred moving average over ``width`` frames (edges padded with the edge value)."""
    x = np.asarray(x, dtype=np.float64)
    if width <= 1 or len(x) < 2:
        return x - x.mean() if len(x) else x
    pad = np.pad(x, (width // 2, width - 1 - width // 2), mode="edge")
    cum = np.concatenate([[0.0], np.cumsum(pad)])
    return x - (cum[width:] - cum[:-width]) / width


def bridge_cuts(x: np.ndarray, times: np.ndarray, cut_times: np.ndarray, fps: float) -> np.ndarray:
    """``x`` ``(n,)`` per frame at ``times`` (s) with the frames around each cut (from 0.6 of a frame before to
    1.6 after) replaced by a line between their neighbours: the jump of the edit itself is the cut's, not the
    picture's light or motion."""
    edit = np.zeros(len(times), dtype=bool)
    for c in np.asarray(cut_times, dtype=float):
        edit |= (times >= c - 0.6 / fps) & (times <= c + 1.6 / fps)
    if not edit.any() or edit.all():
        return x
    out = np.array(x, dtype=float, copy=True)
    out[edit] = np.interp(times[edit], times[~edit], out[~edit])
    return out


def loudness_curve(
    loudness_db, loudness_hop: float, duration: float, *, hop: float = FINE_HOP, highpass_s: float = HIGHPASS
) -> np.ndarray:
    """A track's level (dB per analysis frame, ``loudness_hop`` s apart) on the fine grid, high-passed:
    ``(ceil(duration / hop),)`` float32."""
    n = max(1, int(np.ceil(duration / hop - 1e-9)))
    db = np.asarray(loudness_db, dtype=np.float64)
    if db.size < 2 or loudness_hop <= 0:
        return np.zeros(n, dtype=np.float32)
    level = np.interp(np.arange(n) * hop, np.arange(db.size) * loudness_hop, db)
    return highpass(level, int(round(highpass_s / hop))).astype(np.float32)


def light_curve(
    times, brightness, cut_times=(), *, duration: float, hop: float = FINE_HOP, highpass_s: float = HIGHPASS
) -> np.ndarray:
    """The video's light on the fine grid, ``(ceil(duration / hop),)`` float32, from per-frame ``brightness``
    (0..1) at ``times`` (s): log brightness, the frames of each cut bridged (an edit's jump is the cut's, not
    the music's), high-passed within each shot."""
    n = max(1, int(np.ceil(duration / hop - 1e-9)))
    t = np.asarray(times, dtype=float)
    if len(t) < 3:
        return np.zeros(n, dtype=np.float32)
    fps = 1.0 / float(np.median(np.diff(t)))
    light = np.log(np.asarray(brightness, dtype=float) + 0.02)
    cuts = np.asarray(cut_times, dtype=float)
    light = bridge_cuts(light, t, cuts, fps)
    shot = np.searchsorted(cuts, t, side="right")
    width = max(1, int(round(highpass_s * fps)))
    out = np.zeros_like(light)
    for k in np.unique(shot):
        inside = shot == k
        out[inside] = highpass(light[inside], min(width, int(inside.sum())))
    return np.interp(np.arange(n) * hop, t, out).astype(np.float32)


@dataclass
class LevelSpectrum:
    """What one track brings to a light query of ``n`` video frames, computed once per track and video length:
    its level's spectrum at an FFT size of ``size`` and the inverse of its level's spread in every window."""

    n: int
    size: int
    spectrum: np.ndarray  # (size // 2 + 1,) complex64
    inv_sd: np.ndarray  # (max(1, T - n + 1),) float16: 1 / the level's spread over the n frames from each offset


def level_spectrum(curve: np.ndarray, n: int) -> LevelSpectrum:
    """The :class:`LevelSpectrum` of a track's high-passed level ``curve`` ``(T,)`` for videos of ``n`` frames
    (a track shorter than the video is padded with silence of the pulse: the missing end agrees with nothing)."""
    from scipy import fft

    m = np.asarray(curve, dtype=np.float64)
    if len(m) < n:
        m = np.concatenate([m, np.zeros(n - len(m))])
    size = fft.next_fast_len(len(m), real=True)  # circular correlation is exact for the offsets 0..T - n
    cum = np.concatenate([[0.0], np.cumsum(m)])
    cum2 = np.concatenate([[0.0], np.cumsum(m * m)])
    s1, s2 = cum[n:] - cum[:-n], cum2[n:] - cum2[:-n]
    sd = np.sqrt(np.maximum(s2 - s1 * s1 / n, 0.0))
    inv_sd = np.where(sd > 1e-6, 1.0 / np.maximum(sd, 1e-6), 0.0).astype(np.float16)
    return LevelSpectrum(n, size, fft.rfft(m.astype(np.float32), size).astype(np.complex64), inv_sd)


def clip_outliers(x: np.ndarray, k: float = CLIP) -> np.ndarray:
    """``x`` clipped to its median ± ``k`` robust standard deviations (1.4826 × the median absolute deviation)."""
    x = np.asarray(x, dtype=np.float64)
    if not len(x) or k <= 0:
        return x
    centre = float(np.median(x))
    spread = 1.4826 * float(np.median(np.abs(x - centre)))
    return np.clip(x, centre - k * spread, centre + k * spread) if spread > 1e-12 else x


def light_correlations(
    light: np.ndarray, curves: list[np.ndarray] | None = None, *, spectra: list[LevelSpectrum] | None = None,
    clip: float = CLIP,
) -> list[np.ndarray]:  # fmt: skip
    """Pearson correlation of ``light`` ``(n,)`` (clipped at ``clip`` robust standard deviations) with every
    window of each track's level, ``curves[c]`` ``(T_c,)`` (or their ``spectra``, :func:`level_spectrum` for this
    ``n``): one ``(max(1, T_c - n + 1),)`` float32 array per track (views of :func:`flat_correlations`)."""
    spectra = spectra if spectra is not None else [level_spectrum(c, len(light)) for c in curves or []]
    flat, ptr = flat_correlations(light, spectra, clip=clip)
    return [flat[a:b] for a, b in zip(ptr[:-1], ptr[1:], strict=True)]


def flat_correlations(
    light: np.ndarray, spectra: list[LevelSpectrum], *, clip: float = CLIP
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`light_correlations` end to end in one float32 array, and each track's bounds ``(len(spectra) + 1,)``
    (what the alignment kernel reads: no per-track arrays to allocate and join). FFT cross-correlation, batched
    over the tracks that share an FFT size, each normalised straight into its place."""
    from scipy import fft

    ptr = np.cumsum([0] + [len(s.inv_sd) for s in spectra]).astype(np.int64)
    out = np.zeros(int(ptr[-1]), dtype=np.float32)
    v = clip_outliers(light, clip)
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    if norm < 1e-9:
        return out, ptr
    v = (v / norm).astype(np.float32)
    for size in sorted({s.size for s in spectra}):
        members = [i for i, s in enumerate(spectra) if s.size == size]
        video = np.conj(fft.rfft(v, size)).astype(np.complex64)
        dots = fft.irfft(np.stack([spectra[i].spectrum for i in members]) * video, size, axis=1)
        for row, i in enumerate(members):
            np.multiply(dots[row, : ptr[i + 1] - ptr[i]], spectra[i].inv_sd, out=out[ptr[i] : ptr[i + 1]])
    return out, ptr


# The correlation enters the score as evidence: -1/2 log(1 - r^2) is the log-likelihood ratio, per independent
# frame, of two Gaussian series correlated at r against independent ones (their mutual information), signed as r.
# It grows faster than r near 1, so one offset where the light truly pulses with the level outweighs the many
# offsets and tracks that correlate moderately by chance (a repeated chorus, a similar groove): bench/real_media.py,
# share of first-ranked true tracks at the right offset (within 0.25 s) A 0.63 -> 0.85, T 0.78 -> 0.86 at the same
# recall. Scaled to equal r at r = 0.5 (``fine_sync.EVIDENCE_SCALE``), so a blend fitted on r keeps its meaning.
# The alignment kernel applies it as it adds the term (``fine_sync.evidence``); the term is reported as r.


def light_evidence(r: np.ndarray) -> np.ndarray:
    """Correlations ``r`` ``(n,)`` (-1..1) as the signed evidence the alignment adds, ``(n,)`` float32."""
    return _evidence_all(np.ascontiguousarray(np.asarray(r, dtype=np.float32).reshape(-1)))


@njit(cache=True)
def _evidence_all(r):  # pragma: no cover
    out = np.empty_like(r)
    for i in range(len(r)):
        out[i] = evidence(r[i])
    return out


def light_trace(
    light: np.ndarray, level: np.ndarray, offset_frames: int, *, step: int = 4, clip: float = CLIP
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the light term compared, to draw it: the video's ``light`` ``(n,)`` (clipped as
    :func:`light_correlations` clips it) and the track's high-passed ``level`` ``(T,)`` over the same ``n`` fine
    frames from ``offset_frames`` (a track that ends early is padded with silence of the pulse), both z-scored and
    averaged over ``step`` frames. Returns ``times`` (s from the video's start, each block's start), ``picture`` and
    ``music``, each ``(ceil(n / step),)``, rounded for JSON (a 60-s video: 600 points at ``step`` 4)."""
    v = clip_outliers(light, clip)
    n = len(v)
    if not n:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    start = max(0, int(offset_frames))
    m = np.asarray(level, dtype=np.float64)[start : start + n]
    m = np.concatenate([m, np.zeros(n - len(m))])
    step = max(1, int(step))
    edges = np.arange(0, n, step)
    counts = np.diff(np.append(edges, n))

    def blocks(x: np.ndarray) -> np.ndarray:
        sd = float(x.std())
        z = (x - x.mean()) / sd if sd > 1e-9 else np.zeros(n)
        return np.round(np.add.reduceat(z, edges) / counts, 2)

    return np.round(edges * FINE_HOP, 3), blocks(v), blocks(m)
