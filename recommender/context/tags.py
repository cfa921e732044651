"""The one list of listening-context tags, and the documented rules used until users have labelled enough.

Rules (Ibrahim et al. 2020 found tempo, energy and mode among the audio cues of listening situations):
each tag's probability is a product of soft ramps on the track's tempo (BPM), mean loudness (dBFS of the
energy curve) and mode, scaled to at most 0.9. ``ramp(x, a, b)`` rises from 0 at ``a`` to 1 at ``b``
(falls when a > b).

| tag | high when |
| --- | --- |
| workout | tempo 110–150+ and loud |
| running | tempo 140–180 (or half of it) and loud |
| party, dance | tempo 100–135 and loud |
| relax | slow (below ~100) and quiet |
| sleep | very slow (below ~80) and very quiet |
| focus | moderate tempo and even, moderate loudness |
| commute | moderate tempo (90–130), moderate loudness |
| morning | major mode, moderate-to-bright tempo |
| night | minor mode or slow and quiet |
| happy | major mode and fast |
| sad | minor mode and slow |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONTEXT_TAGS: tuple[str, ...] = (
    "workout", "running", "party", "dance", "relax", "sleep", "focus", "commute", "morning", "night", "happy", "sad",
)  # fmt: skip


@dataclass(frozen=True)
class TrackTraits:
    tempo: float  # BPM
    loudness: float  # mean energy, dB (≈ -60 quiet … -5 loud)
    minor: bool


def ramp(x: float, a: float, b: float) -> float:
    """0 at ``a``, 1 at ``b``, linear between (decreasing when ``a > b``)."""
    if a == b:
        return float(x >= a)
    return float(np.clip((x - a) / (b - a), 0.0, 1.0))


def rule_probabilities(t: TrackTraits) -> dict[str, float]:
    """P(tag) for each context tag from tempo, loudness and mode (see the module docstring)."""
    loud = ramp(t.loudness, -30, -12)
    quiet = 1 - loud
    run_tempo = max(ramp(t.tempo, 135, 155) * ramp(t.tempo, 190, 170), ramp(t.tempo, 70, 78) * ramp(t.tempo, 95, 88))
    major = 0.0 if t.minor else 1.0
    probs = {
        "workout": ramp(t.tempo, 100, 125) * loud,
        "running": run_tempo * loud,
        "party": ramp(t.tempo, 95, 110) * ramp(t.tempo, 145, 130) * loud,
        "dance": ramp(t.tempo, 95, 112) * ramp(t.tempo, 140, 128) * (0.4 + 0.6 * loud),
        "relax": ramp(t.tempo, 110, 85) * quiet,
        "sleep": ramp(t.tempo, 90, 70) * ramp(t.loudness, -20, -35),
        "focus": ramp(t.tempo, 70, 90) * ramp(t.tempo, 140, 120) * (1 - abs(loud - 0.4)),
        "commute": ramp(t.tempo, 85, 100) * ramp(t.tempo, 140, 125) * (0.5 + 0.5 * loud),
        "morning": major * ramp(t.tempo, 80, 105),
        "night": max(1 - major, ramp(t.tempo, 100, 80) * quiet),
        "happy": major * ramp(t.tempo, 95, 125),
        "sad": (1 - major) * ramp(t.tempo, 115, 85),
    }
    return {tag: round(0.05 + 0.85 * probs[tag], 3) for tag in CONTEXT_TAGS}


def neighbour_tags(similarities: np.ndarray, tag_probs: np.ndarray) -> np.ndarray:
    """Tags borrowed from neighbours: the similarity-weighted mean ``(C,)`` of their tag probabilities
    ``(k, C)``, with ``similarities`` ``(k,)`` (cosines; a negative one counts as nothing)."""
    w = np.maximum(np.asarray(similarities, dtype=np.float64), 0.0) + 1e-6
    return w @ np.asarray(tag_probs, dtype=np.float64) / w.sum()
