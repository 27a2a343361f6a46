"""Where groundqa keeps what it makes: indexes, exported models, benchmark corpora."""

from __future__ import annotations

import os
from pathlib import Path


def groundqa_home() -> Path:
    """$GROUNDQA_HOME, else ~/.cache/groundqa."""
    return Path(os.environ.get("GROUNDQA_HOME") or Path.home() / ".cache" / "groundqa")


def models_home() -> Path:
    """Where exported models are cached: $GROUNDQA_MODELS, else $GROUNDQA_HOME/models."""
    return Path(os.environ.get("GROUNDQA_MODELS") or groundqa_home() / "models")
