"""What Segue knows about an uploaded video: its shots, an activity curve, and shared-space vectors.

Decodes only sampled, downscaled frames (``recommender.video``), cuts them into shots (``recommender.shots``),
describes each frame for the cross-modal model, and embeds the whole clip and every shot with its video
branch. The activity curve (motion plus brightness, z-scored) is what the alignment compares with loudness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.rhythm import accents, refine_cuts
from recommender.shots import detect_shots
from recommender.video import FEATURE_NAMES, decode_frames, frame_features


@dataclass
class VideoAnalysis:
    duration: float  # seconds
    shots: list[tuple[float, float]]  # (start, end) seconds
    shot_colours: list[str]  # "#rrggbb", the mean colour of each shot, for timelines
    times: np.ndarray  # (n,) seconds of the sampled frames
    activity: np.ndarray  # (n,) z-scored motion + brightness at ``times``
    features: np.ndarray  # (n, N_FEATURES) per sampled frame, for the cross-modal model
    clip_vector: np.ndarray | None = None  # (dim,) unit, when a model is given
    shot_vectors: np.ndarray | None = None  # (len(shots), dim)
    cut_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (k,) s, the exact frame of each cut
    accent_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (a,) s, flashes and motion accents
    accent_strengths: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (a,) 0..1
    frame_rate: float = 0.0  # frames per second of the decoded video
    extra: dict = field(default_factory=dict)


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 1e-9 else np.zeros_like(x)


def activity_curve(features: np.ndarray) -> np.ndarray:
    """Picture energy ``(n,)``: z(motion) + z(brightness), z-scored again, from frame features ``(n, F)``."""
    motion = features[:, FEATURE_NAMES.index("motion")].astype(np.float64)
    if len(motion) > 1:
        motion[0] = motion[1]
    brightness = features[:, FEATURE_NAMES.index("brightness")].astype(np.float64)
    return _z(_z(motion) + _z(brightness))


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
        activity=activity_curve(feats), features=feats, extra={"has_audio": frames.has_audio},
        cut_times=cut_times, accent_times=accent_times, accent_strengths=accent_strengths,
        frame_rate=frames.signals.fps,
    )  # fmt: skip
    report(0.8, "described frames")
    if model is not None:
        from recommender.models.crossmodal import embed_video_spans

        result.clip_vector, result.shot_vectors = embed_video_spans(model, feats, spans, device=device)
        report(1.0, "embedded")
    return result
