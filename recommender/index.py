"""Persistent FAISS indexes of L2-normalised vectors, searched by inner product (cosine similarity).

The index type is a FAISS factory string ("Flat" exact for small catalogs; "IVF1024,SQ8", "HNSW32",
"IVF4096,PQ32" … for large ones), chosen in settings. Vectors carry the database ids of their rows
(an IDMap), files are replaced atomically, and a reader reloads a file when it changes on disk.
Writers in several processes serialise through a lock file beside the index.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def _faiss():
    import faiss

    return faiss


def normalise(vectors: np.ndarray) -> np.ndarray:
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def build(vectors: np.ndarray, ids: np.ndarray, factory: str, *, nprobe: int = 16):
    """A new index of ``vectors`` ``(n, d)`` with int64 ``ids``; trains it when the type needs training."""
    faiss = _faiss()
    vectors = normalise(vectors)
    dim = vectors.shape[1]
    base = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    if not base.is_trained:
        if len(vectors) < 2:
            raise ValueError(f"index '{factory}' needs training vectors; have {len(vectors)}")
        base.train(vectors)
    set_search_params(base, nprobe=nprobe)
    index = faiss.IndexIDMap(base)  # not IDMap2: its reverse map costs ~50 bytes a vector in RAM
    if len(vectors):
        index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
    return index


def set_search_params(index, *, nprobe: int = 16, ef_search: int = 64) -> None:
    faiss = _faiss()
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index
    ivf = faiss.try_extract_index_ivf(inner)
    if ivf is not None:
        ivf.nprobe = nprobe
    if hasattr(inner, "hnsw"):
        inner.hnsw.efSearch = ef_search


@dataclass
class Hit:
    id: int
    score: float  # cosine similarity


class VectorIndex:
    """One index file, e.g. ``INDEX_DIR/tracks.faiss``; safe to share between threads of a process."""

    def __init__(self, path: str | Path, *, dim: int, factory: str = "Flat") -> None:
        self.path = Path(path)
        self.dim = dim
        self.factory = factory
        self._index = None
        self._mtime: float | None = None
        self._mutex = threading.Lock()

    # --- reading ---------------------------------------------------------------------------------
    def _current(self):
        """The index as on disk now (reloaded when the file changed); an empty exact index if none."""
        faiss = _faiss()
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        with self._mutex:
            if self._index is None or mtime != self._mtime:
                if mtime is None:
                    self._index = faiss.IndexIDMap(faiss.IndexFlatIP(self.dim))
                else:
                    self._index = faiss.read_index(str(self.path))
                    set_search_params(self._index)
                self._mtime = mtime
            return self._index

    def __len__(self) -> int:
        return int(self._current().ntotal)

    def search(self, queries: np.ndarray, k: int = 10) -> list[list[Hit]]:
        """Top ``k`` per query ``(q, d)`` by cosine similarity."""
        index = self._current()
        if index.ntotal == 0:
            return [[] for _ in range(len(queries))]
        scores, ids = index.search(normalise(queries), min(k, int(index.ntotal)))
        return [[Hit(int(i), float(s)) for i, s in zip(row_ids, row_s, strict=True) if i >= 0]
                for row_ids, row_s in zip(ids, scores, strict=True)]  # fmt: skip

    # --- writing ---------------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, index) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        _faiss().write_index(index, str(tmp))
        os.replace(tmp, self.path)  # atomic: readers see the old file or the new one, never half

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors, replacing any with the same ids. An untrained index type starts exact until rebuilt."""
        faiss = _faiss()
        ids = np.asarray(ids, dtype=np.int64)
        with self._locked():
            index = faiss.read_index(str(self.path)) if self.path.exists() else None
            if index is None:
                index = build(vectors, ids, self.factory) if self._trainable(len(ids)) else build(vectors, ids, "Flat")
            else:
                index.remove_ids(ids)
                index.add_with_ids(normalise(vectors), ids)
            self._write(index)

    def remove(self, ids: np.ndarray) -> int:
        faiss = _faiss()
        with self._locked():
            if not self.path.exists():
                return 0
            index = faiss.read_index(str(self.path))
            removed = index.remove_ids(np.asarray(ids, dtype=np.int64))
            self._write(index)
            return int(removed)

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Write a fresh index of exactly these vectors (trained with the configured factory) and swap it in."""
        factory = self.factory if self._trainable(len(ids)) else "Flat"
        index = build(vectors.reshape(-1, self.dim), ids, factory)
        with self._locked():
            self._write(index)

    def _trainable(self, n: int) -> bool:
        """IVF/PQ need enough vectors to train; below that an exact index is both correct and fast."""
        if self.factory in ("Flat", "IDMap,Flat"):
            return True
        return n >= 10_000
