"""Finding where a reference excerpt comes from: short-passage vectors and offset voting.

A track is cut into ``BLOCK``-second blocks, each described by its mean chroma (harmony, 12-d, each frame scaled
to its loudest pitch class, so gain does not matter) and its mean MFCC 1–12 (timbre, c0 — the level — left out).
A *passage* is ``SPAN`` consecutive blocks (2 s), its vector the blocks' features side by side, centred and
unit-norm: ``(SPAN * 24,)``. Every passage of every catalog track goes into a FAISS index (id = track id and block).

A reference of a few seconds or more gives its own passages (at four sub-block phases, so its grid need not line
up with the catalog's); each one's nearest catalog passages vote for a (track, offset) pair, offset = where the
reference would start in that track. The pair with the most similarity wins, as landmark fingerprinting does with
hash matches (Wang 2003) — but on features that survive re-encoding, gain and noise, not exact peaks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from recommender.spectral import HOP

BLOCK = 0.5  # seconds per block
SPAN = 4  # blocks per passage (2 s)
N_FEATURES = 24  # 12 chroma + 12 MFCC
DIM = SPAN * N_FEATURES
PHASES = 4  # sub-block phases of a reference's grid
MFCC_SCALE = 30.0  # MFCCs 1–12 of a log-mel in dB are tens: brought to the scale of chroma (0–1)
BLOCK_BITS = 20  # passage id = track id << BLOCK_BITS | block (blocks up to 145 hours)


def block_features(power: np.ndarray, sr: int, *, offset_frames: int = 0) -> np.ndarray:
    """Per-block features ``(n_blocks, N_FEATURES)`` float32 of a power spectrogram ``(1 + n_fft/2, frames)``
    (hop ``spectral.HOP``), blocks starting ``offset_frames`` STFT frames in."""
    import librosa

    chroma = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_mels=64), ref=1.0)
    mfcc = librosa.feature.mfcc(S=mel, n_mfcc=13)[1:] / MFCC_SCALE
    feats = np.vstack([chroma, mfcc])[:, offset_frames:]
    per = BLOCK * sr / HOP  # frames per block (not a whole number: blocks keep to the time grid)
    n = int(feats.shape[1] // per)
    if n == 0:
        return np.zeros((0, N_FEATURES), dtype=np.float32)
    edges = np.round(np.arange(n + 1) * per).astype(int)
    sums = np.add.reduceat(feats[:, : edges[-1]], edges[:-1], axis=1)
    return (sums / np.diff(edges)).T.astype(np.float32)


def passage_vectors(blocks: np.ndarray) -> np.ndarray:
    """Unit vectors ``(n_blocks - SPAN + 1, DIM)`` of every run of ``SPAN`` blocks ``(n_blocks, N_FEATURES)``."""
    n = len(blocks) - SPAN + 1
    if n <= 0:
        return np.zeros((0, DIM), dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(blocks, (SPAN, N_FEATURES))[:, 0]  # (n, SPAN, F)
    centred = windows - windows.mean(axis=1, keepdims=True) * 0.5  # keep half the steady part, stress the motion
    v = centred.reshape(n, DIM)
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)).astype(np.float32)


def passage_ids(track_id: int, n: int) -> np.ndarray:
    return (np.int64(track_id) << BLOCK_BITS) | np.arange(n, dtype=np.int64)


def split_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(track ids, block numbers) of passage ids."""
    ids = np.asarray(ids, dtype=np.int64)
    return ids >> BLOCK_BITS, ids & ((1 << BLOCK_BITS) - 1)


def query_passages(power: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """A reference's passages at ``PHASES`` sub-block phases: vectors ``(q, DIM)`` and their start times ``(q,)`` s."""
    step = BLOCK * sr / HOP / PHASES
    vecs, times = [], []
    for p in range(PHASES):
        frames = int(round(p * step))
        v = passage_vectors(block_features(power, sr, offset_frames=frames))
        vecs.append(v)
        times.append(frames * HOP / sr + BLOCK * np.arange(len(v)))
    return np.concatenate(vecs), np.concatenate(times)


@dataclass
class PassageMatch:
    track_id: int
    start: float  # seconds into the catalog track where the reference starts (may be < 0 near the beginning)
    score: float  # mean best similarity of the reference's passages that voted for this offset, 0–1
    votes: int


def vote(hit_ids: np.ndarray, hit_scores: np.ndarray, query_times: np.ndarray, *, top: int = 10) -> list[PassageMatch]:
    """Offset voting: ``hit_ids``/``hit_scores`` ``(q, k)`` are each query passage's nearest catalog passages
    (ids from ``passage_ids``, -1 for none), ``query_times`` ``(q,)`` their start in the reference (s).

    A hit says "the reference starts at block_time - query_time in that track"; offsets are binned by ``BLOCK``
    (a bin and its neighbours count together). Each query passage votes at most once per (track, bin).
    Returns the best ``top`` tracks, one match each (their best offset), best first.
    """
    tracks, blocks = split_ids(hit_ids)
    offsets = blocks * BLOCK - query_times[:, None]
    bins = np.round(offsets / BLOCK).astype(np.int64)
    tally: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for qi in range(hit_ids.shape[0]):
        for j in range(hit_ids.shape[1]):
            if hit_ids[qi, j] < 0 or hit_scores[qi, j] <= 0:
                continue
            key = (int(tracks[qi, j]), int(bins[qi, j]))
            votes = tally[key]
            votes[qi] = max(votes.get(qi, 0.0), float(hit_scores[qi, j]))
    n_queries = max(1, hit_ids.shape[0])
    best: dict[int, PassageMatch] = {}
    for (track, b), votes in tally.items():
        merged: dict[int, float] = dict(votes)
        for nb in (b - 1, b + 1):
            for qi, s in tally.get((track, nb), {}).items():
                merged[qi] = max(merged.get(qi, 0.0), s)
        score = sum(merged.values()) / n_queries
        if track not in best or score > best[track].score:
            best[track] = PassageMatch(track, round(b * BLOCK, 3), round(score, 4), len(merged))
    return sorted(best.values(), key=lambda m: (-m.score, m.track_id))[:top]
