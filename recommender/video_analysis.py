"""What Segue knows about an uploaded video: its shots, an activity curve, and shared-space vectors.

Decodes only sampled, downscaled frames (``recommender.video``), cuts them into shots (``recommender.shots``),
describes each frame for the cross-modal model, and embeds the whole clip and every shot with its video
branch. The activity curve (brightness and motion within shots, z-scored) is what the alignment compares with
loudness; the light curve (brightness high-passed within shots, at 25 ms) is what it compares with the
music's level frame by frame (``recommender.light``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.light import bridge_cuts, light_curve
from recommender.rhythm import FrameSignals, accents, refine_cuts
from recommender.shots import detect_shots
from recommender.video import decode_frames, frame_features

ACTIVITY_HOP = 0.25  # s; an exact step (the sampled frames' own times are a frame off here and there)


@dataclass
class VideoAnalysis:
    duration: float  # seconds
    shots: list[tuple[float, float]]  # (start, end) seconds
    shot_colours: list[str]  # "#rrggbb", the mean colour of each shot, for timelines
    times: np.ndarray  # (n,) seconds of the sampled frames
    activity: np.ndarray  # (m,) z-scored picture energy (``activity_curve``), one value every ``activity_hop`` s
    features: np.ndarray  # (n, N_FEATURES) per sampled frame, for the cross-modal model
    clip_vector: np.ndarray | None = None  # (dim,) unit, when a model is given
    shot_vectors: np.ndarray | None = None  # (len(shots), dim)
    cut_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (k,) s, the exact frame of each cut
    accent_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (a,) s, flashes and motion accents
    accent_strengths: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (a,) 0..1
    frame_rate: float = 0.0  # frames per second of the decoded video
    activity_hop: float = ACTIVITY_HOP  # seconds between activity values, from 0
    light: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (ceil(duration / FINE_HOP),) light curve
    extra: dict = field(default_factory=dict)


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 1e-9 else np.zeros_like(x)


def _per_shot_deviation(x: np.ndarray, times: np.ndarray, cut_times: np.ndarray) -> np.ndarray:
    shot = np.searchsorted(np.asarray(cut_times, dtype=float), times, side="right")
    means = np.bincount(shot, x) / np.maximum(np.bincount(shot), 1)
    return x - means[shot]


def _box(x: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or len(x) < 2:
        return x
    kernel = np.ones(width) / width
    return np.convolve(np.pad(x, (width // 2, width - 1 - width // 2), mode="edge"), kernel, mode="valid")


def activity_times(duration: float, hop: float = ACTIVITY_HOP) -> np.ndarray:
    """``(m,)`` s: ``0, hop, 2·hop, …`` up to ``duration``; stored with ``hop`` alone, so it must be exact."""
    return np.arange(int(np.floor(max(duration, 0.0) / hop)) + 1) * hop


def activity_curve(
    signals: FrameSignals, cut_times=(), *, times=None, motion_weight: float = 0.5, smooth: float = 0.25
) -> np.ndarray:
    """Picture energy ``(len(times),)``, z-scored, from the full-rate ``signals`` and the video's cuts (s).

    What follows the music's loudness is how a shot's light and movement change, not which photograph or
    subject a cut brings: brightness (log) and motion are taken relative to their own shot's mean, the frames
    around each cut (the motion spike of the edit itself) are bridged, and the sum is averaged over ``smooth``
    seconds, then read at ``times`` (default: every frame). ``motion_weight`` scales motion against brightness.
    """
    t = np.asarray(signals.times, dtype=float)
    out_times = t if times is None else np.asarray(times, dtype=float)
    if len(t) < 2:
        return np.zeros(len(out_times))
    cuts = np.asarray(cut_times, dtype=float)
    fps = signals.fps
    motion = np.log(np.asarray(signals.motion, dtype=float) + 1e-3)
    motion = bridge_cuts(motion, t, cuts, fps)
    light = np.log(np.asarray(signals.brightness, dtype=float) + 0.02)
    width = max(1, int(round(smooth * fps)))
    curve = _z(_box(_per_shot_deviation(light, t, cuts), width))
    curve = curve + motion_weight * _z(_box(_per_shot_deviation(motion, t, cuts), width))
    return _z(np.interp(out_times, t, curve))


def analyze_video(
    path: str | Path, *, model=None, device="cpu", progress: Callable[[float, str], None] | None = None
) -> VideoAnalysis:
    """Shots, activity and (with a cross-modal ``model``) clip and shot vectors of the video at ``path``."""
    report = progress or (lambda f, m: None)
    frames = decode_frames(path)
    report(0.5, f"decoded {len(frames.images)} frames")
    shots = detect_shots(frames.images, frames.times, duration=frames.duration)
    report(0.65, f"{len(shots.spans)} shots")
    cut_times = refine_cuts(frames.signals, shots.boundaries)
    accent_times, accent_strengths = accents(frames.signals, cut_times)
    edges = [0.0, *cut_times.tolist(), frames.duration]
    spans = [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
    feats = frame_features(frames.images)
    idx = np.clip(np.searchsorted(frames.times, [s for s, _ in spans], side="left"), 0, len(frames.times) - 1)
    ends = np.clip(np.searchsorted(frames.times, [e for _, e in spans], side="left"), 1, len(frames.times))
    colours = []
    for a, b in zip(idx, ends, strict=True):
        mean = frames.images[a : max(a + 1, b)].reshape(-1, 3).mean(axis=0)
        colours.append("#" + "".join(f"{int(c):02x}" for c in mean))
    result = VideoAnalysis(
        duration=frames.duration, shots=spans, shot_colours=colours, times=frames.times,
        activity=activity_curve(frames.signals, cut_times, times=activity_times(frames.duration)), features=feats,
        extra={"has_audio": frames.has_audio},
        cut_times=cut_times, accent_times=accent_times, accent_strengths=accent_strengths,
        frame_rate=frames.signals.fps,
        light=light_curve(frames.signals.times, frames.signals.brightness, cut_times, duration=frames.duration),
    )  # fmt: skip
    report(0.8, "described frames")
    if model is not None:
        from recommender.models.crossmodal import embed_video_spans

        result.clip_vector, result.shot_vectors = embed_video_spans(model, feats, spans, device=device)
        report(1.0, "embedded")
    return result
