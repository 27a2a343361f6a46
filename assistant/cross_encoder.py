"""The learned cross-encoder on ONNX Runtime: one MiniLM network, fine-tuned here (see
`groundqa.evals.training`), with three heads over a (first, second) text pair:

* `answer`: the probability that a candidate sentence answers a question;
* `start`/`end`: token logits of the short answer inside the candidate;
* `support`: the probability that a passage supports a claim (the grounding judge).

The shipped artifact (`assistant/models/<name>/`) is an int8 ONNX graph, a manifest with its
SHA-256, version and calibration, and a model card. The hash is checked when the model is loaded;
no torch is imported here.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from groundqa.index.encoders import session_options

from .errors import ConfigurationError

MODELS = Path(__file__).parent / "models"
DEFAULT_MODEL = MODELS / "reader"
MAX_LENGTH = 160  # tokens per pair; a question and a long sentence with its context fit
BATCH_SIZE = 16
STARTS_WITH_REFERENCE = re.compile(r"^(?:he|she|it|they|his|her|its|their|this|these|those|the (?:company|band|"
                                    r"film|group|team|city|country|album|book|show|series|station|game))\b", re.I)


def candidate_text(sentence: str, section: str | None = None, previous: str | None = None) -> str:
    """The second text of a reader pair: the sentence, after its section heading, and after the
    sentence before it when it opens with a reference ("He …", "The company …") that needs it.

    >>> candidate_text("He was born in Kyiv.", "Early life", "Rustem Umerov is a politician.")
    'Early life: Rustem Umerov is a politician. He was born in Kyiv.'
    """
    context = previous if previous and STARTS_WITH_REFERENCE.match(sentence) else None
    parts = [f"{section}:" if section else None, context, sentence]
    return " ".join(part for part in parts if part)


def claim_text(question: str, answer: str) -> str:
    """How the judge reads an answer to a question: "Which magazine came first? — Arthur's Magazine"."""
    return f"{question.strip()} — {answer.strip()}"


@dataclass(frozen=True)
class Scored:
    answer: float  # calibrated probability that the candidate answers the question
    span: tuple[int, int] | None  # character offsets of the short answer in the candidate text
    span_score: float  # p(start) * p(end) of that span
    raw: float  # the uncalibrated logit
    null_margin: float = 0.0  # the span's start+end logits minus the null span's (models trained with it)


class CrossEncoder:
    """Scores (question, candidate) and (claim, passage) pairs with the shipped int8 model."""

    def __init__(self, folder: str | Path = DEFAULT_MODEL):
        self.folder = Path(folder)
        self.manifest = _read_manifest(self.folder)
        self.name = f"{self.manifest['name']} {self.manifest['version']}"
        self.threshold = float(self.manifest["calibration"]["threshold"])
        self.support_threshold = float(self.manifest["calibration"].get("support_threshold", 0.5))
        self._scale = self.manifest["calibration"]
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def warm_up(self) -> CrossEncoder:
        self._loaded()
        return self

    def _loaded(self):
        """(session, tokenizer), loaded and checked once."""
        with self._lock:
            if self._session is None or self._tokenizer is None:
                self._tokenizer = _tokenizer(self.folder)
                self._session = _session(self.folder / self.manifest["file"], self.manifest["sha256"])
            return self._session, self._tokenizer

    def read(self, question: str, candidates: list[str]) -> list[Scored]:
        """For each candidate text: the calibrated answer probability and the best short-answer span."""
        if not candidates:
            return []
        outputs, encodings = self._run([(question, c) for c in candidates])
        scored = []
        for logit, start, end, encoding in zip(outputs["answer"], outputs["start"], outputs["end"], encodings,
                                               strict=True):
            span, span_score, margin = _best_span(start, end, encoding)
            scored.append(Scored(self.calibrate(float(logit)), span, span_score, float(logit), margin))
        return scored

    def support(self, claim: str, passages: list[str]) -> list[float]:
        """The support head's probability that each passage supports `claim`."""
        return [float(1.0 / (1.0 + np.exp(-x))) for x in self.support_logits(claim, passages)]

    def support_logits(self, claim: str, passages: list[str]) -> list[float]:
        if not passages:
            return []
        outputs, _ = self._run([(claim, p) for p in passages])
        return [float(x) for x in outputs["support"]]

    def calibrate(self, logit: float) -> float:
        """Platt scaling fitted on held-out dev data: P(answers) = sigmoid(a * logit + b)."""
        return float(1.0 / (1.0 + np.exp(-(self._scale["a"] * logit + self._scale["b"]))))

    def _run(self, pairs: list[tuple[str, str]]):
        session, tokenizer = self._loaded()
        results: dict[str, list] = {"answer": [], "support": [], "start": [], "end": []}
        encodings_all = []
        for first in range(0, len(pairs), BATCH_SIZE):
            batch = pairs[first:first + BATCH_SIZE]
            with self._lock:
                encodings = tokenizer.encode_batch(batch)
                feed = {
                    "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
                }
                answer, start, end, support = session.run(None, feed)
            results["answer"] += list(answer.reshape(-1))
            results["support"] += list(support.reshape(-1))
            results["start"] += list(start)
            results["end"] += list(end)
            encodings_all += encodings
        return results, encodings_all


MAX_SPAN_TOKENS = 12


def _best_span(start: np.ndarray, end: np.ndarray, encoding) -> tuple[tuple[int, int] | None, float, float]:
    """Character offsets (in the second text) of the most likely span inside it, p(start) * p(end)
    (softmax over the second text's tokens), and its logits' margin over the null span's at [CLS]."""
    positions = np.array([i for i, s in enumerate(encoding.sequence_ids) if s == 1])
    if not len(positions):
        return None, 0.0, 0.0
    p_start = np.exp(start[positions] - start[positions].max())
    p_start /= p_start.sum()
    p_end = np.exp(end[positions] - end[positions].max())
    p_end /= p_end.sum()
    joint = np.triu(np.outer(p_start, p_end)) - np.triu(np.outer(p_start, p_end), MAX_SPAN_TOKENS)
    i, j = np.unravel_index(int(np.argmax(joint)), joint.shape)
    margin = float(start[positions[i]] + end[positions[j]] - start[0] - end[0])
    return (encoding.offsets[positions[i]][0], encoding.offsets[positions[j]][1]), float(joint[i, j]), margin


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for key in ("name", "version", "file", "sha256", "calibration"):
            manifest[key]  # noqa: B018 (a missing key is a damaged manifest)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"the learned reader at {folder} is missing or damaged ({exc}); reinstall "
                                 f"groundqa, or use --reader lexical --judge lexical") from None
    return manifest


def _session(path: Path, sha256: str):
    from groundqa.sources.offline import import_onnxruntime

    onnxruntime = import_onnxruntime()

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the learned reader {path} ({exc.strerror or exc}); reinstall "
                                 f"groundqa, or use --reader lexical --judge lexical") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ConfigurationError(f"the learned reader {path} fails its SHA-256 check (damaged or replaced); "
                                 f"reinstall groundqa, or use --reader lexical --judge lexical")
    return onnxruntime.InferenceSession(data, session_options(), providers=["CPUExecutionProvider"])


def _tokenizer(folder: Path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_LENGTH, strategy="longest_first")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer
