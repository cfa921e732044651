"""Structure-aware ranking: align a video's shot sequence with each candidate track's segment sequence.

After Prétet et al., "Video-to-Music Recommendation using Temporal Alignment of Segments" (2023). Both
sequences are laid on one time grid of ``HOP`` seconds, so a segment's duration is its weight. The local
agreement of video frame i with track frame j blends

* content: cosine of the shot's and the segment's vectors in the shared music–video space,
* sync: the video cuts at i and the music has a downbeat or section change at j,
* energy: the picture's activity (motion, brightness) and the music's loudness rise and fall together.

Two aligners: ``rigid`` scans every start offset with the music at its own speed (a soundtrack is never
time-stretched); ``dtw`` is subsequence DTW with steps (1,1), (1,2), (2,1), so the path may bend where shot
and segment boundaries disagree. Both are numba kernels over all candidates at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from numba import njit, prange

from recommender.fine_sync import FINE_HOP, event_logs, fine_kernel, metre_curve, onset_curve
from recommender.light import LevelSpectrum, flat_correlations, level_spectrum, loudness_curve

HOP = 0.25  # seconds per grid frame
# Typical spread of each agreement term across offsets and tracks, so that weights mean what they say.
CONTENT_SCALE, SYNC_SCALE, ENERGY_SCALE = 0.15, 0.25, 0.35
LIGHT_SCALE = 0.1  # the light's correlation: its spread across offsets and tracks


@dataclass
class MusicSequence:
    """A track on the grid: ``segment`` ``(T,)`` indexes ``vectors`` ``(m, D)``; ``events``, ``energy`` ``(T,)``."""

    vectors: np.ndarray
    segment: np.ndarray
    events: np.ndarray  # 0..1: section change 1, downbeat 0.6, blurred over ±1 frame
    energy: np.ndarray  # dB
    duration: float
    onset: np.ndarray | None = None  # (ceil(duration / FINE_HOP),) onset strength 0..1 on the fine grid
    metre: np.ndarray | None = None  # same grid: section start 1, downbeat 0.7, beat 0.35
    loudness: np.ndarray | None = None  # same grid: the level in dB, high-passed (``recommender.light``)
    _logs: dict = field(default_factory=dict, repr=False, compare=False)
    _level: LevelSpectrum | None = field(default=None, repr=False, compare=False)

    def level_spectrum(self, n: int) -> LevelSpectrum:
        """``light.level_spectrum`` of this track's level for videos of ``n`` fine frames, computed once per video
        length (a cached sequence keeps one: about 50 KB for a 3-min track)."""
        if self._level is None or self._level.n != n:
            self._level = level_spectrum(self.loudness, n)
        return self._level

    def event_logs(self, back: int, ahead: int, mix: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``fine_sync.event_logs`` of this track, computed once per tolerance (a cached sequence keeps them)."""
        key = (back, ahead, round(mix, 6))
        if key not in self._logs:
            self._logs.clear()  # one tolerance at a time: 86 KB a 3-min track, and most videos share one
            self._logs[key] = event_logs(self.onset, self.metre, back=back, ahead=ahead, mix=mix)
        return self._logs[key]


@dataclass
class VideoSequence:
    """A video on the grid: ``shot`` ``(T,)`` indexes ``vectors`` ``(s, D)``; ``cuts``, ``activity`` ``(T,)``."""

    vectors: np.ndarray
    shot: np.ndarray
    cuts: np.ndarray  # 1 where a shot begins (not the first)
    activity: np.ndarray  # z-scored motion + brightness
    duration: float
    cut_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (k,) s, exact cut frames
    accent_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (a,) s, flashes, motion accents
    accent_strengths: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (a,) 0..1
    frame_rate: float = 25.0  # the video's frames per second: how precisely its events are placed
    light: np.ndarray | None = None  # (ceil(duration / FINE_HOP),) log brightness high-passed within shots


