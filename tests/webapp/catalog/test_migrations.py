"""Data migrations of the catalog app, run forwards on rows made with the state before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


@pytest.mark.django_db(transaction=True)
def test_old_loudness_curves_get_the_block_length_they_were_analysed_with() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("catalog", "0008_track_visible_index")])
    old = executor.loader.project_state([("catalog", "0008_track_visible_index")]).apps
    Track = old.get_model("catalog", "Track")
    analysed = Track.objects.create(title="old", energy=[-20.0, -18.0], energy_hop=0.5, analysed_at=timezone.now())
    pending = Track.objects.create(title="not analysed yet", energy_hop=0.5)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps.get_model("catalog", "Track")
    assert new.objects.get(pk=analysed.pk).energy_hop == pytest.approx(0.510839, abs=1e-6)
    assert new.objects.get(pk=pending.pk).energy_hop == 0.5
