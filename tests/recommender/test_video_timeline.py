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


def test_a_preview_copies_the_picture_where_it_can(tmp_path):
    """VP9 in WebM keeps its packets (no re-encoding); H.264 in Matroska, whose first packets lack their decoding
    time, is re-encoded rather than losing its keyframe."""
    import av

    from recommender.mux import _has_decode_times

    vp9 = tmp_path / "clip.webm"
    with av.open(str(vp9), "w") as out:
        stream = out.add_stream("libvpx-vp9", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(25):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((96, 160, 3), 10 * i, np.uint8))):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    mkv = late_start_video(tmp_path / "late.mkv", "matroska")
    assert _has_decode_times(vp9) and not _has_decode_times(mkv)
    out = mux_soundtrack(vp9, tmp_path / "preview.mp4", np.zeros(SR, dtype=np.float32), SR)
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "vp9"  # copied, not re-encoded
    assert len(decode_frames(out).signals.times) == 25