@dataclass
class Weights:
    """Weights of the agreement terms; the event terms (``onset``, ``metre``, ``accent``) are in nats."""

    content: float = 0.5
    sync: float = 0.25
    energy: float = 0.25
    onset: float = 0.0  # cuts on the music's onsets, at FINE_HOP
    metre: float = 0.0  # cuts on beats, downbeats and section starts, at FINE_HOP
    accent: float = 0.0  # flashes and motion accents on onsets, at FINE_HOP
    light: float = 0.0  # brightness following loudness at FINE_HOP (per LIGHT_SCALE of correlation)

    @classmethod
    def blend(cls, structure: float, base: Weights | None = None) -> Weights:
        """``structure`` in [0, 1]: 0 ranks by content alone, 1 by ``base`` (the fitted weights, or sync and
        energy alike); in between, the two mix."""
        structure = float(np.clip(structure, 0.0, 1.0))
        parts = asdict(base or cls(content=0.0, sync=0.5, energy=0.5))
        total = max(1e-9, sum(parts.values()))
        mixed = {k: structure * v / total for k, v in parts.items()}
        mixed["content"] += 1.0 - structure
        return cls(**mixed)

    @property
    def fine(self) -> np.ndarray:
        return np.array([self.onset, self.metre, self.accent, self.light / LIGHT_SCALE], dtype=np.float64)


@dataclass
class Alignment:
    score: float  # higher is better; the weighted sum of the parts below
    offset: float  # seconds into the track where the video starts
    content: float  # mean cosine along the path
    sync: float  # share of cuts on musical events, above chance
    energy: float  # correlation of activity and loudness along the path
    path: list[tuple[float, float]] = field(default_factory=list)  # (video s, track s) at shot starts and end
    onset: float = 0.0  # log-likelihood ratio (nats) of the cuts landing on the music's onsets
    metre: float = 0.0  # the same for beats, downbeats and section starts
    accent: float = 0.0  # the same for flashes and motion accents on onsets
    light: float | None = None  # correlation of the picture's light with the music's level, frame by frame; None
    # where it was not measured (no weight, a video or a track analysed before the light was kept)


# How far from a music event a video event still lands on it, in video frames either side (``event_tolerance``).
TOLERANCE_FRAMES = 0.5
# Until fitted weights exist (``recommender.blend``), the structure terms count alike; content adds nothing
# measurable on real footage yet (docs/benchmarks.md).
DEFAULT_WEIGHTS = Weights(content=0.0, sync=0.0, energy=0.5, onset=0.2, metre=0.1, accent=0.2, light=0.2)
WEIGHTS_PATH = Path(__file__).resolve().parent / "checkpoints" / "alignment_weights.json"


def load_weights(path: str | Path | None = None) -> Weights:
    """The fitted term weights saved beside the models (``manage.py fit_alignment``), else the defaults."""
    path = Path(path) if path else WEIGHTS_PATH
    if not path.exists():
        return DEFAULT_WEIGHTS
    data = json.loads(path.read_text())
    return Weights(**{k: float(v) for k, v in data["weights"].items() if k in Weights.__dataclass_fields__})


def _grid(duration: float, hop: float) -> np.ndarray:
    return np.arange(max(1, int(np.ceil(duration / hop - 1e-9)))) * hop


