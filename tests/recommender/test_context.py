import numpy as np

from recommender.context.tagger import LearnedTagger, train_tagger
from recommender.context.tags import CONTEXT_TAGS, TrackTraits, rule_probabilities


def test_rules_follow_tempo_energy_and_mode():
    gym = rule_probabilities(TrackTraits(tempo=128, loudness=-8, minor=False))
    lullaby = rule_probabilities(TrackTraits(tempo=65, loudness=-40, minor=True))
    assert set(gym) == set(CONTEXT_TAGS) and all(0 < p < 1 for p in gym.values())
    assert gym["workout"] > 0.8 and lullaby["workout"] < 0.1
    assert lullaby["sleep"] > 0.8 and gym["sleep"] < 0.1
    assert lullaby["sad"] > gym["sad"] and gym["happy"] > lullaby["happy"]


def test_tagger_learns_a_tag_once_it_has_enough_labels(tmp_path, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    positive = x[:, 0] > 0  # "focus" is whatever has a high first feature
    tagger = train_tagger(x, ["focus"] * 40, positive, min_per_class=5, version=3)
    assert set(tagger.weights) == {"focus"}
    probs = np.array([tagger.predict(row)["focus"] for row in x])
    assert ((probs > 0.5) == positive).mean() > 0.9
    tagger.save(tmp_path / "t.npz")
    again = LearnedTagger.load(tmp_path / "t.npz")
    assert again.version == 3 and np.allclose(again.weights["focus"], tagger.weights["focus"])
    few = train_tagger(x[:6], ["focus"] * 6, positive[:6], min_per_class=5)
    assert few.weights == {}


def test_neighbour_tags_weight_by_similarity_and_ignore_opposites():
    from recommender.context.tags import neighbour_tags

    probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    out = neighbour_tags(np.array([0.9, 0.3, -0.8]), probs)
    assert out.shape == (2,) and np.allclose(out, [0.75, 0.25], atol=1e-5)
