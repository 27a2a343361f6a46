"""`groundqa feedback export`: ratings from the chat become an eval set that `groundqa eval` gates on.

What each rating expects of the next version:
* 👍 on an answer: the same short answer, from the same passage (`answers`, `support`, `source`);
* 👍 on a refusal, or "Should have refused": a refusal;
* 👎, "Wrong passage", "Incomplete": the expected answer the user wrote; without one there is
  nothing to check, so the rating is left out and counted.

The newest rating of a question (with the same history and filter, on the same index) wins.
"""

from __future__ import annotations

import json
from pathlib import Path

from groundqa.feedback import Feedback


def export_cases(ratings: list[Feedback]) -> tuple[list[dict], list[str]]:
    """(eval cases, one reason per rating left out)."""
    latest: dict[tuple, Feedback] = {}
    for rating in ratings:
        latest[(rating.index, rating.question, json.dumps(rating.history), rating.where)] = rating
    cases: list[dict] = []
    left_out: list[str] = []
    for rating in latest.values():
        case = _case(rating)
        if case is None:
            left_out.append(f"{rating.rating} on {rating.question!r}: no expected answer was given")
            continue
        cases.append({"id": f"fb-{len(cases) + 1:03d}", **case})
    return cases, left_out


def write_cases(cases: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8")
    return path


def _case(rating: Feedback) -> dict | None:
    base: dict = {"question": rating.question}
    if rating.history:
        base["history"] = [list(turn) for turn in rating.history]
    if rating.where:
        base["where"] = rating.where
    if rating.rating == "Should have refused" or (rating.rating == "Like" and rating.refused):
        return base | {"answers": [], "answerable": False}
    if rating.expected:
        return base | {"answers": [rating.expected], "answerable": True}
    if rating.rating == "Like" and rating.short_answer:
        cited = rating.citations[0] if rating.citations else {}
        support = {"support": cited["quote"], "source": cited["source"]} if cited.get("quote") else {}
        return base | {"answers": [rating.short_answer], "answerable": True} | support
    return None
