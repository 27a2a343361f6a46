"""Calibration on held-out dev data: Platt scaling of the answer logit, and the refusal threshold
chosen end to end (retrieval + learned reader) on held-out HaluEval dev questions."""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path

import numpy as np

from ..metrics import contains_gold
from .examples import _NAME


def platt(logits: np.ndarray, labels: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """(a, b) maximising the likelihood of sigmoid(a * logit + b) (Newton's method).

    >>> a, b = platt(np.array([-3.0, -1.0, 1.0, 3.0]), np.array([0.0, 0.0, 1.0, 1.0]))
    >>> a > 0
    True
    """
    a, b = 1.0, 0.0
    x = np.stack([logits, np.ones_like(logits)], axis=1)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a * logits + b)))
        gradient = x.T @ (p - labels)
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + 1e-6 * np.eye(2)
        a, b = np.array([a, b]) - np.linalg.solve(hessian, gradient)
    return float(a), float(b)


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 30) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method on standardised
    features, folded back so the weights apply to raw features).

    >>> w, b = logistic(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0.0, 0.0, 1.0, 1.0]))
    >>> bool(w[0] > 0)
    True
    """
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    theta = np.zeros(z.shape[1])
    penalty = l2 * np.eye(z.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ theta)))
        gradient = z.T @ (p - y) + penalty @ theta
        hessian = z.T @ (z * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(theta))
        theta -= np.linalg.solve(hessian, gradient)
    weights = theta[:-1] / scale
    return weights, float(theta[-1] - np.sum(theta[:-1] * mean / scale))


def dev_questions(records: list[dict], articles: list[dict], rng: random.Random, answerable: int, absent: int,
                  swapped: int) -> tuple[list[str], list[tuple[str, str | None]]]:
    """(texts to index, [(question, gold or None)]) from held-out dev data: HaluEval questions one
    sentence answers (about indexed knowledge), questions whose knowledge is not indexed, indexed
    questions with a name swapped for another's (unanswerable); and news cloze questions about
    indexed articles, cloze questions about articles not indexed (unanswerable)."""
    from .examples import _swap, cloze_examples, single_hop
    from .questions import summary_questions

    records = list(records)
    rng.shuffle(records)
    answerable_records = [r for r in records if single_hop(r)][:answerable]
    others = [r for r in records if r not in answerable_records][:absent]
    names = [n for r in records for n in _NAME.findall(r["question"]) if len(n) > 3]
    texts = [re.sub(r"(?<=[a-z0-9)\]\"'%]\.)(?=[A-Z])", "\n\n", r["knowledge"]) for r in answerable_records]
    cases: list[tuple[str, str | None]] = [(r["question"], r["right_answer"]) for r in answerable_records]
    cases += [(r["question"], None) for r in others]
    for record in answerable_records[:swapped]:
        question = _swap(record["question"], record["knowledge"], names, rng)
        if question:
            cases.append((question, None))
    half = len(articles) // 2
    texts += [a["document"] for a in articles[:half]]
    for number, article in enumerate(articles):
        made = cloze_examples([article], rng, per_article=1) + summary_questions([article], rng, per_article=1)
        for example in made:
            if example.kind in ("cloze", "summary-question") and example.span:
                gold = example.second[example.span[0]:example.span[1]]
                cases.append((example.first, gold if number < half else None))
            elif example.kind in ("cloze-swapped", "summary-question-swapped") and number < half:
                cases.append((example.first, None))
    return texts, cases


def fit_reader(model: Path, records: list[dict], articles: list[dict], log=print, answerable: int = 450,
               absent: int = 300, swapped: int = 150, seed: int = 7) -> dict:
    """Fit the reader's stack (cross-encoder logit + lexical evidence -> P(sentence answers)) on the
    candidates the engine really sees for held-out dev questions, and choose the refusal threshold on
    out-of-fold predictions (two folds by question): the one maximising the mean of "answered with the
    gold answer" (answerable) and "refused" (unanswerable), bagged over resamples (`_threshold`). The
    result keeps a `feature_check` of today's features, so a test notices when code changes them."""
    from groundqa import Assistant
    from groundqa.learned import LearnedJudge

    texts, cases = dev_questions(records, articles, random.Random(seed), answerable, absent, swapped)
    rows, labels, question_of = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "docs"
        folder.mkdir()
        for number, text in enumerate(texts):
            (folder / f"d{number:05d}.txt").write_text(text, encoding="utf-8")
        bot = Assistant(index_dir=Path(scratch) / "idx", sources=folder, reader="learned",
                        reader_model=str(model)).warm_up()
        names = reader_feature_names(bot)
        for number, (question, gold) in enumerate(cases):
            for sentence, features in candidate_rows(bot, question):
                rows.append(features)
                labels.append(float(gold is not None and bool(contains_gold(sentence, [gold]))))
                question_of.append(number)
        judge = fit_judge(LearnedJudge(bot.cross_encoder(), bot.index, bot.embedder), records, log)
    x, y, q = np.array(rows), np.array(labels), np.array(question_of)
    answerable_cases = np.array([gold is not None for _, gold in cases])
    folds = np.array([n % 2 for n in range(len(cases))])[q]
    out_of_fold = np.zeros(len(y))
    for fold in (0, 1):
        weights, bias = logistic(x[folds != fold], y[folds != fold])
        out_of_fold[folds == fold] = 1 / (1 + np.exp(-(x[folds == fold] @ weights + bias)))
    threshold, score, curve, (low, high) = _threshold(out_of_fold, y, q, answerable_cases)
    weights, bias = logistic(x, y)
    log(f"reader stack: threshold {threshold:.2f}, out-of-fold mean of answered-right and refused {score:.3f} "
        f"({int(answerable_cases.sum())} answerable, {int((~answerable_cases).sum())} unanswerable questions, "
        f"{len(y):,} candidates); threshold -> answered, answered right, refused: {curve}")
    return judge | {"feature_check": feature_check(model),
                    "stack": {"features": list(names), "weights": [round(float(w), 6) for w in weights],
                              "bias": round(bias, 6)},
            "threshold": round(threshold, 2), "threshold_range": [round(low, 2), round(high, 2)], "curve": curve,
            "how": f"a logistic layer over the cross-encoder's logit and the lexical evidence, fitted on the "
                   f"{len(y):,} candidate sentences the engine retrieves for held-out dev questions — HaluEval QA "
                   f"records and news questions (cloze and made from the human summaries) about held-out "
                   f"summarization articles — ({int(answerable_cases.sum())} answerable; "
                   f"{int((~answerable_cases).sum())} unanswerable: own document not indexed, or a name "
                   f"swapped); the threshold maximises the mean of 'answered with the gold answer' and "
                   f"'refused' on out-of-fold predictions (two folds by question; {score:.3f}), as the median "
                   f"of the thresholds that maximise it on 201 bootstrap resamples of the questions (95% of "
                   f"them fall in {low:.2f}–{high:.2f}: the score is flat there)."}


