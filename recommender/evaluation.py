"""Held-out evaluation of video → music retrieval: global (clip vectors) beside alignment re-ranking.

Each query is a silent music video; the catalog holds the music it was cut from. A clip with a sidecar
``<name>.json`` (``{"song_seed": int, "start": float}``, written by the generator) is matched against the
full generated song, so the predicted offset can be checked; any other video is matched against its own
soundtrack (offset 0). Random embeddings give the floor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender import pace
from recommender.alignment import MusicSequence, VideoSequence, Weights, align, music_sequence, video_sequence
from recommender.analysis import TrackAnalysis

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
VIDEO_VERSION = 5  # bump when what ``video_query`` computes changes (benchmarks cache queries by it)
MUSIC_VERSION = 5  # bump when what ``music_entry`` computes changes (benchmarks cache tracks by it)


@dataclass
class Entry:
    """One catalog track: its clip-level vector and what its alignment sequence is built from."""

    name: str
    vector: np.ndarray
    analysis: TrackAnalysis
    spans: list[tuple[float, float]]  # downbeat-aligned segments, seconds
    segment_vectors: np.ndarray  # (len(spans), D)

    @property
    def sequence(self) -> MusicSequence:
        return track_sequence(self.analysis, self.spans, self.segment_vectors)


def track_sequence(a: TrackAnalysis, spans, segment_vectors: np.ndarray) -> MusicSequence:
    """A track's alignment sequence from its analysis, as the catalog builds it."""
    return music_sequence(a.duration, spans, segment_vectors, downbeats=a.downbeats,
                          section_starts=[s.start for s in a.sections[1:]], energy=a.energy, energy_hop=a.energy_hop,
                          beats=a.beats, onset_envelope=a.onset_envelope, onset_hop=a.onset_hop,
                          loudness=a.loudness)  # fmt: skip


@dataclass
class Query:
    name: str
    vector: np.ndarray
    sequence: VideoSequence
    truth: int  # index of its music in the catalog
    offset: float  # seconds into that music where the video starts


def music_entry(name: str, y: np.ndarray, sr: int, model) -> Entry:
    """Analyse and embed a track the way the catalog does (segments from downbeats and sections)."""
    from recommender.analysis import analyze
    from recommender.models import audio_encoder as enc
    from recommender.segments import music_segments

    a = analyze(y, sr)
    spans = music_segments(a.duration, a.downbeats, [s.start for s in a.sections[1:]])
    vec, seg_vecs = enc.embed_track(model.audio, enc.log_mel(y, sr), spans)
    return Entry(name, vec, a, spans, seg_vecs)


def video_query(path: Path, model, truth: int, offset: float) -> Query:
    from recommender.video_analysis import analyze_video

    v = analyze_video(path, model=model)
    seq = video_sequence(v.duration, v.shots, v.shot_vectors, activity=v.activity,
                         activity_times=np.arange(len(v.activity)) * v.activity_hop,
                         accent_times=v.accent_times, accent_strengths=v.accent_strengths,
                         frame_rate=v.frame_rate, light=v.light)  # fmt: skip
    return Query(path.name, v.clip_vector, seq, truth, offset)


def load_set(folder: str | Path, model, *, log: Callable[[str], None] = print) -> tuple[list[Entry], list[Query]]:
    """Catalog entries and queries for every usable video in ``folder``."""
    from recommender.media import MediaError, load_audio
    from recommender.models.audio_encoder import SR

    entries: list[Entry] = []
    queries: list[Query] = []
    songs: dict[int, int] = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES):
        sidecar = path.with_suffix(".json")
        try:
            if sidecar.exists():
                meta = json.loads(sidecar.read_text())
                seed = int(meta["song_seed"])
                if seed not in songs:
                    from recommender.synth.music import make_song

                    song = make_song(seed)
                    songs[seed] = len(entries)
                    entries.append(music_entry(f"song-{seed}", song.audio, song.sr, model))
                truth, offset = songs[seed], float(meta["start"])
            else:
                entries.append(music_entry(path.name, load_audio(path, sr=SR), SR, model))
                truth, offset = len(entries) - 1, 0.0
            queries.append(video_query(path, model, truth, offset))
        except MediaError as exc:
            log(f"skipped: {exc}")
        if len(queries) % 20 == 0:
            log(f"{len(queries)} clips loaded")
    return entries, queries


