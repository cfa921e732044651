"""bench/drums_listeners.py's variants: a learner judged beside the committed one in the same run, paired by session."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

PATH = Path(__file__).resolve().parents[2] / "bench" / "drums_listeners.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_drums_listeners", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_a_variant_is_bayes_with_config_fields_changed_and_bad_ones_fail_before_any_session(bench):
    assert bench._variant('cluster={"credit_scope": "cluster", "min_distance": 2}') == (
        "cluster",
        {"model": "bayes", "credit_scope": "cluster", "min_distance": 2},
    )
    with pytest.raises(SystemExit):
        bench._variant('bayes={"min_distance": 2}')  # would be confused with the committed learner
    with pytest.raises(TypeError):
        bench._variant('typo={"min_distanse": 2}')


def test_sessions_are_paired_by_seed_whatever_order_they_finished_in(bench):
    by_seed = {
        "bayes": {"t": {3: [True] * 10, 4: [False] * 10}, "u": {3: [False] * 10}},
        "v": {"t": {4: [True] * 5 + [False] * 5, 3: [True] * 10}},
    }
    diff = bench._paired(by_seed, "bayes", "v", ["t", "u"])
    assert sorted(diff.tolist()) == [0.0, 0.5]  # seed 3: 1 - 1; seed 4: 0.5 - 0; "u" has no partner


@pytest.mark.slow
def test_a_variant_that_changes_nothing_plays_the_committed_learners_session(bench):
    taste = bench.AUDIO_TASTES["house_groove"]
    committed, _ = bench.session("bayes", "audio", taste, 5, 4, 0.1)
    same, _ = bench.session("same", "audio", taste, 5, 4, 0.1, {"model": "bayes"})
    assert committed == same
    assert np.asarray(committed).dtype == bool and len(committed) == 4