def _span_index(times: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    starts = np.array([s for s, _ in spans]) if spans else np.zeros(1)
    return np.clip(np.searchsorted(starts, times + 1e-9, side="right") - 1, 0, len(starts) - 1)


def _zscore(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 1e-9 else np.zeros_like(x)


def _resample(values, step: float, grid: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return np.zeros(len(grid))
    return np.interp(grid, (np.arange(len(values)) + 0.5) * step, values)  # value k covers [k, k+1) steps


def music_sequence(
    duration: float, spans: list[tuple[float, float]], vectors: np.ndarray, *, downbeats=(), section_starts=(),
    energy=(), energy_hop: float = 0.5, hop: float = HOP, beats=(), onset_envelope=None, onset_hop: float = 0.0,
    loudness=None,
) -> MusicSequence:  # fmt: skip
    """A track on the grid from its segments ``spans`` with ``vectors`` ``(len(spans), D)`` and its analysis.

    With an onset envelope (``recommender.analysis``) the track also gets its fine-grid event curves, and with
    its frame ``loudness`` (dB, one per ``onset_hop``) the level the light term reads.
    """
    grid = _grid(duration, hop)
    events = np.zeros(len(grid))
    for times, strength in ((downbeats, 0.6), (section_starts, 1.0)):
        idx = np.round(np.asarray(times, dtype=float) / hop).astype(int)
        idx = idx[(idx > 0) & (idx < len(grid))]
        events[idx] = np.maximum(events[idx], strength)
    blurred = np.maximum(events, 0.5 * np.maximum(np.roll(events, 1), np.roll(events, -1)))
    return MusicSequence(
        vectors=np.asarray(vectors, dtype=np.float32), segment=_span_index(grid, spans).astype(np.int64),
        events=blurred, energy=_resample(energy, energy_hop, grid), duration=float(duration),
        onset=None if onset_envelope is None else onset_curve(duration, onset_envelope, onset_hop),
        metre=None if onset_envelope is None else metre_curve(duration, beats=beats, downbeats=downbeats,
                                                              section_starts=section_starts),
        loudness=None if loudness is None or onset_envelope is None else loudness_curve(loudness, onset_hop, duration),
    )  # fmt: skip


def video_sequence(
    duration: float, spans: list[tuple[float, float]], vectors: np.ndarray, *, activity=(),
    activity_times=(), hop: float = HOP, accent_times=(), accent_strengths=(), frame_rate: float = 25.0,
    light=None,
) -> VideoSequence:  # fmt: skip
    """A video on the grid from its shot ``spans`` with ``vectors`` ``(len(spans), D)`` and an activity curve.

    The shots' starts (after the first) are its cuts, at full precision for the fine-grid terms; ``light`` is
    ``recommender.light.light_curve`` of its frames.
    """
    grid = _grid(duration, hop)
    cuts = np.zeros(len(grid))
    idx = np.round(np.array([s for s, _ in spans[1:]]) / hop).astype(int)
    cuts[idx[(idx > 0) & (idx < len(grid))]] = 1.0
    act = np.interp(grid, activity_times, activity) if len(activity) else np.zeros(len(grid))
    return VideoSequence(
        vectors=np.asarray(vectors, dtype=np.float32), shot=_span_index(grid, spans).astype(np.int64),
        cuts=cuts, activity=_zscore(act), duration=float(duration),
        cut_times=np.array([s for s, _ in spans[1:]], dtype=float), accent_times=np.asarray(accent_times, dtype=float),
        accent_strengths=np.asarray(accent_strengths, dtype=float), frame_rate=float(frame_rate or 25.0),
        light=None if light is None or not len(light) else np.asarray(light, dtype=np.float32),
    )  # fmt: skip


@njit(cache=True, parallel=True, fastmath=True)
def _rigid_kernel(sim, vec_ptr, seg, events, energy, ptr, shot_starts, shot_ids, cut_frames, act, dots, w, scores,
                  optr):  # fmt: skip
    """Every start offset of every candidate. Content sums use per-shot prefix sums over the track and sync
    visits only the cut frames, so the cost is (shots + cuts) per offset; ``dots[c, o]``, the activity's dot
    with the track's loudness at every offset, comes from one batched FFT (``_activity_dots``); with no
    weight on content it is measured at the best offset only. The score of every offset goes to
    ``scores[optr[c] + o]`` for the fine-grid pass. Arrays are sliced into views indexed from 0, which lets
    LLVM drop the negative-index checks and vectorise the inner loops."""
    n = len(ptr) - 1
    tv = len(act)
    n_shots = len(shot_ids)
    n_cuts = max(1.0, float(len(cut_frames)))
    use_content = w[0] != 0.0
    out = np.full((n, 5), -np.inf)
    a_sum = np.zeros(tv + 1)  # the activity's prefix sums: a track shorter than the video covers only its start
    a_sq = np.zeros(tv + 1)
    for i in range(tv):
        a_sum[i + 1] = a_sum[i] + act[i]
        a_sq[i + 1] = a_sq[i] + act[i] ** 2
    for c in prange(n):
        a, tm = ptr[c], ptr[c + 1] - ptr[c]
        n_off = max(1, tm - tv + 1)
        sg, ev, en = seg[a : a + tm], events[a : a + tm], energy[a : a + tm]
        prefix = np.zeros((n_shots if use_content else 0, tm + 1))
        if use_content:
            _content_prefix(sim, vec_ptr[c], sg, shot_ids, prefix)
        e_sum = np.zeros(tm + 1)
        e_sq = np.zeros(tm + 1)
        ev_sum = np.zeros(tm + 1)
        for j in range(tm):
            e_sum[j + 1] = e_sum[j] + en[j]
            e_sq[j + 1] = e_sq[j] + en[j] ** 2
            ev_sum[j + 1] = ev_sum[j] + ev[j]
        sc = scores[optr[c] : optr[c + 1]]
        for o in range(n_off):
            hi = min(tm, o + tv)  # the track may end before the video
            k_valid = hi - o
            content = _content_at(prefix, shot_starts, o, tm, tv) if use_content else 0.0
            sync = 0.0
            for f in cut_frames:
                if o + f < tm:
                    sync += ev[o + f]
            sync = (sync - n_cuts * (ev_sum[hi] - ev_sum[o]) / k_valid) / n_cuts
            dot = dots[c, o]
            mean = (e_sum[hi] - e_sum[o]) / k_valid
            var = (e_sq[hi] - e_sq[o]) / k_valid - mean * mean
            a_mean = a_sum[k_valid] / k_valid
            a_var = a_sq[k_valid] / k_valid - a_mean * a_mean
            cov = dot / k_valid - mean * a_mean
            # a correlation over the covered frames, counted by the share of the video they cover
            corr = cov / np.sqrt(var * a_var) * k_valid / tv if var > 1e-9 and a_var > 1e-9 else 0.0
            score = w[0] * content / w[3] + w[1] * sync / w[4] + w[2] * corr / w[5]
            if o < len(sc):
                sc[o] = score
            if score > out[c, 0]:
                out[c, 0] = score
                out[c, 1] = o
                out[c, 2] = content
                out[c, 3] = sync
                out[c, 4] = corr
        if not use_content and n_off > 0:
            out[c, 2] = _content_direct(sim, vec_ptr[c], sg, shot_starts, shot_ids, int(out[c, 1]), tv)
    return out


@njit(cache=True, fastmath=True)
def _content_prefix(sim, v0, sg, shot_ids, prefix):  # pragma: no cover
    """``prefix[k, j]``: the summed cosine of shot ``k`` with the track's first ``j`` grid frames."""
    for k in range(len(shot_ids)):
        row = sim[shot_ids[k]]
        for j in range(len(sg)):
            prefix[k, j + 1] = prefix[k, j] + row[v0 + sg[j]]


@njit(cache=True, fastmath=True)
def _content_direct(sim, v0, sg, shot_starts, shot_ids, o, tv):  # pragma: no cover
    """``_content_at`` for one offset without prefix sums: O(video frames)."""
    content = 0.0
    tm = len(sg)
    for k in range(len(shot_ids)):
        row = sim[shot_ids[k]]
        for i in range(shot_starts[k], shot_starts[k + 1]):
            if o + i < tm:
                content += row[v0 + sg[o + i]]
    return _mean_content(content, o, tm, tv)


@njit(cache=True, fastmath=True)
def _content_at(prefix, shot_starts, o, tm, tv):  # pragma: no cover
    """Mean cosine along the rigid path from track frame ``o``; frames past the track's end count -1."""
    content = 0.0
    for k in range(len(shot_starts) - 1):
        content += prefix[k, min(tm, o + shot_starts[k + 1])] - prefix[k, min(tm, o + shot_starts[k])]
    return _mean_content(content, o, tm, tv)


@njit(cache=True)
def _mean_content(total, o, tm, tv):  # pragma: no cover
    """Summed cosine over the frames with music → mean over the video; frames past the track's end count -1."""
    return (total - (tv - (min(tm, o + tv) - o))) / tv


@njit(cache=True)
def _dtw_kernel(sim, vec_ptr, seg, events, energy_z, ptr, shot, cuts, act, w, paths):  # pragma: no cover
    """Subsequence DTW per candidate on the local cost; writes each best path's track frame per video frame."""
    n = len(ptr) - 1
    tv = len(shot)
    out = np.full((n, 5), -np.inf)
    big = 1e18
    for c in range(n):
        a, tm, v0 = ptr[c], ptr[c + 1] - ptr[c], vec_ptr[c]
        cost = np.empty((tv, tm))
        for i in range(tv):
            for j in range(tm):
                s = sim[shot[i], v0 + seg[a + j]]
                sync = cuts[i] * (1.0 - events[a + j]) + 0.25 * events[a + j] * (1.0 - cuts[i])
                d = act[i] - energy_z[a + j]
                cost[i, j] = w[0] * (1.0 - s) / w[3] + w[1] * sync / w[4] + w[2] * min(d * d, 4.0) / 4.0 / w[5]
        acc = np.full((tv, tm), big)
        step = np.zeros((tv, tm), dtype=np.int8)
        for j in range(tm):
            acc[0, j] = cost[0, j]
        for i in range(1, tv):
            for j in range(1, tm):
                best, kind = acc[i - 1, j - 1], 0
                if j >= 2 and acc[i - 1, j - 2] < best:
                    best, kind = acc[i - 1, j - 2], 1
                if i >= 2 and acc[i - 2, j - 1] + cost[i - 1, j] < best:
                    best, kind = acc[i - 2, j - 1] + cost[i - 1, j], 2
                acc[i, j] = best + cost[i, j]
                step[i, j] = kind
        end = 0
        for j in range(tm):
            if acc[tv - 1, j] < acc[tv - 1, end]:
                end = j
        if acc[tv - 1, end] >= big:
            continue
        i, j = tv - 1, end
        content = 0.0
        while i >= 0:
            paths[c, i] = j
            content += sim[shot[i], v0 + seg[a + j]]
            if i == 0:
                break
            kind = step[i, j]
            if kind == 0:
                i, j = i - 1, j - 1
            elif kind == 1:
                i, j = i - 1, j - 2
            else:
                paths[c, i - 1] = j
                content += sim[shot[i - 1], v0 + seg[a + j]]
                i, j = i - 2, j - 1
        out[c, 0] = -acc[tv - 1, end] / tv
        out[c, 1] = paths[c, 0]
        out[c, 2] = content / tv
    return out


def _activity_dots(energy: np.ndarray, ptr: np.ndarray, act: np.ndarray, *, chunk: int = 256) -> np.ndarray:
    """``(n, L)``: ``Σ_i energy_c[o + i] · act[i]`` at every offset ``o`` of every candidate ``c`` (zero past the
    track's end), by FFT cross-correlation in chunks of candidates: O(L log L) each instead of O(L · video)."""
    n, tv = len(ptr) - 1, len(act)
    lengths = np.diff(ptr)
    size = 1 << int(np.ceil(np.log2(max(2, int(lengths.max(initial=1)) + tv))))
    spectrum = np.conj(np.fft.rfft(act, size))
    out = np.empty((n, size))
    for a in range(0, n, chunk):
        rows = np.zeros((min(chunk, n - a), size))
        for r, c in enumerate(range(a, a + len(rows))):
            rows[r, : lengths[c]] = energy[ptr[c] : ptr[c + 1]]
        out[a : a + len(rows)] = np.fft.irfft(np.fft.rfft(rows, axis=1) * spectrum, size, axis=1)
    return out


def _local_z(x: np.ndarray, width: int) -> np.ndarray:
    """z-score of ``x`` against a centred moving window of ``width`` frames (the video's length)."""
    width = max(3, min(len(x), width))
    pad = np.pad(x, (width // 2, width - 1 - width // 2), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(pad, width)
    sd = windows.std(axis=1)
    return np.where(sd > 1e-9, (x - windows.mean(axis=1)) / np.maximum(sd, 1e-9), 0.0)


def _window_stats(video: VideoSequence, track: MusicSequence, start: int) -> tuple[float, float]:
    """Sync above chance and energy correlation of the video against the track from grid frame ``start``."""
    tv = len(video.shot)
    ev = track.events[start : start + tv]
    en = track.energy[start : start + tv]
    k = len(ev)
    n_cuts = max(1.0, video.cuts.sum())
    sync = (float(video.cuts[:k] @ ev) - n_cuts * ev.mean()) / n_cuts if k else 0.0
    act = video.activity[:k]
    # A still picture (a lyric video, a photo held) or a flat passage has no activity to correlate: 0, not NaN
    corr = float(np.corrcoef(act, en)[0, 1]) if k > 2 and en.std() > 1e-9 and act.std() > 1e-9 else 0.0
    return sync, corr * k / tv


def align(
    video: VideoSequence, tracks: list[MusicSequence], *, method: str = "rigid", weights: Weights | None = None,
    hop: float = HOP, paths: int | None = None,
) -> list[Alignment]:  # fmt: skip
    """The best alignment of ``video`` with each of ``tracks`` (same order), all candidates in one kernel.

    Only the ``paths`` best-scoring alignments carry their path (all when None): the rest are never shown.
    """
    if not tracks:
        return []
    w = weights or Weights()
    if method == "rigid" and w.fine.any() and not _has_fine(video, tracks, w):
        # Tracks analysed before onset envelopes were kept: their cuts count on the coarse grid instead.
        w = replace(w, sync=w.sync + w.onset + w.metre, onset=0.0, metre=0.0, accent=0.0, light=0.0)
    elif method == "rigid" and w.fine.any():
        # Below about 24 fps a frame says little more than the coarse grid: the event and light terms fade out
        # and the cuts count on the coarse grid in their place.
        trust = frame_trust(video.frame_rate)
        w = replace(w, sync=w.sync + (1 - trust) * (w.onset + w.metre), onset=trust * w.onset,
                    metre=trust * w.metre, accent=trust * w.accent, light=trust * w.light)  # fmt: skip
    wv = np.array([w.content, w.sync, w.energy, CONTENT_SCALE, SYNC_SCALE, ENERGY_SCALE])
    sim = (video.vectors @ np.concatenate([t.vectors for t in tracks]).T).astype(np.float64)  # (shots, all segs)
    vec_ptr = np.cumsum([0] + [len(t.vectors) for t in tracks])[:-1].astype(np.int64)
    ptr = np.cumsum([0] + [len(t.segment) for t in tracks]).astype(np.int64)
    seg = np.concatenate([t.segment for t in tracks])
    events = np.concatenate([t.events for t in tracks])
    tv = len(video.shot)
    fine = None
    if method == "rigid":
        energy = np.concatenate([t.energy for t in tracks])
        change = np.flatnonzero(np.diff(video.shot)) + 1
        shot_starts = np.concatenate([[0], change, [tv]]).astype(np.int64)
        shot_ids = video.shot[shot_starts[:-1]].astype(np.int64)
        cut_frames = np.flatnonzero(video.cuts > 0).astype(np.int64)
        lengths = np.diff(ptr)
        optr = np.cumsum([0, *np.maximum(1, lengths - tv + 1)]).astype(np.int64)
        scores = np.zeros(optr[-1])
        act = video.activity.astype(np.float64)
        out = _rigid_kernel(sim, vec_ptr, seg, events, energy, ptr, shot_starts, shot_ids, cut_frames, act,
                            _activity_dots(energy, ptr, act), wv, scores, optr)  # fmt: skip
        fine, lit = _fine_pass(video, tracks, w, scores, optr, hop) if _has_fine(video, tracks, w) else (None, None)
        if fine is not None:
            out[:, 0] = fine[:, 0]
            out[:, 1] = fine[:, 1] * FINE_HOP / hop  # in grid frames, possibly fractional
        frames = [np.arange(tv) + int(round(o)) for o in out[:, 1]]
    elif method == "dtw":
        lit = None
        energy_z = np.concatenate([_local_z(t.energy, tv) for t in tracks])
        path_frames = np.zeros((len(tracks), tv), dtype=np.int64)
        out = _dtw_kernel(sim, vec_ptr, seg, events, energy_z, ptr, video.shot, video.cuts, video.activity, wv,
                          path_frames)  # fmt: skip
        frames = list(path_frames)
    else:
        raise ValueError(f"unknown alignment method {method!r} (rigid or dtw)")
    order = np.argsort(-out[:, 0], kind="stable")
    with_path = set(order[: len(tracks) if paths is None else paths].tolist())
    results = []
    for c, t in enumerate(tracks):
        score, start, content, sync, corr = out[c]
        if (method == "dtw" or (fine is not None and c in with_path)) and np.isfinite(score):
            sync, corr = _window_stats(video, t, int(round(start)))
        events = fine[c, 2:6] if fine is not None else np.zeros(4)
        results.append(Alignment(
            score=float(score), offset=round(float(start) * hop, 4), content=float(content), sync=float(sync),
            energy=float(corr), path=_shot_path(video, frames[c], hop, t.duration) if c in with_path else [],
            onset=float(events[0]), metre=float(events[1]), accent=float(events[2]),
            light=float(events[3]) if lit is not None and lit[c] else None,
        ))  # fmt: skip
    return results


def frame_trust(fps: float) -> float:
    """0..1: how much a video's event timing is worth beyond the 0.25-s grid (0 at 8 fps, 1 from 24 fps)."""
    return float(np.clip((fps - 8.0) / 16.0, 0.0, 1.0))


def event_tolerance(fps: float, *, frames: float = TOLERANCE_FRAMES) -> int:
    """Fine frames either side of a music event where a video event at ``fps`` still counts as on it.

    A cut shows on the first frame after its beat, and an onset envelope peaks a little after the attack it
    hears. Both delays are nearly the same for every event of a video, so the offset search absorbs them. What
    is left to tolerate is their spread: a video frame's rounding, half a frame either side. A wider window lets
    every track of a nearby tempo fit a picture that pulses on the beat. Over 30 s, tracks 0.3 % apart in tempo
    drift 0.1 s apart, which a window of two frames and a lag hid (bench/real_media.py: R@10 on videos that
    flash only on the beat grid went from 0.46–0.83 to 0.70–0.92, docs/benchmarks.md, session 16).
    """
    return int(round(frames / max(1.0, fps) / FINE_HOP))


def _has_fine(video: VideoSequence, tracks: list[MusicSequence], w: Weights) -> bool:
    return bool(w.fine.any()) and all(t.onset is not None for t in tracks)


def _fine_pass(video: VideoSequence, tracks, w: Weights, coarse: np.ndarray, optr: np.ndarray, hop: float):
    """The event terms at every FINE_HOP offset, added to the coarse score of the nearest coarse offset."""
    n_video = max(1, int(np.ceil(video.duration / FINE_HOP - 1e-9)))
    cut_idx = np.round(video.cut_times / FINE_HOP).astype(np.int64)
    acc_idx = np.round(video.accent_times / FINE_HOP).astype(np.int64)
    back = ahead = event_tolerance(video.frame_rate)
    mix = w.onset / (w.onset + w.metre) if w.onset + w.metre > 0 else 0.5  # what the cuts land on, onset or metre
    logs = [t.event_logs(back, ahead, mix) for t in tracks]
    log_on, log_me, log_cut = (np.concatenate([curves[i] for curves in logs]) for i in range(3))
    fptr = np.cumsum([0] + [len(curves[0]) for curves in logs]).astype(np.int64)
    light, lptr, lit = _light_terms(video, tracks, w, n_video)
    out = fine_kernel(log_on, log_me, log_cut, fptr, coarse, optr, cut_idx, acc_idx,
                      video.accent_strengths.astype(np.float64), n_video, w.fine, hop / FINE_HOP, light,
                      lptr)  # fmt: skip
    return out, lit


def _light_terms(video: VideoSequence, tracks, w: Weights, n_video: int):
    """Each candidate's light correlation at every fine offset, end to end (the kernel adds its evidence,
    ``light.light_evidence``), their bounds, and which candidates were measured ``(n,)`` bool (None: the term is
    off, no weight or no light curve for the video).

    A track analysed before its level was kept (until ``manage.py reanalyse_catalog`` has run) is not left out
    of the term, nor does it switch the term off for everyone: it gets, at every offset, the median over the
    measured candidates of their best correlation, what a track that the light does not follow typically
    earns, so it neither gains nor loses by the missing curve.
    """
    lit = np.array([t.loudness is not None for t in tracks], dtype=bool)
    if not w.light or video.light is None or not lit.any():
        return np.zeros(0, dtype=np.float32), np.zeros(len(tracks) + 1, dtype=np.int64), None
    spectra = [t.level_spectrum(len(video.light)) for t, ok in zip(tracks, lit, strict=True) if ok]
    flat, ptr = flat_correlations(video.light, spectra)
    if lit.all():
        return flat, ptr, lit
    measured = iter([flat[a:b] for a, b in zip(ptr[:-1], ptr[1:], strict=True)])
    scores = [next(measured) if ok else None for ok in lit]
    typical = np.float32(np.median([s.max() for s in scores if s is not None and len(s)] or [0.0]))
    scores = [  # as many offsets as the kernel scores for the candidate
        s if s is not None else np.full(max(1, len(t.onset) - n_video + 1), typical, dtype=np.float32)
        for s, t in zip(scores, tracks, strict=True)
    ]
    return np.concatenate(scores), np.cumsum([0] + [len(s) for s in scores]).astype(np.int64), lit


def _shot_path(video: VideoSequence, frames: np.ndarray, hop: float, track_duration: float):
    """(video s, track s) at each shot start and at the video's end, from the grid path."""
    starts = [0, *np.flatnonzero(video.cuts).tolist()]
    points = [(round(i * hop, 3), round(min(track_duration, float(frames[i]) * hop), 3)) for i in starts]
    last = len(video.shot) - 1
    points.append((round(video.duration, 3), round(min(track_duration, float(frames[last]) * hop + hop), 3)))
    return points
