"""Eval sets, metrics, the runner and its reports.

>>> from groundqa.evals import BUNDLED_SETS, run_eval
>>> result = run_eval(BUNDLED_SETS / "istanbul-heldout.jsonl")  # add report_dir="out" for a report
>>> result.summary["cases"], result.summary["citations.span_validity"]["value"]
(14, 1.0)
"""

from .cases import BUNDLED_SETS, Case, load_cases
from .run import EvalResult, evaluate, run_eval
from .summary import METRICS, failing_thresholds, summarize

__all__ = ["BUNDLED_SETS", "METRICS", "Case", "EvalResult", "evaluate", "failing_thresholds", "load_cases",
           "run_eval", "summarize"]
