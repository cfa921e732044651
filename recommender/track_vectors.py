"""A track's vectors in both spaces at once: audio similarity, and the shared music–video space.

The catalog stores, per track: a track vector and a vector per section in the audio-similarity space (the
log-mel CNN), and, when a cross-modal model exists, the same in the shared space (its audio branch) plus a
vector per downbeat-aligned segment, the units that video shots are aligned to. One log-mel feeds both models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender.models import audio_encoder as enc
from recommender.segments import music_segments


@dataclass
class TrackVectors:
    vector: np.ndarray  # (dim,) audio similarity, unit norm
    sections: np.ndarray  # (n_sections, dim)
    xm_vector: np.ndarray | None = None  # (dim,) shared space; None without a cross-modal model
    xm_sections: list[np.ndarray | None] = field(default_factory=list)  # per section; Nones without the model
    segments: list[tuple[float, float]] = field(default_factory=list)  # (start, end) s, 2-bar downbeat pieces
    xm_segments: np.ndarray | None = None  # (n_segments, dim)


def embed_track_spaces(
    mel: np.ndarray,
    sections: list[tuple[float, float]],
    *,
    audio_model: enc.AudioEncoder,
    crossmodal_model: Any | None = None,
    duration: float = 0.0,
    downbeats: list[float] | np.ndarray = (),
    device: Any = "cpu",
) -> TrackVectors:
    """Vectors of a track from its log-mel ``(N_MELS, frames)`` and section spans (seconds)."""
    vec, section_vecs = enc.embed_track(audio_model, mel, sections, device=device)
    out = TrackVectors(vector=vec, sections=section_vecs, xm_sections=[None] * len(sections))
    if crossmodal_model is None:
        return out
    out.segments = music_segments(duration, downbeats, [start for start, _ in sections[1:]])
    out.xm_vector, both = enc.embed_track(crossmodal_model.audio, mel, sections + out.segments, device=device)
    out.xm_sections, out.xm_segments = list(both[: len(sections)]), both[len(sections) :]
    return out
