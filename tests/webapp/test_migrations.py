"""Data migrations, run forwards on rows made with the state before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


def _state_at(app: str, migration: str):
    """Migrate ``app`` back to ``migration``; the historical models there."""
    executor = MigrationExecutor(connection)
    executor.migrate([(app, migration)])
    return executor.loader.project_state([(app, migration)]).apps


def _latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps


@pytest.mark.django_db(transaction=True)
def test_old_loudness_curves_get_the_block_length_they_were_analysed_with() -> None:
    Track = _state_at("catalog", "0008_track_visible_index").get_model("catalog", "Track")
    analysed = Track.objects.create(title="old", energy=[-20.0, -18.0], energy_hop=0.5, analysed_at=timezone.now())
    pending = Track.objects.create(title="not analysed yet", energy_hop=0.5)
    Track = _latest().get_model("catalog", "Track")
    assert Track.objects.get(pk=analysed.pk).energy_hop == pytest.approx(0.510839, abs=1e-6)
    assert Track.objects.get(pk=pending.pk).energy_hop == 0.5


@pytest.mark.django_db(transaction=True)
def test_old_activity_curves_get_the_quarter_second_they_were_sampled_at() -> None:
    apps = _state_at("videos", "0003_preview_fit")
    owner = apps.get_model("auth", "User").objects.create(username="editor")
    Video = apps.get_model("videos", "Video")
    video = Video.objects.create(owner=owner, file="videos/a.mp4", activity=[0.1, 0.2, 0.3], activity_hop=0.24)
    assert _latest().get_model("videos", "Video").objects.get(pk=video.pk).activity_hop == 0.25
