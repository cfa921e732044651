"""Small media files made by the tests themselves (audio via soundfile, compressed audio and video via PyAV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 22050


def click_track(bpm: float = 120.0, seconds: float = 30.0, sr: int = SR) -> np.ndarray:
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    t = np.arange(int(0.03 * sr)) / sr
    click = (np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.005)).astype(np.float32)
    for beat in np.arange(0, seconds, 60 / bpm):
        i = int(beat * sr)
        y[i : i + click.size] += click[: y.size - i]
    return y


def timbre_change(at: float = 10.0, seconds: float = 20.0, sr: int = SR, seed: int = 0) -> np.ndarray:
    """Harmonic tones, then noise bursts from ``at`` seconds: one clear section boundary."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    tones = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 330 * t)
    noise = 0.3 * rng.standard_normal(t.size)
    return np.where(t < at, tones, noise).astype(np.float32)


def write_audio(path: Path, y: np.ndarray, sr: int = SR) -> Path:
    sf.write(path, y, sr)
    return path


def write_av(path: Path, y: np.ndarray, sr: int = SR, *, codec: str = "mp3", video: bool = False) -> Path:
    """Encode ``y`` with FFmpeg's ``codec`` (mp3, aac, …); with ``video`` add a small picture stream."""
    import av

    with av.open(str(path), "w") as out:
        vstream = None
        if video:
            vstream = out.add_stream("mpeg4", rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        astream = out.add_stream(codec, rate=sr)
        astream.layout = "mono"
        frame_len = 1152
        fmt = astream.codec_context.format.name
        for start in range(0, len(y), frame_len):
            chunk = y[start : start + frame_len]
            base = fmt.rstrip("p")
            if base == "s16":
                data = (np.clip(chunk, -1, 1) * 32767).astype(np.int16)
            elif base == "s32":
                data = (np.clip(chunk, -1, 1) * 2147483647).astype(np.int32)
            else:
                data = chunk.astype(np.float32)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[None, :]), format=fmt, layout="mono")
            frame.sample_rate = sr
            for packet in astream.encode(frame):
                out.mux(packet)
        for packet in astream.encode(None):
            out.mux(packet)
        if vstream is not None:
            for i in range(int(len(y) / sr * 10)):
                img = np.full((48, 64, 3), (i * 7) % 255, dtype=np.uint8)
                for packet in vstream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(packet)
            for packet in vstream.encode(None):
                out.mux(packet)
    return path


def write_video_only(path: Path, seconds: float = 2.0) -> Path:
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("mpeg4", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * 10)):
            for packet in v.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), i, dtype=np.uint8), format="rgb24")):
                out.mux(packet)
        for packet in v.encode(None):
            out.mux(packet)
    return path


def shot_frames(seconds: float = 10.0, cut_every: float = 2.0, fps: float = 25.0, size=(160, 90), seed: int = 0):
    """Frames with a hard cut every ``cut_every`` seconds; each shot pans a smooth scene (motion, no cuts)."""
    rng = np.random.default_rng(seed)
    w, h = size
    n = int(round(seconds * fps))
    frames = np.zeros((n, h, w, 3), dtype=np.uint8)
    scene = None
    for i in range(n):
        t = i / fps
        shot = int(t // cut_every)
        if scene is None or shot != scene[0]:
            import cv2

            coarse = rng.integers(0, 256, (max(2, h // 12), max(2, w // 6), 3)).astype(np.uint8)
            blurred = cv2.resize(coarse, (5 * w, h), interpolation=cv2.INTER_CUBIC)  # a smooth scene, like footage
            scene = (shot, blurred, rng.uniform(-40, 40))
        dx = int(np.clip(2 * w + (t - shot * cut_every) * scene[2], 0, 4 * w))  # a pan, never a jump
        frames[i] = scene[1][:, dx : dx + w]
    return frames


def write_shot_video(path: Path, seconds: float = 10.0, cut_every: float = 2.0, fps: float = 25.0, seed: int = 0,
                     audio: np.ndarray | None = None, sr: int = SR) -> Path:  # fmt: skip
    from recommender.mux import write_video

    return write_video(path, shot_frames(seconds, cut_every, fps, seed=seed), fps, audio=audio, sr=sr)
