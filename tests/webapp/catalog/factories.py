"""factory_boy factories for the catalog: READY tracks carrying what the pipeline stores, without running it.

A track from ``TrackFactory`` has its analysis (tempo, beats, downbeats, key, loudness, energy curve, waveform),
its sections (rows, each with an audio and a shared-space vector), its track vectors, its downbeat-aligned
segments with their shared-space vectors, rule tags, and is in the FAISS indexes: what ``analyze_track`` then
``embed_track`` leave behind. Every number comes from the track's ``seed`` (a factory sequence by default), each
field from its own stream, so overriding one field never changes another. Vectors are unit-norm float32, stored
with the model's ``to_bytes``. The file is a name only unless ``audio=True``, which writes a real WAV: clicks on
the track's beats, ``duration`` seconds long.
"""

from __future__ import annotations

import hashlib
import io

import factory
import numpy as np
import soundfile as sf
from django.core.files.base import ContentFile
from django.utils import timezone

from recommender.analysis import ANALYSIS_VERSION
from recommender.segments import music_segments
from tests.media import SR, click_track
from webapp.catalog.indexes import DIM, index_track
from webapp.catalog.models import Section, Track, TrackState, to_bytes
from webapp.catalog.tagging import assign_tags

KEYS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
LABELS = "ABAC"  # the letters of successive sections: a form like verse, chorus, verse, bridge

# One random stream per field: np.random.default_rng([seed, stream]).
(TEMPO, KEY, MODE, LOUDNESS, ENERGY, WAVEFORM, VECTOR, XM_VECTOR, SECTION_VECTORS, XM_SECTION_VECTORS,
 SEGMENT_VECTORS) = range(11)  # fmt: skip


# TrackFactory's declarations that are not Track fields: _build and _create take them out.
EXTRA = ("seed", "crossmodal", "bars_per_section", "sections", "tagged", "indexed")


def rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def unit_vectors(generator: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    """``n`` random unit vectors, float32, shape ``(n, dim)``."""
    v = generator.standard_normal((n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to unit norm, float32: e.g. a cluster centre plus noise, as a track vector."""
    v = np.asarray(v, dtype=np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def wav_file(o) -> ContentFile:
    buf = io.BytesIO()
    sf.write(buf, 0.5 * click_track(bpm=o.tempo, seconds=o.duration), SR, format="WAV")
    return ContentFile(buf.getvalue(), name=f"track-{o.seed}.wav")


def _beats(o) -> list[float]:
    return [round(float(t), 3) for t in np.arange(0.0, o.duration, 60.0 / o.tempo)]


def _section_spans(o) -> list[tuple[float, float, str]]:
    """(start, end, label): a new section every ``bars_per_section`` downbeats, the first from 0."""
    starts = [0.0] + [float(t) for t in o.downbeats[o.bars_per_section :: o.bars_per_section] if t < o.duration]
    ends = starts[1:] + [float(o.duration)]
    return [(a, b, LABELS[i % len(LABELS)]) for i, (a, b) in enumerate(zip(starts, ends, strict=True))]


def _segments(o) -> list[list[float]]:
    if not o.crossmodal:
        return []
    spans = music_segments(o.duration, o.downbeats, [a for a, _, _ in o.sections[1:]])
    return [[round(a, 3), round(b, 3)] for a, b in spans]


def _energy(o) -> list[float]:
    n = max(1, int(o.duration / o.energy_hop))
    return [round(float(v), 2) for v in o.loudness + 3.0 * rng(o.seed, ENERGY).standard_normal(n)]


class TrackFactory(factory.django.DjangoModelFactory):
    """A READY track of the shared catalog (``owner=None``), or private to ``owner``.

    Beyond the model's fields: ``seed`` (every number and vector), ``crossmodal`` (False: no shared-space vectors,
    as when no cross-modal model existed), ``bars_per_section``, ``sections`` (``[(start, end, label), …]``;
    ``[]`` for none), ``tagged`` and ``indexed`` (default: when READY), and the ``audio`` trait.
    """

    class Meta:
        model = Track

    class Params:
        audio = factory.Trait(
            file=factory.LazyAttribute(wav_file),
            size_bytes=factory.LazyAttribute(lambda o: o.file.size),
        )

    seed = factory.Sequence(lambda n: n)
    crossmodal = True
    bars_per_section = 8
    owner = None
    shared = factory.LazyAttribute(lambda o: o.owner is None)
    public = False
    title = factory.Sequence(lambda n: f"Track {n}")
    artist = "Factory Band"
    file = factory.LazyAttribute(lambda o: f"tracks/factory/track-{o.seed}.wav")
    original_name = factory.LazyAttribute(lambda o: f"{o.artist} - {o.title}.wav")
    content_hash = factory.Sequence(lambda n: hashlib.sha256(f"factory track {n}".encode()).hexdigest())
    state = TrackState.READY
    analysed_at = factory.LazyFunction(timezone.now)
    analysis_version = ANALYSIS_VERSION  # analysed by today's code; 0 for a stale track
    # Analysis
    duration = 180.0
    tempo = factory.LazyAttribute(lambda o: round(float(rng(o.seed, TEMPO).uniform(70.0, 160.0)), 2))
    key = factory.LazyAttribute(lambda o: KEYS[int(rng(o.seed, KEY).integers(len(KEYS)))])
    mode = factory.LazyAttribute(lambda o: ("major", "minor")[int(rng(o.seed, MODE).integers(2))])
    key_confidence = 0.8
    loudness = factory.LazyAttribute(lambda o: round(float(rng(o.seed, LOUDNESS).uniform(-30.0, -8.0)), 2))
    beats = factory.LazyAttribute(_beats)
    downbeats = factory.LazyAttribute(lambda o: o.beats[::4])
    energy_hop = 0.5
    energy = factory.LazyAttribute(_energy)
    waveform = factory.LazyAttribute(
        lambda o: [round(float(v), 3) for v in rng(o.seed, WAVEFORM).uniform(0.05, 0.9, 600)]
    )
    sections = factory.LazyAttribute(_section_spans)
    # Embeddings
    embedding = factory.LazyAttribute(lambda o: to_bytes(unit_vectors(rng(o.seed, VECTOR), 1)[0]))
    embedding_model = "audio_encoder.pt"
    xm_embedding = factory.LazyAttribute(
        lambda o: to_bytes(unit_vectors(rng(o.seed, XM_VECTOR), 1)[0]) if o.crossmodal else None
    )
    segments = factory.LazyAttribute(_segments)
    xm_segments = factory.LazyAttribute(
        lambda o: to_bytes(unit_vectors(rng(o.seed, SEGMENT_VECTORS), len(o.segments))) if o.segments else None
    )
    tagged = factory.LazyAttribute(lambda o: o.state == TrackState.READY)
    indexed = factory.LazyAttribute(lambda o: o.state == TrackState.READY)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        for name in EXTRA:
            kwargs.pop(name)
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        extra = {name: kwargs.pop(name) for name in EXTRA}
        track = super()._create(model_class, *args, **kwargs)
        spans, seed = extra["sections"], extra["seed"]
        vecs = unit_vectors(rng(seed, SECTION_VECTORS), len(spans))
        xm_vecs = unit_vectors(rng(seed, XM_SECTION_VECTORS), len(spans))
        Section.objects.bulk_create([
            Section(track=track, index=i, start=a, end=b, label=label, embedding=to_bytes(v),
                    xm_embedding=to_bytes(x) if extra["crossmodal"] else None)
            for i, ((a, b, label), v, x) in enumerate(zip(spans, vecs, xm_vecs, strict=True))
        ])  # fmt: skip
        if extra["tagged"]:  # as the pipeline tags: rules until a tagger is trained
            assign_tags(track)
        if extra["indexed"]:  # in every FAISS index, as a READY track is
            index_track(track)
        return track
