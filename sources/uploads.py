"""Accept an uploaded file into a corpus folder: a safe name, a supported type, a size limit, text
that loads, and an atomic write that never overwrites a file already in the folder."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from groundqa.errors import LoaderError

from .loaders import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, load

UPLOAD_FOLDER = "uploads"
MAX_UPLOAD_BYTES = MAX_FILE_BYTES  # what the indexer would skip is refused at the door
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def safe_upload_name(name: str) -> str:
    """The file name part of `name`, checked: no folders, no hidden or control characters, a supported type."""
    base = unicodedata.normalize("NFC", str(name).replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not base or base in (".", "..") or base.startswith(".") or _UNSAFE.search(base):
        raise LoaderError(repr(str(name))[:60], "not a usable file name; rename it (no folders, leading dot or "
                                                "control characters)")
    if len(base.encode()) > 200:
        raise LoaderError(base[:40] + "…", "file name longer than 200 bytes; rename it")
    if Path(base).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise LoaderError(base, f"unsupported file type; upload {', '.join(SUPPORTED_SUFFIXES)} files")
    return base


def save_upload(file: str | Path, corpus: str | Path, max_bytes: int = MAX_UPLOAD_BYTES,
                name: str | None = None) -> tuple[str, bool]:
    """Copy `file` into `corpus`/uploads/ once it is known to load; returns (source name, was new).

    Raises LoaderError (the file's name and a one-line reason). An identical file already there is not copied
    again; a different file with the same name is saved as "name (2).ext" rather than replacing it.
    """
    file, corpus = Path(file), Path(corpus).resolve()
    base = safe_upload_name(name or file.name)
    size = file.stat().st_size
    if size > max_bytes:
        raise LoaderError(base, f"{size / 2**20:.1f} MB is over the upload limit of {max_bytes / 2**20:.0f} MB")
    data = file.read_bytes()
    folder = corpus / UPLOAD_FOLDER
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise LoaderError(base, f"{folder} is not a plain folder; uploads are refused rather than written elsewhere")
    try:
        load(folder / base, corpus, data)
    except LoaderError as exc:
        raise LoaderError(base, exc.reason) from None
    folder.mkdir(exist_ok=True)
    digest = hashlib.sha256(data).digest()
    for target in _candidates(folder, base):
        if target.is_symlink():
            continue
        if target.exists():
            if target.is_file() and hashlib.sha256(target.read_bytes()).digest() == digest:
                return f"{UPLOAD_FOLDER}/{target.name}", False
            continue
        if _write_new(target, data):
            return f"{UPLOAD_FOLDER}/{target.name}", True
    raise LoaderError(base, f"too many files of that name in {folder}; rename it")


def _candidates(folder: Path, base: str):
    stem, suffix = Path(base).stem, Path(base).suffix
    yield folder / base
    for n in range(2, 100):
        yield folder / f"{stem} ({n}){suffix}"


def _write_new(target: Path, data: bytes) -> bool:
    """Write via a hidden temp file + fsync + link, so a half-written upload is never indexed and an
    existing file is never replaced (link fails if the name was taken meanwhile)."""
    descriptor, temporary = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.link(temporary, target)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
