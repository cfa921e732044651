"""The power and log-mel spectrograms every audio feature starts from, in numpy.

numpy, not torch: the analysis runs in every ``cpu``-queue worker child, and importing torch there costs ~180 MB
of resident memory per process for an FFT numpy does as fast (issue 17: same values within 3e-7 of the peak).
"""

from __future__ import annotations

import numpy as np

N_FFT = 2048
HOP = 512
SR = 22050  # the models' sample rate (Hz)
N_MELS = 64  # the audio encoder's input bands
FRAMES_PER_BLOCK = 1024  # STFT frames transformed at once (bounds the temporary copy: ~8 MB at n_fft 2048)


def _hann(n_fft: int) -> np.ndarray:
    """Periodic Hann window ``(n_fft,)`` (``scipy.signal.get_window('hann', n_fft)``, torch's ``hann_window``)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


def power_spectrogram(y: np.ndarray, *, n_fft: int = N_FFT, hop_length: int = HOP) -> np.ndarray:
    """``|STFT|²`` of mono ``y``, shape ``(1 + n_fft // 2, 1 + len(y) // hop_length)``, float32.

    Centred frames with zero padding and a periodic Hann window, as ``librosa.stft(pad_mode="constant")`` and
    ``torch.stft`` (same values within 1e-6 of the peak).
    """
    from numpy.lib.stride_tricks import sliding_window_view

    x = np.pad(np.asarray(y, dtype=np.float32).ravel(), n_fft // 2)
    if len(x) < n_fft:  # shorter than one frame: still the one centred frame
        x = np.pad(x, (0, n_fft - len(x)))
    frames = sliding_window_view(x, n_fft)[::hop_length]
    window = _hann(n_fft)
    out = np.empty((n_fft // 2 + 1, len(frames)), dtype=np.float32)
    for i in range(0, len(frames), FRAMES_PER_BLOCK):
        s = np.fft.rfft(frames[i : i + FRAMES_PER_BLOCK] * window, axis=1)
        out[:, i : i + FRAMES_PER_BLOCK] = (s.real**2 + s.imag**2).T
    return out


def log_mel(y: np.ndarray, sr: int = SR, *, power: np.ndarray | None = None) -> np.ndarray:
    """The audio encoder's input ``(N_MELS, frames)``: log-compressed mel power, hop 512 at 22,050 Hz (~43 frames/s).

    Pass ``power`` (an STFT power spectrogram with n_fft 2048, hop 512) to reuse an analysis STFT. Here rather
    than in ``recommender.models.audio_encoder`` so that the analysis computes it without importing torch.
    """
    import librosa

    if power is None:
        power = power_spectrogram(y, n_fft=N_FFT, hop_length=HOP)
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=N_MELS, fmin=30, fmax=sr / 2)
    return np.log1p(100.0 * mel).astype(np.float32)
