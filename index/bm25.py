"""Okapi BM25 over chunk texts, as one sparse matrix so a query is a column sum.

The matrix is kept column by column in plain numpy arrays (compressed sparse columns) rather than
scipy.sparse, whose import alone took 0.2 s of a cold `groundqa ask` on a 2-core Xeon."""

from __future__ import annotations

import numpy as np

from .text import terms


class BM25:
    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75):
        self.vocabulary: dict[str, int] = {}
        row_list: list[int] = []
        col_list: list[int] = []
        count_list: list[int] = []
        length_list: list[int] = []
        for row, text in enumerate(texts):
            doc_terms = terms(text)
            length_list.append(len(doc_terms))
            tf: dict[int, int] = {}
            for term in doc_terms:
                col = self.vocabulary.setdefault(term, len(self.vocabulary))
                tf[col] = tf.get(col, 0) + 1
            row_list.extend([row] * len(tf))
            col_list.extend(tf.keys())
            count_list.extend(tf.values())
        n_docs = max(len(texts), 1)
        lengths = np.asarray(length_list, dtype=np.float32)
        average = float(lengths.mean()) if len(texts) else 1.0
        counts = np.asarray(count_list, dtype=np.float32)
        rows = np.asarray(row_list, dtype=np.int64)
        cols = np.asarray(col_list, dtype=np.int64)
        doc_freq = np.bincount(cols, minlength=len(self.vocabulary)).astype(np.float32)
        self.idf = np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        norm = k1 * (1 - b + b * lengths[rows] / max(average, 1e-9))
        weights = self.idf[cols] * counts * (k1 + 1) / (counts + norm)
        by_term = np.argsort(cols, kind="stable")
        self._rows, self._weights = rows[by_term], weights[by_term].astype(np.float32)
        self._starts = np.concatenate([[0], np.cumsum(doc_freq.astype(np.int64))])  # term t: [starts[t], starts[t+1])
        self.size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for `query` (zeros when no term matches)."""
        cols = [self.vocabulary[t] for t in set(terms(query)) if t in self.vocabulary]
        if not cols or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        picked = np.concatenate([np.arange(self._starts[c], self._starts[c + 1]) for c in cols])
        return np.bincount(self._rows[picked], weights=self._weights[picked], minlength=self.size).astype(np.float32)

    def top(self, query: str, k: int, rows: np.ndarray | None = None) -> list[int]:
        """Rows of the `k` best-scoring texts (among `rows`, when given) with a score above zero, best
        first; ties go to the lower row, as a stable sort would order them. Partitions instead of
        sorting every row."""
        scores = self.scores(query)
        if rows is not None:
            allowed = np.zeros_like(scores)
            allowed[rows] = scores[rows]
            scores = allowed
        matched = np.flatnonzero(scores > 0)
        if len(matched) > k:
            threshold = np.partition(scores[matched], len(matched) - k)[len(matched) - k]
            above = matched[scores[matched] > threshold]
            tied = matched[scores[matched] == threshold][: k - len(above)]
            matched = np.concatenate([above, tied])
        return [int(i) for i in matched[np.argsort(-scores[matched], kind="stable")]]

    def idf_of(self, term: str) -> float:
        """Inverse document frequency of a stemmed term; unseen terms get the maximum."""
        col = self.vocabulary.get(term)
        if col is None:
            return float(np.log1p((self.size + 0.5) / 0.5))
        return float(self.idf[col])
