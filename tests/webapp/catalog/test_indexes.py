"""visible_neighbours: the nearest tracks a user may see, k of them even when many nearer ones are not visible."""

import numpy as np
import pytest

from recommender.index import VectorIndex
from webapp.catalog.indexes import visible_neighbours
from webapp.catalog.models import Track, TrackState

pytestmark = pytest.mark.django_db

DIM = 8


def _track(owner, name: str, **kwargs) -> Track:
    return Track.objects.create(owner=owner, title=name, content_hash=name, file=f"{name}.wav", state=TrackState.READY,
                                **kwargs)  # fmt: skip


def _towards(query: np.ndarray, cosine: float, rng) -> np.ndarray:
    """A unit vector at the given cosine from the unit vector ``query``."""
    other = rng.normal(size=DIM)
    other -= other.dot(query) * query
    other /= np.linalg.norm(other)
    return (cosine * query + np.sqrt(1 - cosine**2) * other).astype(np.float32)


def test_it_returns_k_when_many_invisible_neighbours_come_first(tmp_path, user, other_user):
    rng = np.random.default_rng(0)
    query = np.eye(DIM, dtype=np.float32)[0]
    # 300 tracks nearer than any visible one, all private to another user: far more than one search pass fetches.
    hidden = [_track(other_user, f"hidden{i}") for i in range(300)]
    visible = [_track(user, f"mine{i}") for i in range(3)] + [_track(None, f"shared{i}", shared=True) for i in range(3)]
    cosines = {t.pk: 0.99 - 0.0001 * i for i, t in enumerate(hidden)}
    cosines |= {t.pk: 0.9 - 0.1 * i for i, t in enumerate(visible)}
    index = VectorIndex(tmp_path / "tracks.faiss", dim=DIM)
    index.upsert(np.array(list(cosines)), np.stack([_towards(query, c, rng) for c in cosines.values()]))

    found = visible_neighbours(index, query, Track.objects.visible_to(user), 5)

    assert [t.pk for t, _ in found] == [t.pk for t in visible[:5]]
    assert [s for _, s in found] == pytest.approx([cosines[t.pk] for t in visible[:5]], abs=1e-4)
    # Fewer visible than k: all of them, once the whole index has been searched.
    assert len(visible_neighbours(index, query, Track.objects.visible_to(user), 50)) == len(visible)
    assert visible_neighbours(index, query, Track.objects.visible_to(user).filter(shared=True), 2)[0][0] == visible[3]
