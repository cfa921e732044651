import threading

import numpy as np

from recommender.index import VectorIndex, build


def vectors(n, d=16, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


def test_add_search_delete(tmp_path):
    ix = VectorIndex(tmp_path / "t.faiss", dim=16)
    v = vectors(50)
    ix.upsert(np.arange(1000, 1050), v)
    assert len(ix) == 50
    hit = ix.search(v[7:8], 1)[0][0]
    assert hit.id == 1007 and abs(hit.score - 1.0) < 1e-5
    ix.remove(np.array([1007]))
    assert all(h.id != 1007 for h in ix.search(v[7:8], 5)[0])
    ix.upsert(np.array([1008]), v[7:8])  # replacing an id moves its vector
    assert ix.search(v[7:8], 1)[0][0].id == 1008 and len(ix) == 49


def test_reader_sees_writes_from_another_instance(tmp_path):
    reader = VectorIndex(tmp_path / "t.faiss", dim=16)
    assert reader.search(vectors(1), 3) == [[]]
    writer = VectorIndex(tmp_path / "t.faiss", dim=16)
    writer.upsert(np.arange(10), vectors(10))
    assert len(reader) == 10


def test_rebuild_swaps_atomically_while_queries_run(tmp_path):
    ix = VectorIndex(tmp_path / "t.faiss", dim=16)
    v = vectors(500)
    ix.upsert(np.arange(500), v)
    reader = VectorIndex(tmp_path / "t.faiss", dim=16)
    errors: list[Exception] = []
    counts: set[int] = set()
    stop = threading.Event()

    def query():
        while not stop.is_set():
            try:
                hits = reader.search(v[:4], 5)
                counts.add(len(reader))
                assert all(len(h) == 5 for h in hits)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=query) for _ in range(3)]
    for t in threads:
        t.start()
    for round_ in range(5):
        keep = 500 - 50 * round_
        ix.rebuild(np.arange(keep), v[:keep])
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert len(reader) == 300 and counts <= {500, 450, 400, 350, 300}


def test_factory_string_selects_index_type():
    import faiss

    v = vectors(2000, d=32)
    index = build(v, np.arange(2000), "IVF16,SQ8")
    inner = faiss.downcast_index(index.index)
    assert isinstance(inner, faiss.IndexIVFScalarQuantizer)
    scores, ids = index.search(v[:5] / np.linalg.norm(v[:5], axis=1, keepdims=True), 1)
    assert (ids[:, 0] == np.arange(5)).mean() >= 0.8


def test_rebuild_with_no_vectors_gives_an_empty_index(tmp_path):
    ix = VectorIndex(tmp_path / "t.faiss", dim=16)
    ix.upsert(np.arange(3), vectors(3))
    ix.rebuild(np.zeros(0, dtype=np.int64), np.zeros((0, 16), dtype=np.float32))
    assert len(ix) == 0 and ix.search(vectors(1), 3) == [[]]
