"""Accept an uploaded file into a corpus folder: a safe name, a supported type, a size limit, text
that loads, and an atomic write that never overwrites a file already in the folder."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import unicodedata
from pathlib import Path

from groundqa.errors import InputError, LoaderError

from .loaders import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from .worker import load_isolated

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
                name: str | None = None, keep_both: bool = False) -> tuple[str, bool]:
    """Copy `file` into `corpus`/uploads/ once it is known to load; returns (source name, was written).

    Raises LoaderError (the file's name and a one-line reason). An identical file already there is not copied
    again; a different file with the same name replaces it (a new version, swapped in atomically), or, with
    `keep_both`, is saved beside it as "name (2).ext".
    """
    file, corpus = Path(file), Path(corpus).resolve()
    base = safe_upload_name(name or file.name)
    folder = corpus / UPLOAD_FOLDER
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise LoaderError(base, f"{folder} is not a plain folder; uploads are refused rather than written elsewhere")
    data = _loadable_bytes(file, folder / base, corpus, base, max_bytes)
    folder.mkdir(exist_ok=True)
    digest = hashlib.sha256(data).digest()
    current = folder / base
    if not keep_both and current.is_file() and not current.is_symlink():
        changed = hashlib.sha256(current.read_bytes()).digest() != digest
        if changed:
            _write(current, data, replace=True)
        return f"{UPLOAD_FOLDER}/{base}", changed
    for target in _candidates(folder, base):
        if target.is_symlink():
            continue
        if target.exists():
            if target.is_file() and hashlib.sha256(target.read_bytes()).digest() == digest:
                return f"{UPLOAD_FOLDER}/{target.name}", False
            continue
        if _write(target, data):
            return f"{UPLOAD_FOLDER}/{target.name}", True
    raise LoaderError(base, f"too many files of that name in {folder}; rename it")


def _loadable_bytes(file: Path, target: Path, corpus: Path, shown: str, max_bytes: int) -> bytes:
    """The bytes of `file`, once they are within the size limit and load as a document at `target`;
    LoaderError names the file as `shown`."""
    size = file.stat().st_size
    if size > max_bytes:
        raise LoaderError(shown, f"{size / 2**20:.1f} MB is over the upload limit of {max_bytes / 2**20:.0f} MB")
    data = file.read_bytes()
    try:
        load_isolated(target, corpus, data)
    except LoaderError as exc:
        raise LoaderError(shown, exc.reason) from None
    return data


def _candidates(folder: Path, base: str):
    stem, suffix = Path(base).stem, Path(base).suffix
    yield folder / base
    for n in range(2, 100):
        yield folder / f"{stem} ({n}){suffix}"


def _write(target: Path, data: bytes, replace: bool = False) -> bool:
    """Write via a hidden temp file + fsync, then link (never replaces a file: fails if the name was taken
    meanwhile) or, with `replace`, rename over the old version; a half-written upload is never indexed."""
    descriptor, temporary = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        if replace:
            os.replace(temporary, target)
        else:
            os.link(temporary, target)
        return True
    except FileExistsError:
        return False
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)


TRASH_FOLDER = ".trash"  # hidden, so never indexed; removed documents can be taken back from there


def source_path(corpus: str | Path, source: str) -> Path:
    """The file of document `source` (a path relative to `corpus`, as citations name it). Raises
    InputError when `corpus` holds no such document (or the name leads outside it)."""
    corpus, relative = Path(corpus).resolve(), Path(source)
    path = corpus / relative
    inside = (bool(relative.parts) and not relative.is_absolute() and ".." not in relative.parts
              and not any(part.startswith(".") for part in relative.parts)  # hidden (.trash/): never indexed
              and path.parent.resolve().is_relative_to(corpus))
    if not inside or path.is_symlink() or not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(f"no document {source!r} in {corpus}; `groundqa docs --sources {corpus}` lists them")
    return path


def remove_source(corpus: str | Path, source: str) -> Path:
    """Move document `source` into `corpus`/.trash/ (hidden, so never indexed; take it back from there)
    and return where it went."""
    path = source_path(corpus, source)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    trash = Path(corpus).resolve() / TRASH_FOLDER / stamp / source
    for n in range(2, 1000):  # the same document removed twice within a second keeps both copies
        if not trash.exists():
            break
        trash = Path(corpus).resolve() / TRASH_FOLDER / f"{stamp}-{n}" / source
    trash.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, trash)
    return trash


def replace_source(corpus: str | Path, source: str, file: str | Path, max_bytes: int = MAX_UPLOAD_BYTES) -> bool:
    """Make `file` the new version of document `source`, once it is known to load (same type; swapped in
    atomically). Returns whether the content changed. Raises InputError / LoaderError with the reason."""
    path, file = source_path(corpus, source), Path(file)
    if file.suffix.lower() != path.suffix.lower():
        raise InputError(f"{file.name} is a {file.suffix or 'suffix-less'} file; the new version of {source} must "
                         f"be a {path.suffix} file too (or add it as a document of its own)")
    data = _loadable_bytes(file, path, Path(corpus).resolve(), file.name, max_bytes)
    if path.read_bytes() == data:
        return False
    return _write(path, data, replace=True)