def reader_feature_names(bot) -> tuple[str, ...]:
    from groundqa.learned import FEATURES, NULL_SPAN_FEATURES

    null_span = bot.cross_encoder().manifest["training"].get("hyperparameters", {}).get("null_span")
    return NULL_SPAN_FEATURES if null_span else FEATURES


def candidate_rows(bot, question: str) -> list[tuple[str, list[float]]]:
    """[(candidate sentence, its stack features)] for the candidates the engine retrieves for `question`."""
    from groundqa.learned import LearnedReader
    from groundqa.retrieval import Retriever

    reader = LearnedReader(bot.index, bot.embedder, bot.cross_encoder(), 0.0)
    retriever = Retriever(bot.index, bot.embedder, bot.settings.candidates, bot.settings.rrf_k)
    vector = bot.embedder.embed([question])[0]
    hits = retriever.retrieve(question, bot.settings.top_k, vector)
    names = reader_feature_names(bot)
    return [(evidence.sentence.text, [features[name] for name in names])
            for evidence, _, _, features in reader.candidate_features(question, hits, vector)]


CHECK_QUESTIONS = ("Who led the Ukrainian delegation?", "Where were the talks held?",
                   "What did the two sides agree to exchange?")
CHECK_CLAIMS = (("Who led the Russian delegation?", "Vladimir Medinsky"),
                ("Who led the Russian delegation?", "Rustem Umerov"))


def feature_check(model: Path, index_dir: Path | None = None) -> dict:
    """The stack features today's code computes for a few questions and claims over the bundled corpus.
    The stacks were fitted on such features: when code changes them, the shipped calibration is stale
    (`groundqa train --calibrate-only` refits it), and a test comparing this check says so."""
    from groundqa import Assistant
    from groundqa.cross_encoder import claim_text
    from groundqa.learned import JUDGE_FEATURES, LearnedJudge
    from groundqa.sources import BUNDLED_CORPUS
    from groundqa.verify import answer_claim

    with tempfile.TemporaryDirectory() as scratch:
        bot = Assistant(index_dir=index_dir or Path(scratch) / "idx", sources=BUNDLED_CORPUS, reader="learned",
                        reader_model=str(model))
        bot.build()
        reader = {q: [[round(x, 4) for x in row] for _, row in candidate_rows(bot, q)] for q in CHECK_QUESTIONS}
        judge = LearnedJudge(bot.cross_encoder(), bot.index, bot.embedder)
        passage = bot.retrieve(CHECK_CLAIMS[0][0])[0].chunk.text
        claims = {claim_text(q, a): [round(judge.features(claim_text(q, a), answer_claim(q, a), [passage])[name], 4)
                                     for name in JUDGE_FEATURES] for q, a in CHECK_CLAIMS}
    return {"corpus": "bundled", "reader": reader, "judge": claims}


