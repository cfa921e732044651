"""Loading checkpoints once per process (never on a hot path twice)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from recommender.device import get_device


class ModelMissing(FileNotFoundError):
    """No checkpoint where settings say; the message says how to make one."""


@lru_cache(maxsize=4)
def audio_encoder(path: str):
    from recommender.models import audio_encoder as enc

    if not Path(path).exists():
        raise ModelMissing(f"no audio model at {path}: run `python manage.py train_audio_similarity`")
    return enc.load(path, device=get_device())


@lru_cache(maxsize=4)
def crossmodal(path: str):
    """The cross-modal model, or None when no checkpoint exists (the shared space is then simply absent)."""
    from recommender.models import crossmodal as cm

    if not Path(path).exists():
        return None
    return cm.load(path, device=get_device())
