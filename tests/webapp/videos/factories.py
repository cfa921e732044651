"""factory_boy factories for videos: READY videos carrying what the video pipeline stores, without running it.

A video from ``VideoFactory`` has its shots (a cut every ``cut_every`` seconds), their colours, an activity curve,
a clip vector and one vector per shot in the shared music–video space (unit-norm float32, ``to_bytes``), and
context tags: what ``analyze_video`` then ``embed_video`` leave behind. Numbers come from the video's ``seed``.
The file is a name only unless ``picture=True``, which writes a real MP4 with those cuts (``write_shot_video``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import factory
import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone

from recommender.context.tags import CONTEXT_TAGS
from tests.media import write_shot_video
from tests.webapp.catalog.factories import rng, unit_vectors
from tests.webapp.core.factories import UserFactory
from webapp.catalog.models import to_bytes
from webapp.videos.models import Video, VideoState

COLOURS, ACTIVITY, TAGS, CLIP_VECTOR, SHOT_VECTORS = range(5)


def mp4_file(o) -> ContentFile:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_shot_video(Path(tmp) / "v.mp4", seconds=o.duration, cut_every=o.cut_every, seed=o.seed)
        return ContentFile(path.read_bytes(), name=f"video-{o.seed}.mp4")


def _shots(o) -> list[list[float]]:
    edges = [*np.arange(0.0, o.duration, o.cut_every), o.duration]
    return [[round(float(a), 3), round(float(b), 3)] for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _tags(o) -> dict[str, float]:
    p = rng(o.seed, TAGS).uniform(0.0, 1.0, len(CONTEXT_TAGS))
    return {tag: round(float(v), 3) for tag, v in sorted(zip(CONTEXT_TAGS, p, strict=True), key=lambda kv: -kv[1])}


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    class Params:
        seed = factory.Sequence(lambda n: n)
        cut_every = 2.0
        picture = factory.Trait(
            file=factory.LazyAttribute(mp4_file),
            size_bytes=factory.LazyAttribute(lambda o: o.file.size),
        )

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    file = factory.LazyAttribute(lambda o: f"videos/factory/video-{o.seed}.mp4")
    original_name = factory.LazyAttribute(lambda o: f"{o.title}.mp4")
    state = VideoState.READY
    analysed_at = factory.LazyFunction(timezone.now)
    duration = 6.0
    width, height, fps, codec = 160, 90, 25.0, "mpeg4"  # what write_shot_video writes
    shots = factory.LazyAttribute(_shots)
    shot_colours = factory.LazyAttribute(
        lambda o: [
            "#" + "".join(f"{c:02x}" for c in rgb) for rgb in rng(o.seed, COLOURS).integers(0, 256, (len(o.shots), 3))
        ]
    )
    activity_hop = 0.25
    activity = factory.LazyAttribute(
        lambda o: [
            round(float(v), 3) for v in rng(o.seed, ACTIVITY).uniform(0.0, 1.0, int(o.duration / o.activity_hop))
        ]
    )
    tags = factory.LazyAttribute(_tags)
    xm_embedding = factory.LazyAttribute(lambda o: to_bytes(unit_vectors(rng(o.seed, CLIP_VECTOR), 1)[0]))
    shot_embeddings = factory.LazyAttribute(lambda o: to_bytes(unit_vectors(rng(o.seed, SHOT_VECTORS), len(o.shots))))
