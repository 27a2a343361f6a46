"""One typed settings object; call-time arguments override it, None meaning "use the default"."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Literal

from .errors import ConfigurationError


@dataclass(frozen=True)
class Settings:
    top_k: int = 5
    candidates: int = 20          # per retriever, before fusion
    rrf_k: int = 60
    reader: Literal["learned", "lexical"] = "lexical"
    judge: Literal["learned", "lexical"] = "learned"
    reader_model: str | None = None  # folder of a learned reader (default: the one that ships)
    # Below this reader confidence the assistant refuses; None = the reader's own (lexical 0.545,
    # chosen on evals/sets/istanbul.jsonl; learned: chosen on HaluEval dev, see its model card).
    refusal_threshold: float | None = None
    max_answer_sentences: int = 2
    mode: Literal["extractive", "llm"] = "extractive"
    llm_url: str | None = None    # OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1
    llm_model: str | None = None
    llm_api_key: str = "not-needed"
    llm_timeout: float = 60.0
    support_threshold: float | None = None  # grounding judge's minimum support; None = the judge's own

    def __post_init__(self):
        if self.top_k < 1:
            raise ConfigurationError(f"top_k must be greater than 0. Currently, top_k is {self.top_k}")
        if self.mode not in ("extractive", "llm"):
            raise ConfigurationError(f"mode must be 'extractive' or 'llm'. Currently, mode is {self.mode!r}")
        for name, choices in (("reader", ("learned", "lexical")), ("judge", ("learned", "lexical"))):
            if getattr(self, name) not in choices:
                raise ConfigurationError(f"{name} must be 'learned' or 'lexical'. Currently, it is "
                                         f"{getattr(self, name)!r}")
        if self.refusal_threshold is not None and not 0.0 <= self.refusal_threshold <= 1.0:
            raise ConfigurationError(f"refusal_threshold must be within [0, 1]. "
                                     f"Currently, it is {self.refusal_threshold}")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then GROUNDQA_LLM_URL / GROUNDQA_LLM_MODEL, then non-None `overrides`."""
        env = {"llm_url": os.environ.get("GROUNDQA_LLM_URL"), "llm_model": os.environ.get("GROUNDQA_LLM_MODEL")}
        return cls().override(**env).override(**overrides)

    def override(self, **values) -> Settings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})
