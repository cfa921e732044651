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


def crossmodal(path: str):
    """The cross-modal model, or None when no checkpoint exists (the shared space is then simply absent).

    Keyed by the file's modification time too: a model refined in place (``train_crossmodal --init``) is
    loaded again by every process that asks after it changed.
    """
    p = Path(path)
    return _crossmodal(path, p.stat().st_mtime_ns if p.exists() else -1)


@lru_cache(maxsize=4)
def _crossmodal(path: str, mtime_ns: int):
    from recommender.models import crossmodal as cm

    return None if mtime_ns < 0 else cm.load(path, device=get_device())


for _name in ("cache_clear", "cache_info", "cache_parameters"):  # the cache is the one behind the function
    setattr(crossmodal, _name, getattr(_crossmodal, _name))
