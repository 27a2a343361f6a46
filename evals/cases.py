"""Eval set format: JSONL, one case per line.

    {"id": "q01", "question": "Who led the Russian delegation?", "answers": ["Vladimir Medinsky"],
     "answerable": true, "support": "led by Presidential Aide Vladimir Medinsky",
     "source": "istanbul-talks-2025-06.txt", "history": [["earlier question", "earlier answer"]]}

`history`, `support` (a quote from the source), `source` (expected document) and `where` (the
documents filter the question is asked under, as typed in the chat: "type=pdf date>=2025") are
optional; `answers` is empty exactly when `answerable` is false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from groundqa.errors import InputError
from groundqa.index.filters import parse_where, split_conditions

BUNDLED_SETS = Path(__file__).parent / "sets"
REQUIRED = (("id", str), ("question", str), ("answers", list), ("answerable", bool))
OPTIONAL = (("support", str), ("source", str), ("history", list), ("where", str))


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    answers: list[str]
    answerable: bool
    history: list[tuple[str, str]] = field(default_factory=list)
    support: str | None = None
    source: str | None = None
    set: str = ""
    where: str = ""  # a documents filter, e.g. "type=pdf date>=2025"


def load_cases(path: str | Path) -> tuple[list[Case], list[str]]:
    """(valid cases, problems). A malformed line is reported as "FILE:LINE: reason" and skipped.

    >>> cases, problems = load_cases(BUNDLED_SETS / "istanbul.jsonl")
    >>> len(cases), problems
    (41, [])
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot read the eval set ({exc.__class__.__name__}: {exc})"]
    cases, problems, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = _parse(json.loads(line), path.stem)
            if case.id in seen:
                raise ValueError(f"duplicate id {case.id!r}")
        except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError; "[[[…" recurses
            problems.append(f"{path}:{number}: {exc}")
            continue
        seen.add(case.id)
        cases.append(case)
    return cases, problems


def _parse(row, set_name: str) -> Case:
    if not isinstance(row, dict):
        raise ValueError(f"a case must be a JSON object, got {type(row).__name__}")
    for key, kind in REQUIRED:
        if not isinstance(row.get(key), kind):
            raise ValueError(f"field {key!r} must be {kind.__name__}, got {row.get(key)!r:.60}")
    for key, kind in OPTIONAL:
        if row.get(key) is not None and not isinstance(row[key], kind):
            raise ValueError(f"field {key!r} must be {kind.__name__}, got {row[key]!r:.60}")
    if not row["question"].strip():
        raise ValueError("field 'question' is empty")
    if not all(isinstance(a, str) and a.strip() for a in row["answers"]):
        raise ValueError("field 'answers' must hold non-empty strings")
    if row["answerable"] != bool(row["answers"]):
        raise ValueError("an answerable case needs gold 'answers'; an unanswerable one must have none")
    history = row.get("history") or []
    if not all(isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn)
               for turn in history):
        raise ValueError("field 'history' must be a list of [question, answer] string pairs")
    where = row.get("where") or ""
    try:
        parse_where(split_conditions(where))
    except InputError as exc:
        raise ValueError(f"field 'where': {exc}") from None
    return Case(row["id"], row["question"], list(row["answers"]), row["answerable"],
                [(q, a) for q, a in history], row.get("support"), row.get("source"), set_name, where)
