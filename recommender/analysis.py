"""Music structure from audio: tempo, beats, downbeats, sections, an energy curve, key and mode.

One STFT feeds everything (onsets, timbre, harmony, loudness), so analysis costs a small multiple of
decoding. Sections come from Foote novelty on a beat-synchronous self-similarity matrix of timbre and
harmony features, with boundaries snapped to downbeats (editors cut on downbeats and section changes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.spectral import HOP, N_FFT, power_spectrogram

ONSET_LATENCY = 1.0  # STFT frames between an onset and the peak of its spectral flux (centred frames)
ANALYSIS_VERSION = 5  # bump when what ``analyze`` returns changes; tracks analysed earlier are stale
# Between two tempo octaves the comb cannot tell apart, the faster reading is the safer: its beats include every
# beat of the slower one (a cut on either lands on a beat), while a half-tempo reading loses every other beat. A
# prior centred on 140 BPM, one octave wide, breaks such ties that way (bench/analysis_annotated.py, 56 scored
# pieces: tempo right 0.768 -> 0.857, half-tempo readings 0.143 -> 0.018, double 0.018 -> 0.054).
TEMPO_PRIOR_BPM = 140.0
KEY_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl–Kessler key profiles.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass
class Section:
    start: float  # seconds
    end: float  # seconds
    label: str  # sections with the same letter sound alike


@dataclass
class TrackAnalysis:
    duration: float
    tempo: float  # BPM
    beats: list[float]  # seconds
    downbeats: list[float]  # seconds
    sections: list[Section]
    energy: list[float]  # loudness in dB, one value every ``energy_hop`` seconds
    energy_hop: float
    key: str
    mode: str  # "major" or "minor"
    key_confidence: float
    mean_energy: float = 0.0  # mean of the energy curve, dB
    onset_envelope: np.ndarray | None = None  # (frames,) spectral flux, 0..1 (float32), one per ``onset_hop``
    onset_hop: float = 0.0  # seconds per onset-envelope frame (HOP / sr, about 23 ms)
    loudness: np.ndarray | None = None  # (frames,) level in dB (float32) per STFT frame, one per ``onset_hop``


@dataclass
class Spectra:
    """What one STFT of a track gives; reused by analysis and the embedding model."""

    sr: int
    power: np.ndarray  # (1 + N_FFT/2, frames)
    mel_db: np.ndarray  # (128, frames)

    @property
    def frame_rate(self) -> float:
        return self.sr / HOP


def spectra(y: np.ndarray, sr: int) -> Spectra:
    import librosa

    power = power_spectrogram(y, n_fft=N_FFT, hop_length=HOP)
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=128)
    return Spectra(sr, power, librosa.power_to_db(mel, ref=np.max, top_db=80.0))


def analyze(y: np.ndarray, sr: int, *, spec: Spectra | None = None, energy_hop: float = 0.5) -> TrackAnalysis:
    """Analyse mono audio ``y`` (float, ``sr`` Hz)."""
    import librosa

    spec = spec or spectra(y, sr)
    duration = len(y) / sr
    onset_env = librosa.onset.onset_strength(S=spec.mel_db, sr=sr, hop_length=HOP)
    tempo = global_tempo(onset_env, spec.frame_rate)
    _, beat_frames = librosa.beat.beat_track(onset_envelope=onset_env, sr=sr, hop_length=HOP, bpm=tempo, trim=False)
    beat_frames = np.asarray(beat_frames, dtype=int)
    beat_frames = beat_frames[beat_frames < spec.mel_db.shape[1] - 1]  # the last frame is half past the end
    if beat_frames.size >= 8:
        # The beat grid gives a finer tempo than the autocorrelation: the mean of the consistent gaps
        # (gaps are whole frames, so a median would be off by up to half a frame).
        gaps = np.diff(beat_frames).astype(float)
        steady = gaps[np.abs(gaps - np.median(gaps)) <= 0.15 * np.median(gaps)]
        tempo = 60.0 * spec.frame_rate / float(steady.mean())
    # The spectral flux of centred frames peaks about one frame after the onset that causes it (a click: 22-28 ms).
    frame_times = np.maximum(0.0, librosa.frames_to_time(beat_frames, sr=sr, hop_length=HOP) - ONSET_LATENCY * HOP / sr)
    beats = refine_onsets(frame_times, y, sr)
    chroma = librosa.feature.chroma_stft(S=spec.power, sr=sr, tuning=0.0)  # tuning estimation costs more than all else
    downbeats = beats[downbeat_phase(beat_frames, spec, chroma) :: 4] if beats.size else beats
    sections = _sections(spec, chroma, beat_frames, downbeats, duration)
    energy, mean_energy = _energy(spec, energy_hop)
    key, mode, conf = estimate_key(chroma)
    return TrackAnalysis(
        duration=round(duration, 3), tempo=round(tempo, 2), beats=_r(beats), downbeats=_r(downbeats),
        sections=sections, energy=energy, energy_hop=energy_hop, key=key, mode=mode, key_confidence=conf,
        mean_energy=mean_energy, onset_envelope=normalise_envelope(onset_env), onset_hop=HOP / sr,
        loudness=frame_loudness(spec),
    )  # fmt: skip


def normalise_envelope(env: np.ndarray) -> np.ndarray:
    """Onset strength ``(frames,)`` scaled to 0..1 by its 99th percentile, so tracks compare (float32).

    The alignment matches a video's cuts and flashes against this curve at its full resolution.
    """
    env = np.asarray(env, dtype=np.float32)
    top = float(np.percentile(env, 99)) if env.size else 0.0
    return np.clip(env / top, 0.0, 1.0).astype(np.float32) if top > 1e-9 else np.zeros_like(env)


def refine_onsets(times: np.ndarray, y: np.ndarray, sr: int, *, radius: float = 0.045, hop: int = 64) -> np.ndarray:
    """Move each time to the steepest energy rise within ``radius`` seconds (a ~3 ms envelope).

    Beat trackers work on STFT frames (23 ms here), and onset envelopes peak up to a frame late.
    """
    if len(times) == 0 or len(y) < 4 * hop:
        return np.asarray(times)
    n = len(y) // hop
    energy = (y[: n * hop].astype(np.float64).reshape(n, hop) ** 2).sum(axis=1)
    rise = np.diff(10 * np.log10(energy + 1e-10), prepend=0.0)
    width = int(radius * sr / hop)
    out = np.array(times, dtype=float)
    for i, t in enumerate(times):
        c = int(t * sr / hop)
        lo, hi = max(1, c - width), min(n, c + width + 1)
        if hi - lo < 2:
            continue
        j = lo + int(np.argmax(rise[lo:hi]))
        if rise[j] > 6.0:  # a real onset (6 dB jump in 3 ms); else keep the tracker's time
            out[i] = (j * hop) / sr
    return out


def global_tempo(
    onset_env: np.ndarray,
    frame_rate: float,
    *,
    prior_bpm: float = TEMPO_PRIOR_BPM,
    prior_octaves: float = 1.0,
    multiples: tuple[float, ...] = (1.0, 0.5, 0.5, 0.5),
    subdivision: float = 0.5,
) -> float:
    """Tempo (BPM) from one autocorrelation of the whole onset envelope: a metrical comb, weighted by a prior.

    A beat period is periodic at its multiples too (2, 3, 4 beats: the bar) and is usually split in two (eighth
    notes), so each candidate period ``L`` scores ``sum_k multiples[k-1] * acf(k L) + subdivision * acf(L / 2)``
    (normalised autocorrelation), times a log-normal prior around ``prior_bpm``. The lag of the single highest
    peak alone often lands on a syncopated 1.5-beat figure (3 + 3 + 2 sixteenths): a tempo at 2/3 of the
    true one, whose beats fall between the music's. librosa's estimate builds a windowed tempogram over every
    frame; one global autocorrelation costs a fraction of it, and the beat tracker then follows the drift.
    """
    x = onset_env - onset_env.mean()
    n = 1 << int(np.ceil(np.log2(2 * len(x))))
    spectrum = np.fft.rfft(x, n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), n)[: len(x)]
    lags = np.arange(max(1, int(frame_rate * 60 / 300)), min(len(acf) - 2, int(frame_rate * 60 / 30)))  # 30-300
    if lags.size == 0 or acf[0] <= 0 or not np.any(acf[lags] > 0):
        return prior_bpm
    acf = acf / acf[0]

    def at(lag: np.ndarray) -> np.ndarray:  # the peak within a frame of a (fractional) lag; 0 past the end
        i = np.round(lag).astype(int)
        inside = i < len(acf) - 1
        i = np.clip(i, 1, len(acf) - 2)
        return np.where(inside, np.maximum(np.maximum(acf[i - 1], acf[i]), acf[i + 1]), 0.0)

    score = sum(w * at(k * lags) for k, w in enumerate(multiples, start=1)) + subdivision * at(lags / 2)
    bpm = 60.0 * frame_rate / lags
    weight = np.exp(-0.5 * (np.log2(bpm / prior_bpm) / prior_octaves) ** 2)
    return float(bpm[np.argmax(np.maximum(score, 0.0) * weight)])


def _r(times: np.ndarray) -> list[float]:
    return [round(float(t), 3) for t in times]


def downbeat_phase(beat_frames: np.ndarray, spec: Spectra, chroma: np.ndarray, meter: int = 4) -> int:
    """Which beat of ``meter`` starts the bar (0..meter-1): the phase where the harmony changes most (from the beat
    before to the beat after, and from the half bar before to the half bar after) and, less, the bass comes in."""
    if beat_frames.size < meter * 2:
        return 0
    low = spec.mel_db[:16]  # below ~300 Hz: kick and bass
    bass_flux = np.maximum(0, np.diff(low, axis=1, prepend=low[:, :1])).sum(axis=0)
    window = 3  # frames around each beat
    bass_at = np.array([bass_flux[max(0, f - window) : f + window + 1].max() for f in beat_frames])
    cues = (
        (0.5, bass_at),
        (1.0, beat_change(chroma, beat_frames)),
        (1.0, span_contrast(chroma, beat_frames, beats=max(1, meter // 2))),
    )
    score_per_beat = sum(w * c / (c.std() + 1e-9) for w, c in cues)
    phases = [score_per_beat[p::meter].mean() for p in range(meter)]
    return int(np.argmax(phases))


def span_contrast(features: np.ndarray, beat_frames: np.ndarray, *, beats: int = 2) -> np.ndarray:
    """Distance between the unit-norm mean ``features`` ``(d, frames)`` over the ``beats`` beats before each beat and
    over the ``beats`` beats from it, ``(len(beat_frames),)``; 0 where either side is empty."""
    n = len(beat_frames)
    edges = np.r_[0, beat_frames, features.shape[1]].astype(int)  # beat i starts at edges[i + 1]
    sums = np.cumsum(np.pad(features, ((0, 0), (1, 0))), axis=1)
    i = np.arange(n)
    a, m, b = edges[np.maximum(0, i + 1 - beats)], edges[i + 1], edges[np.minimum(n + 1, i + 1 + beats)]
    ok = (m > a) & (b > m)
    before = (sums[:, m] - sums[:, a]) / np.maximum(1, m - a)
    after = (sums[:, b] - sums[:, m]) / np.maximum(1, b - m)
    before /= np.linalg.norm(before, axis=0, keepdims=True) + 1e-9
    after /= np.linalg.norm(after, axis=0, keepdims=True) + 1e-9
    return np.where(ok, np.linalg.norm(after - before, axis=0), 0.0)


def beat_change(features: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """How much ``features`` ``(d, frames)`` change at each beat: the distance between the medians over the beat
    before and the beat after it, ``(len(beat_frames),)``.

    Index i is the change *at* beat i (a one-off index would credit each change to the beat after it).
    """
    edges = np.r_[0, beat_frames, features.shape[1]].astype(int)
    spans = [features[:, a:b] if b > a else features[:, min(a, features.shape[1] - 1)][:, None]
             for a, b in zip(edges[:-1], edges[1:], strict=True)]  # fmt: skip
    medians = np.stack([np.median(s, axis=1) for s in spans], axis=1)  # (d, beats + 1): before beat 0, after each
    return np.linalg.norm(np.diff(medians, axis=1), axis=0)[: len(beat_frames)]


def _sections(
    spec: Spectra, chroma: np.ndarray, beat_frames: np.ndarray, downbeats: np.ndarray, duration: float
) -> list[Section]:
    import librosa

    # Units: beats when the track has a beat grid, else half-second frames.
    if beat_frames.size >= 16:
        units = beat_frames
    else:
        units = np.arange(0, spec.mel_db.shape[1], max(1, int(spec.frame_rate / 2)))
    mfcc = librosa.feature.mfcc(S=spec.mel_db, n_mfcc=14)[1:]
    feats = np.vstack([
        librosa.util.normalize(librosa.util.sync(mfcc, units, aggregate=np.mean), axis=0),
        librosa.util.normalize(librosa.util.sync(chroma, units, aggregate=np.mean), axis=0),
    ])  # fmt: skip
    unit_times = librosa.frames_to_time(np.r_[0, units], sr=spec.sr, hop_length=HOP)[: feats.shape[1]]
    novelty = foote_novelty(feats, kernel=min(32, max(8, feats.shape[1] // 6)))
    peaks = _peaks(novelty, min_gap=max(16 if units is beat_frames else 8, feats.shape[1] // 24))  # >= 4 bars
    bounds = sorted({float(unit_times[p]) for p in peaks if 0 < p < len(unit_times)})
    if len(downbeats):
        bounds = sorted({float(downbeats[np.argmin(np.abs(downbeats - b))]) for b in bounds})
    bounds = [b for b in bounds if 2.0 < b < duration - 2.0]
    edges = [0.0, *bounds, duration]
    edges = [e for i, e in enumerate(edges) if i == 0 or e - edges[i - 1] >= 2.0 or e == duration]
    labels = _label_segments(feats, unit_times, edges)
    return [Section(round(a, 3), round(b, 3), lab) for a, b, lab in zip(edges[:-1], edges[1:], labels, strict=True)]


def foote_novelty(features: np.ndarray, *, kernel: int = 16) -> np.ndarray:
    """Foote's novelty curve: a Gaussian-tapered checkerboard kernel slid along the self-similarity diagonal.

    ``features`` ``(d, n)`` → novelty ``(n,)``, high where the music before and after differ.
    """
    x = features / (np.linalg.norm(features, axis=0, keepdims=True) + 1e-9)
    ssm = x.T @ x
    half = kernel // 2
    idx = np.arange(-half, half)
    taper = np.exp(-0.5 * ((idx + 0.5) / (0.5 * half)) ** 2)
    checker = np.outer(np.sign(idx + 0.5), np.sign(idx + 0.5)) * np.outer(taper, taper)
    n = ssm.shape[0]
    padded = np.pad(ssm, half, mode="edge")
    # All windows along the diagonal at once: (n, kernel, kernel) strided view.
    size = 2 * half
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size))[np.arange(n), np.arange(n)]
    return np.maximum(0, (windows * checker).sum(axis=(1, 2)))


def _peaks(curve: np.ndarray, *, min_gap: int) -> list[int]:
    """Local maxima above an adaptive threshold (median + std), at least ``min_gap`` apart, strongest first."""
    if curve.size < 3 or not np.any(curve > 0):
        return []
    threshold = np.median(curve) + curve.std()
    order = np.argsort(curve)[::-1]
    chosen: list[int] = []
    for i in order:
        if curve[i] < threshold:
            break
        is_peak = 0 < i < curve.size - 1 and curve[i] >= curve[i - 1] and curve[i] >= curve[i + 1]
        if is_peak and all(abs(i - j) >= min_gap for j in chosen):
            chosen.append(int(i))
    return sorted(chosen)


def _label_segments(feats: np.ndarray, unit_times: np.ndarray, edges: list[float]) -> list[str]:
    """Letters by similarity: a segment close to an earlier one (cosine > 0.9) reuses its letter."""
    means = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        mask = (unit_times >= a) & (unit_times < b)
        m = feats[:, mask].mean(axis=1) if mask.any() else np.zeros(feats.shape[0])
        means.append(m / (np.linalg.norm(m) + 1e-9))
    labels: list[str] = []
    letters: list[tuple[str, np.ndarray]] = []
    for m in means:
        match = next((lab for lab, ref in letters if float(m @ ref) > 0.9), None)
        if match is None:
            match = chr(ord("A") + len(letters)) if len(letters) < 26 else "Z"
            letters.append((match, m))
        labels.append(match)
    return labels


def frame_loudness(spec: Spectra) -> np.ndarray:
    """Level in dB of every STFT frame ``(frames,)`` float32: the beat-to-beat loudness that light can follow
    (``recommender.light``), at the onset envelope's resolution."""
    rms = np.sqrt(spec.power.sum(axis=0) / (N_FFT / 2 + 1) ** 2 * 2)
    return (20 * np.log10(np.maximum(rms, 1e-5))).astype(np.float32)


