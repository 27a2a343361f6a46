import numpy as np

from groundqa.index import build_index, open_index
from groundqa.index import store as store_module
from groundqa.index.files import current_generation, read_manifest
from groundqa.index.store import FaissStore


def unit_vectors(n, dimension=32, seed=0):
    vectors = np.random.default_rng(seed).normal(size=(n, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_small_stores_stay_exact(tmp_path):
    store = FaissStore(32, hnsw_min=1000)
    store.add(np.arange(500), unit_vectors(500))
    store.save(tmp_path / "v.faiss")
    assert store.kind == "flat" and FaissStore.load(tmp_path / "v.faiss").kind == "flat"


def test_large_stores_switch_to_hnsw_on_save_and_find_the_same_neighbours(tmp_path):
    vectors = unit_vectors(3000)
    exact = FaissStore(32, hnsw_min=10**9)
    exact.add(np.arange(100, 3100), vectors)
    store = FaissStore(32, hnsw_min=2000)
    store.add(np.arange(100, 3100), vectors)
    store.save(tmp_path / "v.faiss")
    loaded = FaissStore.load(tmp_path / "v.faiss")
    assert loaded.kind == "hnsw" and len(loaded) == 3000
    assert loaded.description == {"kind": "hnsw", "M": 32, "ef_construction": 80, "ef_search": 512, "vectors": 3000}
    queries = unit_vectors(50, seed=1)
    found = [set(loaded.search(q, 10)[1]) & set(exact.search(q, 10)[1]) for q in queries]
    assert np.mean([len(f) for f in found]) / 10 >= 0.95
    assert np.allclose(loaded.vectors([105]), vectors[5])


def test_deleting_from_hnsw_falls_back_to_exact_and_rebuilds_on_save(tmp_path):
    vectors = unit_vectors(3000)
    store = FaissStore(32, hnsw_min=2000)
    store.add(np.arange(3000), vectors)
    store.save(tmp_path / "v.faiss")
    store.delete(np.array([7, 8]))
    assert store.kind == "flat" and len(store) == 2998
    assert 7 not in store.search(vectors[7], 5)[1]
    store.save(tmp_path / "v2.faiss")
    assert store.kind == "hnsw"
    store.add(np.array([7]), vectors[7:8])
    assert store.search(vectors[7], 1)[1][0] == 7


def test_the_manifest_records_which_vector_index_was_built(tmp_path, corpus, embedder, monkeypatch):
    build_index(corpus, tmp_path / "flat", embedder=embedder)
    assert read_manifest(current_generation(tmp_path / "flat"))["vector_index"]["kind"] == "flat"
    monkeypatch.setattr(store_module, "HNSW_MIN_VECTORS", 1)
    build_index(corpus, tmp_path / "hnsw", embedder=embedder)
    index = open_index(tmp_path / "hnsw")
    assert index.manifest["vector_index"]["kind"] == "hnsw" and index.store.kind == "hnsw"
    _, ids = index.store.search(embedder.embed(["How high is Mont Blanc?"])[0], 1)
    assert "4,806 metres" in index.by_vector_id[int(ids[0])].text



def test_the_vector_index_is_chosen_by_how_fast_exact_search_is_here(monkeypatch):
    monkeypatch.setattr(store_module, "HNSW_CONSIDER_FROM", 1000)
    store = FaissStore(32)
    store.add(np.arange(3000), unit_vectors(3000))
    assert 0 < store.flat_search_ms() < 1000
    monkeypatch.setattr(store_module, "FLAT_BUDGET_MS", 1e9)  # exact search fast enough: stays exact
    store.fit_to_size()
    assert store.kind == "flat"
    monkeypatch.setattr(store_module, "FLAT_BUDGET_MS", 0.0)  # too slow on this machine: HNSW
    store.fit_to_size()
    assert store.kind == "hnsw"
    small = FaissStore(32)
    small.add(np.arange(500), unit_vectors(500))
    small.fit_to_size()  # under HNSW_CONSIDER_FROM nothing is measured: exact
    assert small.kind == "flat"


def test_filtered_search_returns_the_best_allowed_ids_on_flat_and_hnsw(tmp_path):
    vectors = unit_vectors(3000)
    ids = np.arange(100, 3100)
    flat, hnsw = FaissStore(32, hnsw_min=10**9), FaissStore(32, hnsw_min=2000)
    for store in (flat, hnsw):
        store.add(ids, vectors)
    hnsw.save(tmp_path / "v.faiss")
    hnsw = FaissStore.load(tmp_path / "v.faiss")
    assert hnsw.kind == "hnsw"
    rng = np.random.default_rng(2)
    for allowed in (rng.choice(ids, 1500, replace=False), rng.choice(ids, 7, replace=False), ids[:1]):
        for query in unit_vectors(10, seed=3):
            truth = allowed[np.argsort(-(vectors[allowed - 100] @ query))][:5]
            for store in (flat, hnsw):
                _, found = store.search(query, 5, allowed)
                assert set(found) <= set(allowed) and len(found) == min(5, len(allowed))
            assert list(flat.search(query, 5, allowed)[1]) == list(truth)  # exact
            assert len(set(hnsw.search(query, 5, allowed)[1]) & set(truth)) >= min(4, len(truth))
    assert len(flat.search(unit_vectors(1)[0], 5, np.array([], dtype=np.int64))[1]) == 0
