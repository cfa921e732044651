import numpy as np
import pytest

from recommender.media import MediaError, load_audio, probe, title_artist
from tests.media import click_track, write_audio, write_av, write_video_only


@pytest.mark.parametrize("ext,codec", [("wav", None), ("flac", None), ("ogg", None), ("mp3", "mp3"), ("m4a", "aac")])
def test_formats_decode_to_mono_at_analysis_rate(tmp_path, ext, codec):
    y = click_track(seconds=4, sr=44100)
    path = tmp_path / f"x.{ext}"
    write_av(path, y, 44100, codec=codec) if codec else write_audio(path, y, 44100)
    audio = load_audio(path, sr=22050)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / 22050 - 4.0) < 0.1


def test_audio_track_of_a_video(tmp_path):
    path = write_av(tmp_path / "clip.mp4", click_track(seconds=3), codec="aac", video=True)
    assert abs(len(load_audio(path)) / 22050 - 3.0) < 0.1


def test_bad_inputs_have_clear_errors(tmp_path):
    (tmp_path / "notes.mp3").write_text("this is not audio at all " * 100)
    with pytest.raises(MediaError, match="not a readable audio or video file"):
        load_audio(tmp_path / "notes.mp3")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        load_audio(tmp_path / "empty.wav")
    write_audio(tmp_path / "silent.wav", np.zeros(22050 * 2, dtype=np.float32))
    with pytest.raises(MediaError, match="silent"):
        load_audio(tmp_path / "silent.wav")
    with pytest.raises(MediaError, match="no audio stream"):
        load_audio(write_video_only(tmp_path / "mute.mp4"))
    write_audio(tmp_path / "long.wav", click_track(seconds=12))
    with pytest.raises(MediaError, match="longer than the limit of 10 s"):
        load_audio(tmp_path / "long.wav", max_seconds=10)


def test_truncated_compressed_file_keeps_what_decodes(tmp_path):
    full = write_av(tmp_path / "full.mp3", click_track(seconds=6), codec="mp3")
    data = full.read_bytes()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    audio = load_audio(tmp_path / "cut.mp3")
    assert 1.5 < len(audio) / 22050 < 4.5


def test_truncated_to_header_only_is_an_error(tmp_path):
    full = write_audio(tmp_path / "full.wav", click_track(seconds=2))
    (tmp_path / "head.wav").write_bytes(full.read_bytes()[:60])
    with pytest.raises(MediaError):
        load_audio(tmp_path / "head.wav")


def test_title_artist_from_tags_or_name(tmp_path):
    assert title_artist("x/Daft Punk - Around the World.mp3", {}) == ("Around the World", "Daft Punk")
    assert title_artist("x/track_01.wav", {}) == ("track 01", "")
    assert title_artist("x/a.mp3", {"title": "T", "artist": "A"}) == ("T", "A")
    assert probe(write_audio(tmp_path / "p.wav", click_track(seconds=2))).duration == pytest.approx(2.0, abs=0.01)


def test_a_surround_mix_is_as_loud_as_the_same_music_in_mono(tmp_path):
    """Channels are averaged on every decoding path (FFmpeg's own mono downmix sums a 5.1 mix's channels)."""
    import av

    sr = 44100
    tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(3 * sr) / sr)).astype(np.float32)
    paths = {}
    for layout, channels in (("mono", 1), ("5.1", 6)):
        path = paths[layout] = tmp_path / f"{layout}.m4a"
        with av.open(str(path), "w") as out:
            stream = out.add_stream("aac", rate=sr)
            stream.layout = layout
            for start in range(0, len(tone), 1024):
                chunk = np.ascontiguousarray(np.repeat(tone[None, start : start + 1024], channels, axis=0))
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
                frame.sample_rate, frame.pts = sr, start
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
    mono, surround = (load_audio(paths[k], sr=22050) for k in ("mono", "5.1"))
    assert probe(paths["5.1"]).channels == 6
    rms = [float(np.sqrt(np.mean(y[2205:-2205] ** 2))) for y in (mono, surround)]
    assert rms[0] == pytest.approx(0.2 / np.sqrt(2), rel=0.1)
    assert 0.75 * rms[0] < rms[1] < 1.1 * rms[0]  # 5/6 of it: the encoder keeps only the bass in the LFE channel
