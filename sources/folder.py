"""Find the loadable files under a folder."""

from __future__ import annotations

import os
from pathlib import Path

from groundqa.errors import InputError

from .loaders import SUPPORTED_SUFFIXES

BUNDLED_CORPUS = Path(__file__).parent / "corpus"


def iter_source_files(root: str | Path) -> list[Path]:
    """Supported files under `root`, sorted; hidden folders and symlinked folders are skipped."""
    root = Path(root)
    if not root.exists():
        raise InputError(f"source folder {str(root)!r} does not exist; pass an existing folder")
    if root.is_file():
        return [root] if root.suffix.lower() in SUPPORTED_SUFFIXES else []
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(folder) / name)
    return found
