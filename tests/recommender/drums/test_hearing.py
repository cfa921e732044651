"""What simulated listeners hear, the critic's band features, tastes drawn on the sound, and the Bayesian critic."""

import numpy as np

from recommender.drums import bands
from recommender.drums.bayes import BayesLogistic
from recommender.drums.hearing import hear
from recommender.drums.kit import synth_kit
from recommender.drums.listeners import AUDIO_TASTES, AudioListener, prior_scalars, random_tastes
from recommender.drums.patterns import CHH, KICK, N_INSTRUMENTS, SNARE, sample_prior
from recommender.drums.render import render


def _house(steps=16) -> np.ndarray:
    p = np.zeros((N_INSTRUMENTS, steps), dtype=np.float32)
    p[KICK, [0, 4, 8, 12]] = 1.0
    p[CHH, [2, 6, 10, 14]] = 0.8
    return p


def test_hearing_finds_the_bands_on_the_grid():
    kit = synth_kit(44100)
    heard = hear(render(_house(), kit, tempo=124.0, swing=0.3), 44100, 124.0)
    low, mid, high = heard.onsets
    assert np.flatnonzero(low).tolist() == [0, 4, 8, 12]
    assert np.flatnonzero(high).tolist() == [2, 6, 10, 14]
    assert not mid.any()  # a kick's click in the mid band is masked by its body
    assert AUDIO_TASTES["house_groove"].likes(heard)
    backbeat = _house()
    backbeat[SNARE, [4, 12]] = 1.0
    heard = hear(render(backbeat, kit, tempo=100.0), 44100, 100.0)
    assert np.flatnonzero(heard.onsets[1]).tolist() == [4, 12] and heard.scalars()["mid_backbeat"] == 2
    assert not AUDIO_TASTES["sparse_half_time"].likes(heard)


def test_hearing_descriptors_follow_the_sound():
    kit = synth_kit(44100)
    sparse, busy = _house(), _house()
    busy[CHH] = 0.7
    busy[KICK, [3, 7, 10, 14]] = 0.8
    a, b = (hear(render(p, kit, tempo=120.0), 44100, 120.0) for p in (sparse, busy))
    assert b.density > a.density and b.syncopation > a.syncopation
    assert b.brightness > a.brightness  # more hats
    no_kick = sparse.copy()
    no_kick[KICK] = 0
    assert hear(render(no_kick, kit, tempo=120.0), 44100, 120.0).low_db < a.low_db - 20


def test_critic_band_features_agree_with_the_listener():
    """The critic's onset flags (computed without rendering) match what a listener hears on the rendered audio."""
    loops = sample_prior(60, np.random.default_rng(5))
    kit = synth_kit(44100)
    heard = np.array([hear(render(p, kit, tempo=120.0), 44100, 120.0).onsets for p in loops])
    feats = bands.hearing_features(loops, bands.band_atoms(synth_kit(16000)))
    soft = feats[:, 48:96].reshape(-1, 3, 16) > 0.5
    assert (soft == heard).mean() > 0.85
    for b in range(3):
        assert soft[:, b][heard[:, b]].mean() > 0.6 and soft[:, b][~heard[:, b]].mean() < 0.25


def test_random_tastes_have_base_rates_in_range_and_every_family():
    kit = synth_kit(44100)
    loops = sample_prior(150, np.random.default_rng(1))
    scalars = prior_scalars([hear(render(p, kit, tempo=120.0), 44100, 120.0) for p in loops])
    tastes = random_tastes(12, scalars, np.random.default_rng(0))
    assert len(tastes) == 12 and {t.family for t in tastes} == {"rhythm", "texture", "sound"}
    for t in tastes:
        assert 0.01 <= t.likes_scalars(scalars).mean() <= 0.30 and 2 <= len(t.rules) <= 3
    assert [str(t) for t in tastes] == [str(t) for t in random_tastes(12, scalars, np.random.default_rng(0))]


def test_audio_listener_noise_flips_answers():
    audio = render(_house(), synth_kit(44100), tempo=120.0)
    listener = AudioListener(AUDIO_TASTES["house_groove"], 0.1, np.random.default_rng(0))
    answers = [listener.rate(audio, 44100, 120.0) for _ in range(150)]
    assert 0.8 < np.mean(answers) < 0.98  # 10 % of 150 answers flipped: 0.9 ± 0.025


def test_bayes_logistic_is_calibrated_and_uncertain_far_from_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 5))
    y = (rng.random(400) < 1 / (1 + np.exp(-(2 * x[:, 0] - 1)))).astype(float)
    model = BayesLogistic(4.0).fit(x[:300], y[:300])
    p, std = model.predict(x[300:])
    for lo, hi in [(0, 0.3), (0.3, 0.7), (0.7, 1.0)]:  # predicted probabilities match observed frequencies
        sel = (p >= lo) & (p < hi)
        assert abs(p[sel].mean() - y[300:][sel].mean()) < 0.15
    assert model.predict(10 * x[300:301])[1][0] > 3 * std.mean()  # far from the data: unsure
    draws = model.sample(rng, 2000)
    assert np.allclose(draws.mean(0), model.mean, atol=0.05)
