import pytest

from webapp.catalog import indexes


@pytest.fixture(autouse=True)
def media_dirs(settings, tmp_path):
    """Media, indexes and the tagger in a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.INDEX_DIR = tmp_path / "indexes"
    settings.TAGGER_PATH = tmp_path / "models" / "tagger.npz"
    caches = [indexes.track_index, indexes.section_index, indexes.xm_track_index, indexes.xm_section_index]
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


@pytest.fixture
def pipeline(monkeypatch, transactional_db):
    """Run queued jobs as their transaction commits, in this process, through the real task bodies."""
    from webapp.core import jobs

    monkeypatch.setattr(jobs, "send", lambda job_id, task: task.apply(args=[job_id], throw=True))