def _energy(spec: Spectra, hop_seconds: float) -> tuple[list[float], float]:
    """Loudness (dB) of consecutive blocks of exactly ``hop_seconds``, and its mean.

    Blocks take the frames whose centres fall in ``[k, k + 1) · hop_seconds``. A whole number of frames per
    block (22 frames of 23.2 ms for 0.5 s) would drift 2 % from the times the curve is read at: 2 s into a
    90-s track, enough to lose every loudness match with a picture.
    """
    rms = np.sqrt(spec.power.sum(axis=0) / (N_FFT / 2 + 1) ** 2 * 2)
    block = (np.arange(rms.size) / spec.frame_rate / hop_seconds).astype(int)
    n = int(rms.size / spec.frame_rate / hop_seconds)
    if n == 0:
        return [], -80.0
    keep = block < n
    blocks = np.sqrt(np.bincount(block[keep], rms[keep] ** 2, minlength=n) / np.bincount(block[keep], minlength=n))
    db = 20 * np.log10(np.maximum(blocks, 1e-5))
    return [round(float(v), 2) for v in db], round(float(db.mean()), 2)


def estimate_key(chroma: np.ndarray) -> tuple[str, str, float]:
    """Key, mode and a confidence (correlation margin) by Krumhansl–Kessler profile matching."""
    profile = chroma.mean(axis=1)
    if not np.any(profile):
        return "C", "major", 0.0
    scores = []
    for mode, ref in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            scores.append((np.corrcoef(profile, np.roll(ref, tonic))[0, 1], tonic, mode))
    scores.sort(reverse=True)
    best, second = scores[0], scores[1]
    return KEY_NAMES[best[1]], best[2], round(float(best[0] - second[0]), 4)
