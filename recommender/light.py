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

import numpy as np

from recommender.fine_sync import FINE_HOP

HIGHPASS = 0.5  # seconds: slower changes of light or level are not the music's pulse (bench/real_media.py)


def highpass(x: np.ndarray, width: int) -> np.ndarray:
    """``x`` minus its centred moving average over ``width`` frames (edges padded with the edge value)."""
    x = np.asarray(x, dtype=np.float64)
    if width <= 1 or len(x) < 2:
        return x - x.mean() if len(x) else x
    pad = np.pad(x, (width // 2, width - 1 - width // 2), mode="edge")
    cum = np.concatenate([[0.0], np.cumsum(pad)])
    return x - (cum[width:] - cum[:-width]) / width


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
    edit = np.zeros(len(t), dtype=bool)
    for c in cuts:
        edit |= (t >= c - 0.6 / fps) & (t <= c + 1.6 / fps)
    if edit.any() and not edit.all():
        light[edit] = np.interp(t[edit], t[~edit], light[~edit])
    shot = np.searchsorted(cuts, t, side="right")
    width = max(1, int(round(highpass_s * fps)))
    out = np.zeros_like(light)
    for k in np.unique(shot):
        inside = shot == k
        out[inside] = highpass(light[inside], min(width, int(inside.sum())))
    return np.interp(np.arange(n) * hop, t, out).astype(np.float32)


def light_correlations(light: np.ndarray, curves: list[np.ndarray], *, chunk: int = 128) -> list[np.ndarray]:
    """Pearson correlation of ``light`` ``(n,)`` with every window of each track's ``curves[c]`` ``(T_c,)``:
    one ``(max(1, T_c - n + 1),)`` array per track (a track shorter than the video: its one offset, the missing
    end counted as no agreement). Batched FFT cross-correlation, O(T log T) per track."""
    v = np.asarray(light, dtype=np.float64)
    n = len(v)
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    out: list[np.ndarray] = []
    if not curves:
        return out
    if norm < 1e-9:
        return [np.zeros(max(1, len(c) - n + 1), dtype=np.float32) for c in curves]
    v /= norm
    size = 1 << int(np.ceil(np.log2(max(len(c) for c in curves) + n)))
    spectrum = np.conj(np.fft.rfft(v, size))
    for a in range(0, len(curves), chunk):
        group = curves[a : a + chunk]
        rows = np.zeros((len(group), size))
        for r, c in enumerate(group):
            rows[r, : len(c)] = c
        dots = np.fft.irfft(np.fft.rfft(rows, axis=1) * spectrum, size, axis=1)
        for r, c in enumerate(group):
            out.append(_pearson(dots[r], np.asarray(c, dtype=np.float64), n))
    return out


def _pearson(dots: np.ndarray, m: np.ndarray, n: int) -> np.ndarray:
    """Correlations from the dot products of a unit, zero-mean ``n``-frame window with ``m`` at every offset."""
    if len(m) < n:
        m = np.concatenate([m, np.zeros(n - len(m))])  # past the end: silence of the pulse, no agreement
    k = len(m) - n + 1
    cum = np.concatenate([[0.0], np.cumsum(m)])
    cum2 = np.concatenate([[0.0], np.cumsum(m * m)])
    s1, s2 = cum[n:] - cum[:-n], cum2[n:] - cum2[:-n]
    sd = np.sqrt(np.maximum(s2 - s1 * s1 / n, 0.0))
    return np.where(sd > 1e-9, dots[:k] / np.maximum(sd, 1e-9), 0.0).astype(np.float32)
