"""Writing video files (frames, optionally with a soundtrack) with PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_video(path: str | Path, frames: np.ndarray, fps: float, *, audio: np.ndarray | None = None,
                sr: int = 22050, codec: str = "mpeg4", bitrate: int = 800_000) -> Path:  # fmt: skip
    """Encode RGB ``frames`` ``(n, h, w, 3)`` uint8 at ``fps``; mono float ``audio`` becomes an AAC track."""
    from fractions import Fraction

    import av

    path = Path(path)
    with av.open(str(path), "w") as out:
        vstream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        vstream.width, vstream.height = frames.shape[2], frames.shape[1]
        vstream.pix_fmt = "yuv420p"
        vstream.bit_rate = bitrate
        astream = None
        if audio is not None:
            astream = out.add_stream("aac", rate=sr)
            astream.layout = "mono"
        for img in frames:
            for packet in vstream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                out.mux(packet)
        for packet in vstream.encode(None):
            out.mux(packet)
        if astream is not None:
            encode_mono(out, astream, audio, sr)
    return path


def encode_mono(out, astream, audio: np.ndarray, sr: int, *, step: int = 1024) -> None:
    """Encode mono float ``audio`` into the open container's audio stream, then flush it."""
    import av

    fmt = "fltp" if astream.codec_context.format.name == "fltp" else "flt"
    pts = 0
    for start in range(0, len(audio), step):
        chunk = np.ascontiguousarray(audio[start : start + step].astype(np.float32)[None, :])
        frame = av.AudioFrame.from_ndarray(chunk, format=fmt, layout="mono")
        frame.sample_rate, frame.pts = sr, pts
        pts += chunk.shape[1]
        for packet in astream.encode(frame):
            out.mux(packet)
    for packet in astream.encode(None):
        out.mux(packet)


MP4_VIDEO_CODECS = {"h264", "hevc", "mpeg4", "av1", "vp9"}


def with_fades(audio: np.ndarray, sr: int, *, fade: float = 0.5) -> np.ndarray:
    """``audio`` ``(n,)`` with linear fades of ``fade`` seconds at both ends."""
    out = np.asarray(audio, dtype=np.float32).copy()
    k = min(len(out) // 2, int(fade * sr))
    if k > 0:
        ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
        out[:k] *= ramp
        out[-k:] *= ramp[::-1]
    return out


def mux_soundtrack(video_path: str | Path, out_path: str | Path, audio: np.ndarray, sr: int) -> Path:
    """Write ``video_path``'s picture with mono ``audio`` as its only sound, to an MP4 at ``out_path``.

    The picture is copied packet for packet when MP4 can hold its codec (no re-encoding, no quality loss);
    otherwise it is re-encoded with H.264. The audio is cut to the picture's length.
    """
    from fractions import Fraction

    import av

    from recommender.media import time_origin

    out_path = Path(out_path)
    with av.open(str(video_path)) as src, av.open(str(out_path), "w", format="mp4") as out:
        vin = src.streams.video[0]
        # Packets are copied only when they carry decoding timestamps: Matroska leaves them unset on the first
        # frames of H.264 (the keyframe among them), which MP4 cannot take as they are; those are re-encoded.
        copy = vin.codec_context.name in MP4_VIDEO_CODECS and _has_decode_times(video_path)
        if copy:
            vout = out.add_stream_from_template(vin)
        else:
            rate = vin.average_rate or Fraction(25)
            vout = out.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
            vout.options = {"preset": "veryfast", "crf": "20"}  # a preview: quick, and close to the source
        aout = out.add_stream("aac", rate=sr)
        aout.layout = "mono"
        duration = 0.0
        if copy:
            # The picture keeps its place on the source's timeline, measured from that timeline's origin (where
            # the analysis put time 0 and where the soundtrack starts), not from whatever timestamp it began at.
            shift = int(round(time_origin(src) / vin.time_base)) if vin.time_base else 0
            for packet in src.demux(vin):
                if packet.dts is None:
                    continue
                packet.dts -= shift
                if packet.pts is not None:
                    packet.pts -= shift
                if packet.pts is not None and packet.time_base is not None:
                    duration = max(duration, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                packet.stream = vout
                out.mux(packet)
        else:
            origin, last = time_origin(src), -1
            for frame in src.decode(vin):
                t = float(frame.time or 0.0) - origin  # on the same timeline as the analysis and the soundtrack
                if t < -1e-6:
                    continue
                last = max(last + 1, int(round(t * float(rate))))  # variable frame rates land on the nearest slot
                duration = max(duration, (last + 1) / float(rate))
                picture = frame.reformat(format="yuv420p")
                picture.pts, picture.time_base = last, 1 / Fraction(rate)
                for packet in vout.encode(picture):
                    out.mux(packet)
            for packet in vout.encode(None):
                out.mux(packet)
        encode_mono(out, aout, np.asarray(audio[: int(round(duration * sr))], dtype=np.float32), sr)
    return out_path


def _has_decode_times(path: str | Path, packets: int = 32) -> bool:
    """Whether the first ``packets`` video packets of the file all carry a decoding timestamp."""
    import av

    with av.open(str(path)) as src:
        for i, packet in enumerate(src.demux(src.streams.video[0])):
            if i >= packets:
                break
            if packet.size and packet.dts is None:
                return False
    return True