def rank_of(scores: np.ndarray, truth: int) -> float:
    """Rank (1 = first) of ``scores[truth]``; ties count half, as a random order among them would place it
    (a video that carries no evidence must not rank its music first by a tie)."""
    ties = int((scores == scores[truth]).sum()) - 1
    return 1.0 + int((scores > scores[truth]).sum()) + 0.5 * ties


def summary(ranks: Sequence[int], errors: Sequence[float] | None = None) -> dict[str, float]:
    r = np.asarray(ranks)
    out = {"recall@1": float((r <= 1).mean()), "recall@5": float((r <= 5).mean()),
           "recall@10": float((r <= 10).mean()), "median_rank": float(np.median(r)), "n": int(len(r))}  # fmt: skip
    if errors is not None:
        e = np.asarray(errors)
        out["median_offset_error"] = float(np.median(e))
        out["offset_within_1s"] = float((e <= 1.0).mean())
        first = e[r <= 1]  # where the true track comes first: the offset an editor would use
        out["offset_error_when_first"] = float(np.median(first)) if len(first) else float("nan")
    return out


def evaluate_modes(
    entries: list[Entry], queries: list[Query], *, variants: dict[str, tuple[str, float | Weights]] | None = None,
    seed: int = 0, ranks_out: dict[str, list[float]] | None = None,
) -> dict[str, dict[str, float]]:  # fmt: skip
    """Global and alignment ranking side by side; ``variants`` maps a name to (method, structure weight or
    the weights themselves). ``ranks_out``, when given, receives each variant's rank per query (in order), so a
    caller can break recall down by what the videos carry."""
    variants = variants or {"alignment": ("rigid", 0.5)}
    tracks = np.stack([e.vector for e in entries])
    seqs = [e.sequence for e in entries]
    results: dict[str, dict[str, float]] = {}
    sims = np.stack([q.vector for q in queries]) @ tracks.T
    ranks = [rank_of(row, q.truth) for row, q in zip(sims, queries, strict=True)]
    results["global (content only)"] = summary(ranks)
    tempos = np.array([e.analysis.tempo for e in entries])
    ranks = []
    for row, q in zip(sims, queries, strict=True):
        fit = pace.pace_fit(pace.event_intervals(video_events(q.sequence)), tempos)
        ranks.append(rank_of(pace.blend(row, fit, weight=pace.WEIGHT), q.truth))
    results["global (content + pace)"] = summary(ranks)
    for name, (method, structure) in variants.items():
        weights = structure if isinstance(structure, Weights) else Weights.blend(structure)
        ranks, errors = [], []
        for q in queries:
            found = align(q.sequence, seqs, method=method, weights=weights, paths=0)
            scores = np.array([a.score for a in found])
            ranks.append(rank_of(scores, q.truth))
            errors.append(abs(found[q.truth].offset - q.offset))
        results[name] = summary(ranks, errors)
        if ranks_out is not None:
            ranks_out[name] = ranks
    rng = np.random.default_rng(seed)
    rand = rng.standard_normal((len(queries), len(entries)))
    results["random"] = summary([rank_of(row, q.truth) for row, q in zip(rand, queries, strict=True)])
    return results


def video_events(video: VideoSequence) -> np.ndarray:
    """The video's cut and accent times (s), ``(n,)``: what ``pace`` reads."""
    return np.r_[video.cut_times, video.accent_times]


def format_table(results: dict[str, dict[str, float]]) -> str:
    rows = [f"{'mode':<26}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'median rank':>13}{'offset err':>12}{'err if 1st':>12}"
            f"{'clips':>7}"]  # fmt: skip
    for mode, s in results.items():
        err = f"{s['median_offset_error']:>10.2f} s" if "median_offset_error" in s else f"{'—':>12}"
        first = f"{s['offset_error_when_first']:>10.3f} s" if "offset_error_when_first" in s else f"{'—':>12}"
        rows.append(f"{mode:<26}{s['recall@1']:>7.3f}{s['recall@5']:>7.3f}{s['recall@10']:>7.3f}"
                    f"{s['median_rank']:>13.1f}{err}{first}{s['n']:>7d}")  # fmt: skip
    return "\n".join(rows)
