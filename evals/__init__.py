"""Eval sets, metrics and the runner."""

from .cases import BUNDLED_SETS, Case, load_cases
from .run import run_eval, summarize

__all__ = ["BUNDLED_SETS", "Case", "load_cases", "run_eval", "summarize"]
