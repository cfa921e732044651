"""The factories make what the pipelines store: checked here once, so tests built on them can trust them."""

import numpy as np
import pytest

from recommender.context.tags import CONTEXT_TAGS
from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.drums.factories import DrumLoopFactory
from tests.webapp.listening.factories import ListenFactory
from tests.webapp.videos.factories import VideoFactory
from webapp.catalog.indexes import section_index, track_index, xm_section_index, xm_track_index
from webapp.catalog.models import Track, TrackState

pytestmark = pytest.mark.django_db


def test_a_ready_track_carries_analysis_sections_vectors_tags_and_index_entries():
    track = TrackFactory()
    assert track.state == TrackState.READY and track.shared and track.owner is None
    assert 70 <= track.tempo <= 160 and track.key and track.mode in ("major", "minor")
    assert track.beats[0] == 0 and track.downbeats == track.beats[::4] and len(track.waveform) == 600
    assert len(track.energy) == int(track.duration / track.energy_hop)
    sections = list(track.sections.all())
    assert len(sections) >= 2 and sections[0].start == 0 and sections[-1].end == track.duration
    assert all(a.end == b.start for a, b in zip(sections, sections[1:], strict=False))
    assert {s.start for s in sections[1:]} <= set(track.downbeats)
    vectors = [track.vector, np.frombuffer(bytes(track.xm_embedding), np.float32)]
    vectors += [np.frombuffer(bytes(s.embedding), np.float32) for s in sections]
    vectors += [np.frombuffer(bytes(s.xm_embedding), np.float32) for s in sections]
    vectors += list(np.frombuffer(bytes(track.xm_segments), np.float32).reshape(len(track.segments), -1))
    for v in vectors:
        assert v.dtype == np.float32 and v.shape == (128,) and np.isclose(np.linalg.norm(v), 1.0, atol=1e-5)
    assert track.segments[0][0] == 0 and track.segments[-1][1] == track.duration
    assert {t.tag for t in track.tags.all()} == set(CONTEXT_TAGS)
    assert all(t.source == "rule" for t in track.tags.all())
    assert len(track_index()) == len(xm_track_index()) == 1
    assert len(section_index()) == len(xm_section_index()) == len(sections)
    assert track_index().search(track.vector[None], 1)[0][0].id == track.pk


def test_tracks_are_deterministic_per_seed_and_differ_between_seeds():
    a, b, c = TrackFactory(seed=7), TrackFactory(seed=7), TrackFactory(seed=8)
    assert a.tempo == b.tempo and a.embedding == b.embedding and a.xm_segments == b.xm_segments
    assert a.tempo != c.tempo and a.embedding != c.embedding
    assert TrackFactory(seed=7, tempo=100.0).embedding == a.embedding  # one field overridden, the rest unchanged


def test_track_options_no_crossmodal_unindexed_with_audio(settings):
    bare = TrackFactory(crossmodal=False, indexed=False, state=TrackState.FAILED, sections=[])
    assert bare.xm_embedding is None and bare.segments == [] and bare.xm_segments is None
    assert not bare.sections.exists() and not bare.tags.exists() and len(track_index()) == 0
    heard = TrackFactory(audio=True, duration=5.0, tempo=120.0)
    assert heard.file.path.endswith(".wav") and heard.size_bytes == heard.file.size > 0
    import soundfile as sf

    y, sr = sf.read(heard.file.path)
    assert len(y) == 5 * sr and Track.objects.count() == 2


def test_a_ready_video_carries_shots_activity_and_vectors():
    video = VideoFactory(duration=7.0)
    assert video.state == "ready" and video.shots == [[0, 2], [2, 4], [4, 6], [6, 7]]
    assert len(video.shot_colours) == 4 and len(video.activity) == 28 and set(video.tags) == set(CONTEXT_TAGS)
    assert video.shot_vectors.shape == (4, 128) and video.vector.shape == (128,)
    assert np.allclose(np.linalg.norm(video.shot_vectors, axis=1), 1.0, atol=1e-5)
    with_picture = VideoFactory(picture=True, duration=4.0, owner=video.owner)
    from recommender.video import probe_video

    assert abs(probe_video(with_picture.file.path).duration - 4.0) < 0.2


def test_listens_and_drum_loops():
    listen = ListenFactory(action="like")
    assert listen.track.state == TrackState.READY and listen.user.username.startswith("user")
    first, second = DrumLoopFactory(), None
    second = DrumLoopFactory(session=first.session)
    assert (first.index, second.index) == (0, 1) and first.rating is None
    assert set(first.pattern) >= {"kick", "snare"} and len(first.pattern["kick"]) == 16
