import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from groundqa.index.bm25 import BM25

WORDS = ["river", "lake", "delta", "flood", "bridge", "island", "harbour", "canal"]
texts_strategy = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join),
                          min_size=1, max_size=40)


def reference_top(bm25: BM25, query: str, k: int) -> list[int]:
    scores = bm25.scores(query)
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]


@settings(max_examples=60, deadline=None)
@given(texts=texts_strategy, query=st.lists(st.sampled_from(WORDS + ["absent"]), min_size=1, max_size=3),
       k=st.integers(1, 12))
def test_top_k_is_the_stable_sort_of_all_scores(texts, query, k):
    # Short texts over eight words tie constantly, so the tie rule is exercised.
    bm25 = BM25(texts)
    assert bm25.top(" ".join(query), k) == reference_top(bm25, " ".join(query), k)


def test_top_k_on_a_real_looking_corpus():
    pairs = zip(WORDS * 30, WORDS[::-1] * 30, strict=True)
    texts = [f"The {w} near {v} has {n} boats." for n, (w, v) in enumerate(pairs)]
    bm25 = BM25(texts)
    assert bm25.top("lake canal boats", 20) == reference_top(bm25, "lake canal boats", 20)
    assert bm25.top("nothing matches", 5) == []


@settings(max_examples=60, deadline=None)
@given(texts=texts_strategy, query=st.lists(st.sampled_from(WORDS + ["absent"]), min_size=1, max_size=3))
def test_scores_follow_the_okapi_formula(texts, query):
    k1, b = 1.5, 0.75
    documents = [text.split() for text in texts]
    average = sum(map(len, documents)) / len(documents)
    expected = np.zeros(len(texts))
    for term in set(query) & set(WORDS):
        having = sum(term in document for document in documents)
        if not having:
            continue
        idf = np.log1p((len(documents) - having + 0.5) / (having + 0.5))
        for row, document in enumerate(documents):
            tf = document.count(term)
            expected[row] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(document) / average))
    assert np.allclose(BM25(texts).scores(" ".join(query)), expected, rtol=1e-5, atol=1e-6)
