"""Is an index still the text on disk? Cheap stat checks, a content hash only when a file's size or
modification time moved (a `touch` or a copy that keeps the bytes is not a change)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from groundqa.errors import LoaderError
from groundqa.sources import read_source_bytes, relative_source, source_paths, valid_name

from .files import sha256_bytes
from .loaded import Index


def file_stat(path: str | Path) -> list[int] | None:
    """[size, mtime_ns] as the manifest records it; None when the file cannot be stat'ed."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def changed_sources(index: Index, sources: Iterable[str]) -> list[str]:
    """The sources among `sources` whose file was edited or deleted after the index was built."""
    return [source for source in dict.fromkeys(sources) if not _unchanged(index, source)]


def folder_changed(index: Index, folder: str | Path) -> bool:
    """True when a supported file under `folder` was added, edited or deleted since the index was
    built (files the build skipped count as known, so a bad file does not trigger a build every time)."""
    root = Path(folder).resolve()
    root = root if root.is_dir() else root.parent
    found = {relative_source(path, root) for path in source_paths(folder) if valid_name(path)}
    known = set(index.manifest.get("files", {})) | set(index.manifest.get("skipped", {}))
    return found != known or bool(changed_sources(index, found))


def _unchanged(index: Index, source: str) -> bool:
    entry = index.manifest.get("files", {}).get(source) or index.manifest.get("skipped", {}).get(source)
    if not isinstance(entry, dict):
        return False
    path = os.path.join(index.source_root, source)  # a str: pathlib is slow at 10k files a look
    now = file_stat(path)
    if now is None:  # gone, or a dangling link the build skipped and that still dangles
        return entry.get("stat") is None and entry.get("sha256") is None
    if now in (entry.get("stat"), index.verified_stats.get(source)):
        return True
    if entry.get("sha256") is None:  # skipped unread (no permission, say) and its stat moved: look again
        return False
    try:
        same = sha256_bytes(read_source_bytes(path)) == entry.get("sha256")
    except LoaderError:
        return False
    if same:
        index.verified_stats[source] = now  # touched, not edited: hash it once, not on every question
    return same
