"""What a listener hears in a rendered loop: band-wise onsets on the 16th-note grid and a few descriptors.

Used by the simulated listeners (``listeners.py``), which get nothing but the audio and the tempo, so that a
taste is defined on the sound and not on Segue's pattern grid. Everything is computed from the waveform:

- the loop is cut into three bands (low < 150 Hz: kicks and toms; mid 150–2,000 Hz: snare bodies, claps, rims;
  high > 2 kHz: hats, cymbals, snare noise) by summing STFT power over bins;
- an onset in a band at a step is a rise of at least ``RISE_DB`` within the first part of that 16th step;
- descriptors: density (onsets in all bands), syncopation (how far off the strong beats the low and mid onsets
  sit), low-end loudness (dBFS), brightness (spectral centroid, Hz) and sustain (how loud the loop stays between
  hits, dB below its peaks: dry loops are low).

The STFT wraps around the loop's end, as the loop does when it plays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BANDS_HZ: tuple[tuple[float, float], ...] = ((20.0, 200.0), (200.0, 4000.0), (4000.0, 24000.0))
BAND_NAMES = ("low", "mid", "high")
RISE_DB = 6.0  # an onset: the band's level rises this much within ~17 ms
FLOOR_DB = 25.0  # rises more than this below the band's loudest frame are not heard (a kick's click in the mid band)
MASK_DB = 8.0
N_FFT = 1024
HOP = 256
# Metrical weight of each 16th (0 = downbeat … 1 = an odd 16th): the higher, the more syncopated a hit there.
METRIC_WEIGHT = np.array([0, 4, 3, 4, 2, 4, 3, 4, 1, 4, 3, 4, 2, 4, 3, 4], dtype=np.float32) / 4


@dataclass(frozen=True)
class Heard:
    """What one loop sounds like. ``onsets``/``strength``: ``(3 bands, n_steps)``; the rest are scalars."""

    onsets: np.ndarray  # bool: a hit heard in that band at that step
    strength: np.ndarray  # dB rise per band and step
    density: int  # onsets in all bands
    syncopation: float  # mean metrical weight of low and mid onsets, 0 (on the downbeat) … 1 (odd 16ths)
    low_db: float  # loudness of the low band, dBFS
    brightness: float  # spectral centroid, Hz
    sustain_db: float  # median frame level minus the 95th percentile, dB (dry: very negative)

    def scalars(self) -> dict[str, float]:
        """Named scalar features, the vocabulary of taste rules."""
        low, mid, high = self.onsets
        quarters, off8 = [0, 4, 8, 12], [2, 6, 10, 14]
        return {
            "low_quarters": float(low[quarters].sum()),
            "low_off_quarters": float(low.sum() - low[quarters].sum()),
            "mid_backbeat": float(mid[[4, 12]].sum()),
            "mid_beat3": float(mid[8]),
            "mid_count": float(mid.sum()),
            "high_offbeat8": float(high[off8].sum()),
            "high_odd16": float(high[1::2].sum()),
            "high_count": float(high.sum()),
            "density": float(self.density),
            "syncopation": self.syncopation,
            "low_db": self.low_db,
            "brightness": self.brightness,
            "sustain_db": self.sustain_db,
        }


def band_levels(audio: np.ndarray, sr: int, *, n_fft: int = N_FFT, hop: int = HOP) -> tuple[np.ndarray, np.ndarray]:
    """Band power in dB ``(3, n_frames)`` at frame centres ``k * hop`` (windows wrap), and the mean spectrum."""
    audio = np.asarray(audio, dtype=np.float32)
    n_frames = int(np.ceil(audio.size / hop))
    idx = (np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :] - n_fft // 2) % audio.size
    power = np.abs(np.fft.rfft(audio[idx] * np.hanning(n_fft)[None, :], axis=1)) ** 2  # (frames, bins)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    bands = np.stack([power[:, (freqs >= lo) & (freqs < hi)].sum(1) for lo, hi in BANDS_HZ])
    return 10 * np.log10(bands + 1e-10), power.mean(0)


def hear(audio: np.ndarray, sr: int, tempo: float, *, n_steps: int | None = None) -> Heard:
    """Listen to one cycle of a loop at ``tempo`` BPM (16th-note steps); swing up to 0.75 is tolerated."""
    audio = np.asarray(audio, dtype=np.float32)
    step = 60.0 / tempo / 4
    n_steps = n_steps or max(1, int(round(audio.size / sr / step)))
    db, spectrum = band_levels(audio, sr)
    lag = 3
    rise = db - np.roll(db, lag, axis=1)  # dB rise over ~17 ms at 44.1 kHz
    audible = db > db.max(axis=1, keepdims=True) - FLOOR_DB
    # Masking: a rise in the mid or high band is not heard as its own hit when the band beneath rises with it and
    # is much louder (a kick's click spills into the mid band, a snare's body into the low band's top).
    # The band beneath is taken at its loudest over the next ~17 ms: a low body builds up more slowly than a click.
    beneath = np.max([np.roll(db[:-1], -k, axis=1) for k in range(lag + 1)], axis=0)
    beneath_rise = np.max([np.roll(rise[:-1], -k, axis=1) for k in range(lag + 1)], axis=0)
    audible[1:] &= (db[1:] >= beneath - MASK_DB) | (beneath_rise < RISE_DB)
    rise = np.where(audible, rise, 0.0)
    frame_t = np.arange(db.shape[1]) * HOP / sr
    strength = np.zeros((len(BANDS_HZ), n_steps), dtype=np.float32)
    for s in range(n_steps):  # the first part of the step (a swung odd 16th lands up to 0.375 steps late)
        window = (frame_t >= (s - 0.1) * step) & (frame_t < (s + 0.45) * step)
        if s == 0:
            window |= frame_t >= (n_steps - 0.1) * step
        strength[:, s] = rise[:, window].max(axis=1) if window.any() else 0.0
    onsets = strength >= RISE_DB
    weights = np.resize(METRIC_WEIGHT, n_steps)
    low_mid = onsets[:2]
    syncopation = float((low_mid * weights).sum() / low_mid.sum()) if low_mid.any() else 0.0
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sr)
    total = 10 * np.log10(10 ** (db / 10).sum(0) + 1e-10)
    total = np.maximum(total, total.max() - 80.0)  # silence between hits reads as 80 dB below the peaks
    scale = (np.hanning(N_FFT) ** 2).sum() * N_FFT / 2  # so that a full-scale sine reads about 0 dBFS
    return Heard(
        onsets=onsets,
        strength=strength,
        density=int(onsets.sum()),
        syncopation=syncopation,
        low_db=float(10 * np.log10(10 ** (db[0] / 10).mean() / scale + 1e-10)),
        brightness=float((freqs * spectrum).sum() / max(spectrum.sum(), 1e-10)),
        sustain_db=float(np.median(total) - np.percentile(total, 95)),
    )
