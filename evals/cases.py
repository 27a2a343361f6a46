"""Eval set format: JSONL, one case per line (id, question, history?, answers, answerable, support?, source?)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

BUNDLED_SETS = Path(__file__).parent / "sets"


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    answers: list[str]
    answerable: bool
    history: list[tuple[str, str]] = field(default_factory=list)
    support: str | None = None
    source: str | None = None


def load_cases(path: str | Path) -> tuple[list[Case], list[str]]:
    """(valid cases, problems); a malformed line is reported with its line number and skipped."""
    cases, problems = [], []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(_parse(json.loads(line)))
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(f"{path}:{number}: {exc}")
    return cases, problems


def _parse(row: dict) -> Case:
    if not isinstance(row, dict):
        raise ValueError("a case must be a JSON object")
    for key, kind in (("id", str), ("question", str), ("answers", list), ("answerable", bool)):
        if not isinstance(row.get(key), kind):
            raise ValueError(f"field {key!r} must be {kind.__name__}, got {row.get(key)!r}")
    history = row.get("history") or []
    if not all(isinstance(turn, list) and len(turn) == 2 for turn in history):
        raise ValueError("field 'history' must be a list of [question, answer] pairs")
    return Case(row["id"], row["question"], [str(a) for a in row["answers"]], row["answerable"],
                [(str(q), str(a)) for q, a in history], row.get("support"), row.get("source"))