def fit_judge(judge, records: list[dict], log=print, seed: int = 11) -> dict:
    """Fit the judge's stack (support logit + lexical evidence -> P(supported)) on held-out dev
    claims: each record's right answer (supported), its hallucinated answer and another record's
    right answer (not), against the record's knowledge; the threshold maximises balanced accuracy
    on out-of-fold predictions (two folds by record)."""
    from groundqa.cross_encoder import claim_text
    from groundqa.learned import JUDGE_FEATURES
    from groundqa.verify import answer_claim

    rng = random.Random(seed)
    rows, labels, record_of = [], [], []
    for number, record in enumerate(records):
        other = rng.choice(records)["right_answer"]
        for answer, label in ((record["right_answer"], 1.0), (record["hallucinated_answer"], 0.0), (other, 0.0)):
            if label == 0.0 and answer == record["right_answer"]:
                continue
            features = judge.features(claim_text(record["question"], answer), answer_claim(record["question"], answer),
                                      [record["knowledge"]])
            rows.append([features[name] for name in JUDGE_FEATURES])
            labels.append(label)
            record_of.append(number)
    x, y = np.array(rows), np.array(labels)
    folds = np.array(record_of) % 2
    out_of_fold = np.zeros(len(y))
    for fold in (0, 1):
        weights, bias = logistic(x[folds != fold], y[folds != fold])
        out_of_fold[folds == fold] = 1 / (1 + np.exp(-(x[folds == fold] @ weights + bias)))
    best, best_score = 0.5, -1.0
    for threshold in np.linspace(0.02, 0.98, 97):
        judged = out_of_fold >= threshold
        balanced = (np.mean(judged[y == 1]) + np.mean(~judged[y == 0])) / 2
        if balanced > best_score:
            best, best_score = float(threshold), float(balanced)
    weights, bias = logistic(x, y)
    log(f"judge stack: threshold {best:.2f}, out-of-fold balanced accuracy {best_score:.3f} on {len(y):,} claims")
    return {"judge_stack": {"features": list(JUDGE_FEATURES), "weights": [round(float(w), 6) for w in weights],
                            "bias": round(bias, 6)},
            "support_threshold": round(best, 2),
            "support_how": f"a logistic layer over the support logit and lexical evidence, fitted on {len(y):,} "
                           f"held-out HaluEval dev claims (right answers; hallucinated and other records' answers); "
                           f"the threshold maximises balanced accuracy out of fold (two folds by record): "
                           f"{best_score:.3f}."}


def _per_question(probability: np.ndarray, labels: np.ndarray, question: np.ndarray, count: int):
    """(best probability, whether that best candidate holds the gold) of every question."""
    best_p = np.zeros(count)
    right = np.zeros(count, dtype=bool)
    for number in range(count):
        mine = question == number
        if mine.any():
            top = int(np.argmax(np.where(mine, probability, -1.0)))
            best_p[number], right[number] = probability[top], bool(labels[top])
    return best_p, right


def _rates(best_p, right, answerable, threshold: float) -> tuple[float, float, float]:
    """(answered, answered with the gold) over answerable questions, refused over unanswerable ones."""
    answered = best_p >= threshold
    return (float(np.mean(answered[answerable])), float(np.mean((answered & right)[answerable])),
            float(np.mean(~answered[~answerable])))


THRESHOLDS = np.round(np.linspace(0.02, 0.98, 97), 2)


def _threshold(probability: np.ndarray, labels: np.ndarray, question: np.ndarray, answerable: np.ndarray,
               resamples: int = 201, seed: int = 0) -> tuple[float, float, list, tuple[float, float]]:
    """(threshold, its score, the curve, where 95% of the resamples' best thresholds fall).

    The score (mean of "answered with the gold" and "refused") is flat over a wide range, so its
    argmax moves with small changes of the features (0.22 -> 0.29 for reader 2 once); the median
    of the argmaxes over bootstrap resamples of the questions is the steadier choice."""
    best_p, right = _per_question(probability, labels, question, len(answerable))
    rng = np.random.default_rng(seed)
    picks = [_middle_of_best(_scores(best_p[draw], right[draw], answerable[draw]))
             for draw in (rng.integers(0, len(best_p), len(best_p)) for _ in range(resamples))]
    best = float(np.median(picks))  # an odd count: one of the thresholds
    score = float(_scores(best_p, right, answerable)[int(np.argmin(np.abs(THRESHOLDS - best)))])
    curve = [[round(float(t), 2), *(round(r, 3) for r in _rates(best_p, right, answerable, t))]
             for t in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)]
    low, high = np.percentile(picks, [2.5, 97.5])
    return best, score, curve, (float(low), float(high))


def _middle_of_best(scores: np.ndarray) -> float:
    """The middle one of the thresholds that share the best score."""
    tied = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(THRESHOLDS[tied[len(tied) // 2]])


def _scores(best_p: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> np.ndarray:
    """The mean of "answered with the gold" and "refused" at every threshold of THRESHOLDS."""
    answered = best_p[None, :] >= THRESHOLDS[:, None]
    answered_right = (answered & right[None, :])[:, answerable].mean(axis=1)
    refused = (~answered)[:, ~answerable].mean(axis=1)
    return (answered_right + refused) / 2
