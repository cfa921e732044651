"""A photo video cut on the downbeats of a known excerpt finds its music first, with the offset to the frame."""

import numpy as np
import pytest

from recommender import evaluation as ev
from recommender.alignment import Weights, align, load_weights
from recommender.models.crossmodal import load
from recommender.synth.music import make_song
from recommender.synth.photo_video import Habits, MusicEvents, render_video, with_dynamics
from tests.recommender.test_crossmodal import CHECKPOINT

FPS = 25.0
START = 13.37  # seconds into song 1 where the video starts


def photos(seed: int, n: int = 6) -> list[np.ndarray]:
    """Photo-like stills: smooth colour fields with detail at several scales (what a camera pans across)."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        img = np.zeros((360, 640, 3), dtype=np.float32)
        for scale in (4, 16, 64):
            noise = rng.uniform(0, 255, (360 // scale + 1, 640 // scale + 1, 3)).astype(np.float32)
            img += cv2.resize(noise, (640, 360), interpolation=cv2.INTER_CUBIC) / 3
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def downbeat_editor() -> Habits:
    """Cuts on most downbeats and at section changes; brightness follows loudness."""
    return Habits(grid="downbeat", on_grid=0.85, off_grid_rate=0.0, min_shot=1.0, early_frames=0, flash="none",
                  flash_gain=0.0, punch=False, follow=0.8, camera=0.6, shake=0.0, dissolve=0.0, fade=False,
                  fps=FPS, codec="libx264")  # fmt: skip


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """Four songs (given bar dynamics) and a photo video cut on most downbeats of song 1 from 13.37 s."""
    model = load(CHECKPOINT)
    songs = [make_song(seed, max_seconds=45.0) for seed in (3, 8, 21, 34)]
    audio = [with_dynamics(s.audio, s.tempo, s.sr, seed=i) for i, s in enumerate(songs)]
    entries = [ev.music_entry(f"song-{i}", y, s.sr, model) for i, (s, y) in enumerate(zip(songs, audio, strict=True))]
    song, y = songs[1], audio[1]
    bar = 240.0 / song.tempo
    downbeats = np.arange(0.0, len(y) / song.sr, bar)  # the generator's own bars: the truth
    rms = np.sqrt(np.convolve(y**2, np.ones(1024) / 1024, mode="same")[::512])
    loud = 20 * np.log10(rms + 1e-5)
    events = MusicEvents(beats=downbeats, downbeats=downbeats, sections=np.asarray(song.boundaries[1:]),
                         onsets=downbeats, loud_times=np.arange(len(loud)) * 512 / song.sr,
                         loudness=(loud - loud.mean()) / loud.std())  # fmt: skip
    path = tmp_path_factory.mktemp("photo") / "edit.mp4"
    cuts = render_video(path, photos(0), events, downbeat_editor(), np.random.default_rng(0), start=START,
                        seconds=20.0, size=(320, 180))  # fmt: skip
    assert len(cuts) >= 5
    return entries, ev.video_query(path, model, 1, START)


@pytest.fixture(scope="module")
def found(edited):
    entries, query = edited
    return align(query.sequence, [e.sequence for e in entries], weights=Weights.blend(1.0, load_weights()))


@pytest.mark.slow
def test_a_photo_video_cut_on_downbeats_finds_its_music_first(found):
    scores = [a.score for a in found]
    assert int(np.argmax(scores)) == 1, [(round(a.score, 2), a.offset) for a in found]
    assert found[1].onset > 0 and found[1].metre > 0  # its cuts land on the music's events, not off them


@pytest.mark.slow
def test_a_photo_video_cut_on_downbeats_gets_its_offset_to_the_frame(found):
    # A generated song repeats its bars, so the cuts fit bar-shifted offsets alike; the light, which follows the
    # level of these bars and no others, tells them apart (recommender/light.py).
    assert abs(found[1].offset - START) <= 1.0 / FPS, found[1].offset
    assert found[1].light > 0.3, found[1].light


@pytest.mark.slow
def test_evaluation_hands_back_each_querys_rank(edited, found):
    """The benchmark breaks recall down per video (bench/real_media.py, by what the picture carries): the ranks it
    gets back are the ones its summary counts."""
    entries, query = edited
    ranks: dict[str, list[float]] = {}
    results = ev.evaluate_modes(entries, [query], variants={"fitted": ("rigid", Weights.blend(1.0, load_weights()))},
                                ranks_out=ranks)  # fmt: skip
    scores = np.array([a.score for a in found])
    assert ranks["fitted"] == [ev.rank_of(scores, 1)]
    assert results["fitted"]["recall@1"] == float(ranks["fitted"][0] <= 1)
    assert set(ranks) == {"fitted"}  # global modes and the random floor are not alignments
