"""Videos whose timestamps do not start at 0 (MPEG-TS, camera files, clips cut without re-encoding).

Their time 0 is where the timeline starts: a flash one second in is found one second in, and a preview puts the
music's first sample under the first frame, whatever the container.
"""

from fractions import Fraction

import numpy as np
import pytest

from recommender.media import load_audio
from recommender.mux import mux_soundtrack
from recommender.video import decode_frames

FPS, FLASH, SECONDS, LEAD = 25, 1.0, 3.0, 2.0  # frames per second, flash time, length, where timestamps start (s)
SR = 22050


def late_start_video(path, fmt: str):
    """A dim clip with one white frame at ``FLASH`` s, its timestamps starting at ``LEAD`` s."""
    import av

    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(int(SECONDS * FPS)):
            img = np.full((96, 160, 3), 255 if i == int(FLASH * FPS) else 40, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = int(LEAD * FPS) + i, Fraction(1, FPS)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(params=[("mp4", "mp4"), ("matroska", "mkv"), ("mpegts", "ts")], ids=["mp4", "mkv", "mpegts"])
def video(request, tmp_path):
    fmt, suffix = request.param
    return late_start_video(tmp_path / f"late.{suffix}", fmt)


def test_times_are_measured_from_the_start_of_the_timeline(video):
    frames = decode_frames(video)
    assert frames.times[0] == pytest.approx(0.0, abs=1e-6)
    assert frames.duration == pytest.approx(SECONDS, abs=0.05)
    signals = frames.signals
    assert signals.times[int(np.argmax(signals.brightness))] == pytest.approx(FLASH, abs=1e-6)


def test_a_preview_keeps_picture_and_music_in_time(video, tmp_path):
    music = np.zeros(int(4 * SR), dtype=np.float32)
    music[int(FLASH * SR) : int(FLASH * SR) + 200] = 0.9  # a click where the flash is
    out = mux_soundtrack(video, tmp_path / "preview.mp4", music, SR)
    frames, heard = decode_frames(out), load_audio(out, sr=SR, allow_silent=True)
    flash = frames.signals.times[int(np.argmax(frames.signals.brightness))]
    click = np.argmax(np.abs(heard)) / SR
    assert flash == pytest.approx(FLASH, abs=1e-6) and click == pytest.approx(FLASH, abs=0.01)
    assert len(frames.signals.times) == int(SECONDS * FPS)  # every frame kept, the keyframe included
    assert len(heard) / SR == pytest.approx(SECONDS, abs=0.05)  # the music cut to the picture
