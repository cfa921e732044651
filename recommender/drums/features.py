"""Log-mel features of rendered loops, computed for a thousand candidates in milliseconds.

Rendering is linear in the hits, and mel *power* is close to additive across hits (phase cross-terms
average out over a band), so the mel power of a loop is ``sum over hits of velocity² × atom(instrument, step)``,
where an atom is the mel power of one one-shot rendered alone at that step (tails wrapped as in the loop).
Frames are step-synchronous (``frames_per_step`` per 16th), so features do not depend on the tempo's frame count.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from recommender.drums.kit import Kit
from recommender.drums.patterns import INSTRUMENTS
from recommender.drums.render import loop_seconds, step_times

N_MELS = 20
FRAMES_PER_STEP = 1
FEATURE_SR = 16000
EPS = 1e-4


def mel_power(audio: np.ndarray, sr: int, *, n_frames: int, n_mels: int = N_MELS) -> np.ndarray:
    """Mel power spectrogram ``(n_mels, n_frames)`` of one cycle of a looping signal (windows wrap around)."""
    import librosa

    hop = audio.size / n_frames
    n_fft = 1024
    centers = (np.arange(n_frames) * hop).astype(int)
    idx = (centers[:, None] + np.arange(n_fft)[None, :] - n_fft // 2) % audio.size
    frames = audio[idx] * np.hanning(n_fft)[None, :]
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mel = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=30, fmax=sr / 2)
    return (mel @ power.T).astype(np.float32)


def _resampled(kit: Kit, sr: int) -> dict[str, np.ndarray]:
    if kit.sr == sr:
        return kit.samples
    from math import gcd

    from scipy import signal

    g = gcd(kit.sr, sr)
    return {k: signal.resample_poly(v, sr // g, kit.sr // g).astype(np.float32) for k, v in kit.samples.items()}


@lru_cache(maxsize=32)
def _atoms_cached(kit_key: tuple, kit: Kit, n_steps: int, tempo: float, swing: float) -> np.ndarray:
    samples = _resampled(kit, FEATURE_SR)
    length = int(round(loop_seconds(n_steps, tempo) * FEATURE_SR))
    starts = np.round(step_times(n_steps, tempo, swing) * FEATURE_SR).astype(int)
    n_frames = n_steps * FRAMES_PER_STEP
    atoms = np.zeros((len(INSTRUMENTS), n_steps, N_MELS, n_frames), dtype=np.float32)
    for i, name in enumerate(INSTRUMENTS):
        base = np.zeros(length, dtype=np.float32)
        sample = samples[name][:length]
        np.add.at(base, np.arange(sample.size) % length, sample)
        spec0 = mel_power(base, FEATURE_SR, n_frames=n_frames)
        for s in range(n_steps):
            # Shifting the one-shot by whole frames is exact; the rest of the offset is rendered.
            whole, rest = divmod(starts[s], length / n_frames)
            if rest < 1:
                atoms[i, s] = np.roll(spec0, int(whole), axis=1)
            else:
                atoms[i, s] = mel_power(np.roll(base, starts[s]), FEATURE_SR, n_frames=n_frames)
    return atoms


def atoms(kit: Kit, *, n_steps: int = 16, tempo: float = 120.0, swing: float = 0.0) -> np.ndarray:
    """Mel-power atoms ``(n_instruments, n_steps, N_MELS, n_steps * FRAMES_PER_STEP)``; cached per kit/tempo/swing."""
    return _atoms_cached(kit.key(), kit, n_steps, round(float(tempo), 2), round(float(swing), 3))


def log_mel(patterns: np.ndarray, atom_bank: np.ndarray) -> np.ndarray:
    """Log-mel of loops ``(n, I, S)`` → ``(n, N_MELS, frames)`` (natural log of power + EPS)."""
    n, n_inst, n_steps = patterns.shape
    weights = (patterns.astype(np.float32) ** 2).reshape(n, n_inst * n_steps)
    power = weights @ atom_bank.reshape(n_inst * n_steps, -1)
    return np.log(power + EPS).reshape(n, atom_bank.shape[2], atom_bank.shape[3])
