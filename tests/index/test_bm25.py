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
