"""Video decoding and per-frame visual features for the cross-modal model.

Only what is needed is decoded: frames sampled at a few frames per second and downscaled (PyAV), then
described by colour (hue histogram weighted by saturation, circular hue mean), brightness, saturation,
edge density (OpenCV Canny), and motion (difference to the previous sampled frame, and how much it varies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.media import MediaError, _open_av, time_origin
from recommender.rhythm import THUMB_WIDTH, FrameSignals, SignalRecorder

SAMPLE_FPS = 4.0
WIDTH = 96
HUE_BINS = 8
FEATURE_NAMES = (
    *(f"hue_{i}" for i in range(HUE_BINS)), "hue_cos", "hue_sin", "brightness", "brightness_std", "saturation",
    "saturation_std", "edges", "motion", "motion_var", "cut",
)  # fmt: skip
N_FEATURES = len(FEATURE_NAMES)


@dataclass
class Frames:
    times: np.ndarray  # (n,) seconds
    images: np.ndarray  # (n, h, w, 3) uint8 RGB
    duration: float  # seconds
    has_audio: bool
    signals: FrameSignals | None = None  # every decoded frame's brightness, motion and colour change


def _open_video(path: Path):
    """The open container and its first video stream; MediaError for an empty file or one with no picture."""
    if not path.is_file() or path.stat().st_size == 0:
        raise MediaError(f"{path.name}: empty or missing file")
    container = _open_av(path)
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path.name}: has no video stream")
    return container, container.streams.video[0]


def decode_frames(path: str | Path, *, fps: float = SAMPLE_FPS, width: int = WIDTH) -> Frames:
    """Frames at ``fps`` (the decoded frame nearest each sample time), downscaled to ``width`` pixels wide.

    Every frame is decoded anyway, so each also gives its full-rate rhythm signals (``recommender.rhythm``).
    """
    path = Path(path)
    import av

    container, stream = _open_video(path)
    with container:
        stream.thread_type = "AUTO"
        has_audio = bool(container.streams.audio)
        height = max(2, int(round(width * stream.codec_context.height / max(1, stream.codec_context.width) / 2)) * 2)
        thumb_h = max(2, int(round(height * THUMB_WIDTH / width / 2)) * 2)
        times: list[float] = []
        images: list[np.ndarray] = []
        recorder = SignalRecorder()
        origin = time_origin(container)  # the file's time 0, which its timestamps need not start at
        next_t, last_t = 0.0, 0.0
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                t = float(frame.time) - origin
                if t < -1e-6:  # before the start of the timeline (an edit list's lead-in): never shown
                    continue
                last_t = max(last_t, t)
                recorder.add(t, frame.reformat(width=THUMB_WIDTH, height=thumb_h, format="rgb24").to_ndarray())
                if t + 1e-6 < next_t:
                    continue
                images.append(frame.reformat(width=width, height=height, format="rgb24").to_ndarray())
                times.append(t)
                next_t = (int(t * fps + 1e-6) + 1) / fps
        except av.error.FFmpegError as exc:
            if not images:
                raise MediaError(f"{path.name}: the video cannot be decoded ({exc})") from exc
        step = float(np.median(np.diff(recorder.times))) if len(recorder.times) > 1 else 0.0
        duration = _duration(container, origin, last_t + step)
    if not images:
        raise MediaError(f"{path.name}: no video frames could be decoded")
    return Frames(np.array(times), np.stack(images), duration, has_audio, recorder.result())


def frame_features(images: np.ndarray) -> np.ndarray:
    """Per-frame visual features ``(n, N_FEATURES)`` of RGB frames ``(n, h, w, 3)`` (order: FEATURE_NAMES)."""
    import cv2

    n = len(images)
    out = np.zeros((n, N_FEATURES), dtype=np.float32)
    prev_gray = None
    prev_hist = None
    for i, img in enumerate(images):
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
        hue = hsv[:, 0] * (2 * np.pi / 180.0)  # OpenCV hue is 0..179
        sat, val = hsv[:, 1] / 255.0, hsv[:, 2] / 255.0
        weight = sat * val + 1e-6
        hist = np.bincount((hsv[:, 0] * HUE_BINS / 180).astype(int).clip(0, HUE_BINS - 1), weights=weight,
                           minlength=HUE_BINS)  # fmt: skip
        hist = hist / hist.sum()
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        edges = cv2.Canny(gray, 80, 160).mean() / 255.0
        motion = 0.0 if prev_gray is None else float(np.abs(gray.astype(np.float32) - prev_gray).mean() / 255.0)
        cut = 0.0 if prev_hist is None else float(0.5 * np.abs(hist - prev_hist).sum())
        out[i, :HUE_BINS] = hist
        out[i, HUE_BINS:] = [
            np.average(np.cos(hue), weights=weight), np.average(np.sin(hue), weights=weight), val.mean(), val.std(),
            sat.mean(), sat.std(), edges, motion, 0.0, cut,
        ]  # fmt: skip
        prev_gray, prev_hist = gray.astype(np.float32), hist
    motion = out[:, FEATURE_NAMES.index("motion")]
    padded = np.pad(motion, 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 5)
    out[:, FEATURE_NAMES.index("motion_var")] = windows.std(axis=1)
    return out


def _duration(container, origin: float, end: float) -> float:
    """Seconds from the timeline's origin to the end: the container's duration (which may include a longer
    sound), except where it was counted from timestamp 0 instead of from the origin (Matroska); ``end`` is where
    the last decoded frame ends."""
    if not container.duration:  # unknown (or zero: a stream that never said)
        return end
    total = container.duration / 1_000_000
    if origin > 0 and total > end + 0.5:
        total = max(end, total - origin)
    return float(total)


@dataclass
class VideoInfo:
    duration: float  # seconds
    width: int
    height: int
    fps: float
    codec: str
    has_audio: bool


def probe_video(path: str | Path) -> VideoInfo:
    """Size, rate, codec and duration of the first video stream, without decoding; MediaError otherwise."""
    container, stream = _open_video(Path(path))
    with container:
        ctx = stream.codec_context
        if not ctx.width or not ctx.height:
            raise MediaError(f"{path.name}: the video stream has no picture size (corrupt or truncated?)")
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        rate = stream.average_rate or stream.guessed_rate or 0
        return VideoInfo(duration, ctx.width, ctx.height, float(rate), ctx.name, bool(container.streams.audio))
