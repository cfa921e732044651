"""Decoding media to analysis-ready arrays: mono float32 audio at one sample rate, with clear errors.

soundfile handles WAV/FLAC/OGG quickly; PyAV (FFmpeg) handles everything else, including MP3, AAC/M4A
and the audio track of a video file. Every failure is a :class:`MediaError` whose message can be shown
to the person who uploaded the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ANALYSIS_SR = 22050
SILENCE_DBFS = -60.0


class MediaError(ValueError):
    """A file that cannot be used, with a reason meant for its owner."""


@dataclass
class AudioInfo:
    duration: float  # seconds
    sample_rate: int
    channels: int
    codec: str
    tags: dict[str, str] = field(default_factory=dict)


def _open_av(path: Path):
    import av

    try:
        return av.open(str(path))
    except (av.error.InvalidDataError, av.error.FileNotFoundError) as exc:
        raise MediaError(f"{path.name}: not a readable audio or video file ({exc.__class__.__name__})") from exc
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path.name}: cannot be read ({exc})") from exc


def time_origin(container) -> float:
    """Seconds at which an open PyAV container's timeline starts: where a player's time 0 is.

    Timestamps need not start at 0: an MPEG-TS starts at 1.4 s or more, a camera's or a recorder's file wherever its
    clock stood, a clip cut without re-encoding where it was cut. Times in a video are measured from this origin,
    or every event and the offset into the music found from them would be off by it.
    """
    start = container.start_time
    return float(start) / 1_000_000 if start is not None else 0.0


def probe(path: str | Path) -> AudioInfo:
    """Duration, format and tags of the first audio stream, without decoding it."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise MediaError(f"{path.name}: empty or missing file")
    with _open_av(path) as container:
        streams = container.streams.audio
        if not streams:
            raise MediaError(f"{path.name}: has no audio stream")
        stream = streams[0]
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        tags = {k.lower(): str(v) for k, v in {**container.metadata, **stream.metadata}.items()}
        return AudioInfo(duration, stream.codec_context.sample_rate or 0, stream.codec_context.channels or 0,
                         stream.codec_context.name, tags)  # fmt: skip


def load_audio(
    path: str | Path, *, sr: int = ANALYSIS_SR, max_seconds: float | None = None, allow_silent: bool = False
) -> np.ndarray:
    """Mono float32 samples at ``sr`` Hz, shape ``(n,)``.

    Raises MediaError for a file that is not media, has no audio, is truncated to nothing, is silent
    (peak below -60 dBFS) or is longer than ``max_seconds``.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise MediaError(f"{path.name}: empty or missing file")
    audio = _load_soundfile(path, sr, max_seconds)
    if audio is None:
        audio = _load_av(path, sr, max_seconds)
    if audio.size < sr // 10:
        raise MediaError(f"{path.name}: no audio could be decoded (truncated or empty)")
    peak = float(np.max(np.abs(audio)))
    if not allow_silent and (peak == 0 or 20 * np.log10(peak) < SILENCE_DBFS):
        raise MediaError(f"{path.name}: the audio is silent")
    return audio


def _check_length(path: Path, seconds: float, max_seconds: float | None) -> None:
    if max_seconds is not None and seconds > max_seconds + 0.5:
        raise MediaError(f"{path.name}: {seconds:.0f} s is longer than the limit of {max_seconds:.0f} s")


def _load_soundfile(path: Path, sr: int, max_seconds: float | None) -> np.ndarray | None:
    """Fast path for the formats libsndfile reads; None to fall back to FFmpeg."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError):
        return None
    _check_length(path, info.duration, max_seconds)
    try:
        data, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError):
        return None  # e.g. truncated: FFmpeg decodes what is there
    return resample(data.mean(axis=1), file_sr, sr)


def _load_av(path: Path, sr: int, max_seconds: float | None) -> np.ndarray:
    import av

    info = probe(path)
    _check_length(path, info.duration, max_seconds)
    chunks: list[np.ndarray] = []
    with _open_av(path) as container:
        stream = container.streams.audio[0]
        # Channels are kept and averaged here, as the soundfile path does: FFmpeg's own mono downmix sums a 5.1
        # mix's channels (a 5.1 file came out 3.4 times as loud as the same music in mono).
        resampler = av.AudioResampler(format="fltp", rate=sr)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().mean(axis=0))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().mean(axis=0))
        except av.error.FFmpegError as exc:
            if not chunks:
                raise MediaError(f"{path.name}: the audio cannot be decoded ({exc})") from exc
            # Truncated or damaged near the end: keep what decoded.
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)
    if max_seconds is not None and audio.size > (max_seconds + 0.5) * sr:
        raise MediaError(f"{path.name}: longer than the limit of {max_seconds:.0f} s")
    return audio


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Polyphase resampling (scipy), float32 out."""
    if orig_sr == target_sr:
        return audio.astype(np.float32, copy=False)
    from math import gcd

    from scipy import signal

    g = gcd(int(orig_sr), int(target_sr))
    return signal.resample_poly(audio, target_sr // g, int(orig_sr) // g).astype(np.float32)


def title_artist(path: str | Path, tags: dict[str, str]) -> tuple[str, str]:
    """Title and artist from tags when present, else from the file name ("Artist - Title.ext")."""
    title = tags.get("title", "").strip()
    artist = (tags.get("artist") or tags.get("album_artist") or "").strip()
    if not title:
        stem = Path(path).stem.replace("_", " ").strip()
        if " - " in stem and not artist:
            artist, title = (part.strip() for part in stem.split(" - ", 1))
        else:
            title = stem
    return title[:255], artist[:255]


def waveform_peaks(y: np.ndarray, *, columns: int = 600) -> list[float]:
    """Peak |amplitude| of ``y`` ``(n,)`` in ``columns`` equal spans (3 decimals): what a waveform view draws."""
    n = len(y) // columns
    if n == 0:
        return [round(float(abs(v)), 3) for v in y]
    return [round(float(v), 3) for v in np.abs(y[: n * columns]).reshape(columns, n).max(axis=1)]
