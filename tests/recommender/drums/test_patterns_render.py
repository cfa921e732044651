import numpy as np
import pytest
import soundfile as sf

from recommender.drums import features
from recommender.drums.kit import classify_sample, load_kit, synth_kit
from recommender.drums.patterns import (
    INSTRUMENTS,
    KICK,
    SNARE,
    crossover,
    from_dict,
    hamming,
    mutate,
    sample_prior,
    to_dict,
)  # fmt: skip
from recommender.drums.render import from_midi_bytes, loop_seconds, render, step_times, to_midi_bytes


def test_prior_is_varied_and_plausible():
    loops = sample_prior(2000, np.random.default_rng(0))
    assert loops.shape == (2000, len(INSTRUMENTS), 16) and loops.min() >= 0 and loops.max() <= 1
    hits = loops > 0
    assert 0.5 < hits[:, KICK, 0].mean() <= 1  # most loops start on a kick
    assert hits[:, SNARE, [4, 12]].all(axis=1).mean() > 0.3  # backbeat is common, not universal
    assert hits[:, SNARE, [4, 12]].all(axis=1).mean() < 0.9
    counts = hits.sum(axis=(1, 2))
    assert 8 < counts.mean() < 35 and counts.std() > 3
    unique = {h.tobytes() for h in hits}
    assert len(unique) > 1900  # varied


def test_mutation_is_a_small_edit_and_crossover_takes_rows_from_parents():
    rng = np.random.default_rng(1)
    a, b = sample_prior(200, rng), sample_prior(200, rng)
    m = mutate(a, rng, rate=0.02)
    dist = np.diag(hamming(a, m))
    assert 0 < dist.mean() < 8
    child = crossover(a, b, rng)
    from_a = (child == a).all(axis=2)
    from_b = (child == b).all(axis=2)
    assert (from_a | from_b).all()


def test_pattern_dict_round_trip_and_errors():
    p = sample_prior(1, np.random.default_rng(2))[0]
    assert np.allclose(from_dict(to_dict(p)), p, atol=1e-3)
    with pytest.raises(ValueError, match="unknown instruments"):
        from_dict({"cowbell": [1.0] * 16})
    with pytest.raises(ValueError, match="expected 16 steps"):
        from_dict({"kick": [1.0] * 16, "snare": [0.0] * 8})


@pytest.mark.parametrize("tempo", [60.0, 97.0, 120.0, 174.0])
def test_render_has_exact_loop_length(tempo):
    kit = synth_kit(44100)
    p = sample_prior(1, np.random.default_rng(3))[0]
    audio = render(p, kit, tempo=tempo, swing=0.3)
    assert audio.size == round(16 * 60 / tempo / 4 * 44100) == round(loop_seconds(16, tempo) * 44100)
    assert np.abs(audio).max() <= 0.9 + 1e-6 and np.abs(audio).max() > 0.05


def test_render_wraps_tails_for_seamless_looping():
    kit = synth_kit(44100)
    p = np.zeros((len(INSTRUMENTS), 16), dtype=np.float32)
    p[INSTRUMENTS.index("cymbal"), 15] = 1.0  # a long cymbal on the last step rings into the next repeat
    audio = render(p, kit, tempo=180.0)
    assert np.abs(audio[:1000]).max() > 0.05  # its tail is heard at the start of the loop


def test_swing_delays_odd_steps():
    t = step_times(16, 120.0, swing=0.5)
    step = 60 / 120 / 4
    assert t[0] == 0 and np.isclose(t[1], step + 0.25 * step) and np.isclose(t[2], 2 * step)


def test_kit_from_wav_folder_is_used(tmp_path):
    sr = 22050
    tone = 0.8 * np.sin(2 * np.pi * 3000 * np.arange(int(0.2 * sr)) / sr).astype(np.float32)
    sf.write(tmp_path / "My Kick 01.wav", tone, sr)
    sf.write(tmp_path / "notes.txt.wav", tone, sr)  # not a drum name: ignored
    kit, used = load_kit(tmp_path, sr=44100)
    assert used == {"kick": "My Kick 01.wav"}
    assert kit.samples["kick"].size == int(0.2 * 44100)
    p = np.zeros((len(INSTRUMENTS), 16), dtype=np.float32)
    p[KICK, 0] = 1.0
    audio = render(p, kit, tempo=120.0)
    spectrum = np.abs(np.fft.rfft(audio[: int(0.2 * 44100)]))
    peak_hz = np.argmax(spectrum) * 44100 / int(0.2 * 44100)
    assert abs(peak_hz - 3000) < 30  # the imported sample, not the built-in kick (~50 Hz)


def test_kit_folder_without_drums_is_a_clear_error(tmp_path):
    sf.write(tmp_path / "speech.wav", np.zeros(100, dtype=np.float32), 8000)
    with pytest.raises(ValueError, match="no drum one-shots recognised"):
        load_kit(tmp_path)


@pytest.mark.parametrize(
    "name,inst",
    [("Kick.wav", "kick"), ("SD_01.flac", "snare"), ("Hat Closed.wav", "closed_hat"), ("hihat-open.wav", "open_hat"),
     ("Tom Low.wav", "low_tom"), ("tom_hi.wav", "high_tom"), ("Crash.wav", "cymbal"), ("rim shot.wav", "rim")],
)  # fmt: skip
def test_sample_names_map_to_instruments(name, inst):
    assert classify_sample(name) == inst


def test_midi_round_trips_pattern_and_tempo():
    p = sample_prior(1, np.random.default_rng(4))[0]
    back, tempo = from_midi_bytes(to_midi_bytes(p, tempo=97.0, swing=0.4))
    assert tempo == 97.0
    assert np.array_equal(back > 0, p > 0)
    assert np.abs(back - p).max() <= 1 / 127


def test_additive_log_mel_matches_rendered_audio():
    kit = synth_kit(features.FEATURE_SR)
    loops = sample_prior(5, np.random.default_rng(5))
    fast = features.log_mel(loops, features.atoms(kit, tempo=110.0, swing=0.2))
    for loop, approx in zip(loops, fast, strict=True):
        audio = render(loop, kit, tempo=110.0, swing=0.2)
        exact = np.log(features.mel_power(audio, features.FEATURE_SR, n_frames=approx.shape[1]) + features.EPS)
        assert np.corrcoef(exact.ravel(), approx.ravel())[0, 1] > 0.95
