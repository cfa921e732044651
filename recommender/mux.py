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
            fmt = astream.codec_context.format.name
            step = 1024
            pts = 0
            for start in range(0, len(audio), step):
                chunk = np.ascontiguousarray(audio[start : start + step].astype(np.float32)[None, :])
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp" if fmt == "fltp" else "flt", layout="mono")
                frame.sample_rate = sr
                frame.pts = pts
                pts += chunk.shape[1]
                for packet in astream.encode(frame):
                    out.mux(packet)
            for packet in astream.encode(None):
                out.mux(packet)
    return path
