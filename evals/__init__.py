"""Eval sets, metrics, the runner and its reports.

>>> from evals import run_eval
>>> result = run_eval("evals/sets/istanbul.jsonl", report_dir="eval-report")  # doctest: +SKIP
"""

from .cases import BUNDLED_SETS, Case, load_cases
from .run import EvalResult, evaluate, run_eval
from .summary import METRICS, failing_thresholds, summarize

__all__ = ["BUNDLED_SETS", "METRICS", "Case", "EvalResult", "evaluate", "failing_thresholds", "load_cases",
           "run_eval", "summarize"]
