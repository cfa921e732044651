"""Training clips edited from photographs to real music: picture and sound of one excerpt, ready to train on."""

import json

import numpy as np
import pytest
import soundfile as sf

from recommender.media import load_audio
from recommender.synth.music import make_song
from recommender.synth.photo_corpus import PHOTO_SUFFIXES, find_files, make_photo_clip, usable_music
from recommender.synth.photo_video import SR
from recommender.training.crossmodal import load_clip
from tests.recommender.test_photo_alignment import photos


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    import cv2

    root = tmp_path_factory.mktemp("sources")
    (root / "music").mkdir()
    (root / "photos" / "deeper").mkdir(parents=True)
    song = make_song(7, max_seconds=70.0)
    sf.write(root / "music" / "song.wav", song.audio, song.sr)
    sf.write(root / "music" / "jingle.wav", song.audio[: 10 * song.sr], song.sr)  # too short to edit to
    (root / "music" / "notes.txt").write_text("not music")
    for i, img in enumerate(photos(3, n=4)):
        cv2.imwrite(str(root / "photos" / ("deeper" if i % 2 else ".") / f"p{i}.png"), img[..., ::-1])
    return root


def test_only_music_long_enough_and_photographs_are_taken(sources):
    music = usable_music(find_files([sources / "music"], {".wav", ".txt"}))
    assert [p.name for p in music] == ["song.wav"]
    assert len(find_files([sources / "photos"], PHOTO_SUFFIXES)) == 4  # subfolders included


@pytest.mark.slow
def test_a_clip_carries_the_excerpt_its_picture_was_cut_to(sources, tmp_path):
    music = [str(sources / "music" / "song.wav")]
    stills = [str(p) for p in find_files([sources / "photos"], PHOTO_SUFFIXES)]
    name = make_photo_clip(11, tmp_path, music, stills)
    clip, meta = tmp_path / name, json.loads((tmp_path / name).with_suffix(".json").read_text())
    assert meta["seed"] == 11 and 20.0 <= meta["seconds"] <= 40.0

    # The sound is the source from ``source_start`` on, for as long as the picture lasts.
    heard = load_audio(clip, sr=SR)
    source = load_audio(sources / "music" / "song.wav", sr=SR)
    assert abs(len(heard) / SR - meta["seconds"]) < 0.2
    a = int(meta["source_start"] * SR)
    probe = heard[SR : 6 * SR]
    assert abs(_best_lag(probe, source, a + SR)) < 0.06  # AAC's priming delay at most
    assert _match(probe, source[a + SR :]) > 0.9
    assert _match(probe, source[a + 11 * SR :]) < 0.5  # the same song five seconds on is not what plays

    training = load_clip(clip)  # what the trainer reads: picture features and log-mel of the same seconds
    assert abs(len(training.feats) / 4.0 - meta["seconds"]) < 0.5
    before = clip.stat().st_mtime_ns
    assert make_photo_clip(11, tmp_path, music, stills) == name and clip.stat().st_mtime_ns == before  # made once


def _best_lag(probe: np.ndarray, source: np.ndarray, at: int, reach: float = 0.1) -> float:
    """Seconds by which ``probe`` is found later in ``source`` than at sample ``at``, within ±``reach``."""
    from scipy.signal import correlate

    pad = int(reach * SR)
    window = source[at - pad : at + len(probe) + pad]
    return (int(np.argmax(correlate(window, probe, mode="valid", method="fft"))) - pad) / SR


def _match(probe: np.ndarray, source: np.ndarray, reach: float = 0.1) -> float:
    """Highest correlation of ``probe`` with ``source`` starting within ``reach`` seconds of its start."""
    pad = int(reach * SR)
    lag = int(round(_best_lag(probe, np.concatenate([np.zeros(pad), source]), pad, reach) * SR))
    start = max(0, lag)
    return float(np.corrcoef(probe, source[start : start + len(probe)])[0, 1])
