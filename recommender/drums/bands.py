"""The critic's ears: band-wise onsets on the 16th grid for a thousand candidate loops in a millisecond.

What a person hears in a drum loop is mostly *which band hits where*: a low thump on the beat, a bright tick on
the off-beat, a mid crack on 2 and 4, and how much rings between hits. :mod:`recommender.drums.hearing` measures
that on real audio; here the same quantities are computed for many loops at once without rendering them.
Band power is close to additive across hits, so a loop's power in band ``b`` over an interval is
``sum over hits of velocity² × atom(instrument, step, b, interval)``, where an atom is the power of one one-shot
(rendered alone at that step, its tail wrapped as in the loop) in that band and interval. Each step has three
intervals from its (swung) onset: the attack (first 1/8), the body (next 3/8) and the end (second half).

Features per loop (all from those powers, plus the pattern grid): onset strength per band and step
(attack level minus the end of the previous step, in dB), a soft "heard" flag of it, attack levels, per-band soft onset
counts, syncopation, per-band loudness, brightness and sustain, and per-band soft onset counts at each level of the
4/4 metre (downbeat, beat 3, the backbeats 2 and 4, all quarters, off-beat 8ths, odd 16ths, everything off the
quarters): a listener hears "the low end hits every beat" or "the hats sit on the off-beats" as one thing, whichever
step a single hit is on, so one rating of a loop that drops a hat teaches the critic about every off-beat.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from recommender.drums.features import FEATURE_SR, _resampled
from recommender.drums.hearing import BANDS_HZ, METRIC_WEIGHT, RISE_DB
from recommender.drums.kit import Kit
from recommender.drums.patterns import INSTRUMENTS
from recommender.drums.render import loop_seconds, step_times

N_BANDS = len(BANDS_HZ)
PARTS = 3  # intervals per step: attack, body, end
EPS = 1e-7
# Steps (within a bar of 16) of each metrical level; a loop of more steps repeats them every bar.
METRE: dict[str, tuple[int, ...]] = {
    "downbeat": (0,),
    "beat3": (8,),
    "backbeat": (4, 12),
    "quarters": (0, 4, 8, 12),
    "offbeat8": (2, 6, 10, 14),
    "odd16": tuple(range(1, 16, 2)),
    "off_quarters": tuple(s for s in range(16) if s % 4),
}


def _band_power(x: np.ndarray, sr: int) -> np.ndarray:
    """Instantaneous power of ``x`` in each band, ``(N_BANDS, len(x))`` (circular FFT band split)."""
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1.0 / sr)
    out = np.empty((N_BANDS, x.size), dtype=np.float64)
    for b, (lo, hi) in enumerate(BANDS_HZ):
        out[b] = np.fft.irfft(np.where((freqs >= lo) & (freqs < hi), spec, 0), n=x.size) ** 2
    return out


@lru_cache(maxsize=32)
def _atoms_cached(kit_key: tuple, kit: Kit, n_steps: int, tempo: float, swing: float) -> np.ndarray:
    sr = FEATURE_SR
    samples = _resampled(kit, sr)
    length = int(round(loop_seconds(n_steps, tempo) * sr))
    starts = np.round(step_times(n_steps, tempo, swing) * sr).astype(int)
    ends = np.append(starts[1:], length)
    width = ends - starts
    # Per step: the attack (first 1/8), the body (next 3/8) and the end (second half).
    edges = np.concatenate([np.stack([starts, starts + width // 8, starts + width // 2], axis=1).ravel(), [length]])
    atoms = np.zeros((len(INSTRUMENTS), n_steps, N_BANDS, PARTS * n_steps), dtype=np.float32)
    for i, name in enumerate(INSTRUMENTS):
        base = np.zeros(length, dtype=np.float64)
        sample = samples[name][: 4 * length]
        np.add.at(base, np.arange(sample.size) % length, sample)
        power = _band_power(base, sr)
        cum = np.concatenate([np.zeros((N_BANDS, 1)), np.cumsum(np.concatenate([power, power], axis=1), axis=1)], 1)
        for s in range(n_steps):
            a = (edges[:-1] - starts[s]) % length  # interval starts relative to the hit, in [0, length)
            width = np.diff(edges)
            atoms[i, s] = (cum[:, a + width] - cum[:, a]) / np.maximum(width, 1)
    return atoms


def band_atoms(kit: Kit, *, n_steps: int = 16, tempo: float = 120.0, swing: float = 0.0) -> np.ndarray:
    """Mean band power per interval of one hit: ``(n_instruments, n_steps, N_BANDS, PARTS * n_steps)``; cached."""
    return _atoms_cached(kit.key(), kit, n_steps, round(float(tempo), 2), round(float(swing), 3))


def band_levels(patterns: np.ndarray, atoms: np.ndarray) -> np.ndarray:
    """Band level in dB per interval for loops ``(n, I, S)`` → ``(n, N_BANDS, PARTS * S)``."""
    n, n_inst, n_steps = patterns.shape
    weights = (np.asarray(patterns, dtype=np.float32) ** 2).reshape(n, n_inst * n_steps)
    power = weights @ atoms.reshape(n_inst * n_steps, -1)
    return 10 * np.log10(np.maximum(power, 0) + EPS).reshape(n, atoms.shape[2], atoms.shape[3])


def metre_masks(n_steps: int) -> np.ndarray:
    """``(len(METRE), n_steps)`` float32: which steps belong to each metrical level."""
    steps = np.arange(n_steps) % 16
    return np.stack([np.isin(steps, list(v)) for v in METRE.values()]).astype(np.float32)


def feature_groups(n_steps: int) -> list[str]:
    """The group of each column of :func:`hearing_features`: onset, heard, attack, summary, metre."""
    g = N_BANDS * n_steps
    return (
        ["onset"] * g
        + ["heard"] * g
        + ["attack"] * g
        + ["summary"] * (3 * N_BANDS + 2)
        + ["metre"] * (N_BANDS * len(METRE))
    )


def hearing_features(patterns: np.ndarray, atoms: np.ndarray) -> np.ndarray:
    """What the critic hears, ``(n, 3 * N_BANDS * S + 3 * N_BANDS + 2 + N_BANDS * len(METRE))`` float32 (see the
    module docstring; :func:`feature_groups` names the columns' groups)."""
    n, _, n_steps = patterns.shape
    levels = band_levels(patterns, atoms)
    attack, tail = levels[:, :, 0::PARTS], levels[:, :, PARTS - 1 :: PARTS]
    onset = np.maximum(attack - np.roll(tail, 1, axis=2), 0.0)  # rise from the end of the previous step
    audible = attack > attack.max(axis=2, keepdims=True) - 25.0
    heard = 1.0 / (1.0 + np.exp(-(onset - RISE_DB) / 1.5)) * audible
    counts = heard.sum(axis=2)  # (n, bands)
    weights = np.resize(METRIC_WEIGHT, n_steps)
    low_mid = heard[:, :2].sum(axis=1)
    syncopation = (low_mid * weights).sum(1) / (low_mid.sum(1) + 1e-3)
    power = 10 ** (levels / 10)
    loudness = 10 * np.log10(power.mean(axis=2) + EPS)  # (n, bands)
    brightness = loudness[:, 2] - 10 * np.log10(power.sum(axis=1).mean(axis=1) + EPS)
    sustain = (tail - attack).mean(axis=2)  # (n, bands): how much still rings in the second half of a step
    metre = heard @ metre_masks(n_steps).T  # (n, bands, levels): soft onset counts per band and metrical level
    return np.concatenate(
        [
            onset.reshape(n, -1) / 10,
            heard.reshape(n, -1),
            attack.reshape(n, -1) / 10,
            counts / 4,
            syncopation[:, None],
            loudness / 10,
            brightness[:, None] / 10,
            sustain / 10,
            metre.reshape(n, -1) / 2,
        ],
        axis=1,
    ).astype(np.float32)
