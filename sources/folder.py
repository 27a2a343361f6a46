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
    waiting = [root]  # a stack, not recursion: a folder nested thousands deep is just a long walk
    while waiting:
        folder = waiting.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue  # unreadable folder: skipped, as os.walk did
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                waiting.append(Path(entry.path))
            elif os.path.splitext(entry.name)[1].lower() in SUPPORTED_SUFFIXES:
                found.append(Path(entry.path))
    return sorted(found)


def valid_name(path: Path) -> bool:
    """False for a file name that is not valid UTF-8 (Python keeps its bytes as lone surrogates)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
