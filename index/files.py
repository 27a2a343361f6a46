"""On-disk layout: each build writes a new generation folder; `CURRENT` names the live one.

A reader sees the old generation or the new one, never a mix: the files are written and
fsynced inside a temporary folder, the folder is renamed, and only then is `CURRENT`
replaced by an atomic rename. The manifest carries a SHA-256 of every other file. A build killed
at any point leaves the live generation untouched; its staging folder is removed by the next one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from groundqa.errors import CorruptIndexError

from .schema import check_manifest

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
DOCUMENTS = "documents.jsonl"
_GENERATION = re.compile(r"gen-\d{6,12}")
# What reading a damaged index file raises (faiss raises RuntimeError, "[[[…" RecursionError): damage, not a bug
DAMAGED = (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError, RecursionError)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def current_generation(index_dir: Path) -> Path | None:
    name = current_generation_name(index_dir)
    if name is None:
        return None
    generation = Path(index_dir) / name
    # a generation's name and nothing else: "gen-000001/../../elsewhere/gen-000001" must not escape
    if not _GENERATION.fullmatch(name) or not generation.is_dir():
        raise CorruptIndexError(f"index at {index_dir} is corrupt: CURRENT points to missing {name[:80]!r}; "
                                f"run `groundqa index --rebuild`")
    return generation


def write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def publish_generation(index_dir: Path, staging: Path, manifest: dict) -> Path:
    """Checksum the staged files, write the manifest, and atomically make `staging` live."""
    manifest = dict(manifest, format=FORMAT_VERSION, checksums={
        name: sha256_bytes((staging / name).read_bytes()) for name in (VECTORS, CHUNKS, DOCUMENTS)
    })
    _write_atomic(staging / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
    # numbered after every generation folder there is, whatever CURRENT says (it may be damaged)
    numbers = [int(p.name[4:]) for p in index_dir.glob("gen-*") if _GENERATION.fullmatch(p.name)]
    final = index_dir / f"gen-{max(numbers, default=0) + 1:06d}"
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    try:
        _write_atomic(index_dir / "CURRENT", final.name.encode())
    except OSError:
        (index_dir / "CURRENT.tmp").unlink(missing_ok=True)
        if current_generation_name(index_dir) != final.name:  # not live: a full copy of the index, for nothing
            shutil.rmtree(final, ignore_errors=True)
        raise
    # The generation just replaced stays one more build: a reader in another process that read
    # CURRENT a moment ago may still be opening its files.
    for old in sorted(index_dir.glob("gen-*"))[:-2]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def remove_abandoned_staging(index_dir: Path) -> None:
    """Delete staging folders left by a build that was killed (call with the build lock held)."""
    for staging in Path(index_dir).glob(".staging-*"):
        shutil.rmtree(staging, ignore_errors=True)


def current_generation_name(index_dir: Path) -> str | None:
    pointer = Path(index_dir) / "CURRENT"
    try:
        return pointer.read_bytes()[:200].decode("utf-8", "replace").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptIndexError(f"index at {index_dir} is corrupt: cannot read CURRENT ({exc}); "
                                f"run `groundqa index --rebuild`") from None


def read_manifest(generation: Path) -> dict:
    """The manifest of a generation, after checking every file against its checksum."""
    try:
        manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
        check_manifest(manifest)
        checksums = manifest["checksums"]
        if set(checksums) != {VECTORS, CHUNKS, DOCUMENTS} or not all(isinstance(v, str) for v in checksums.values()):
            raise ValueError("its checksums are not the three index files'")
        for name, expected in checksums.items():
            if sha256_bytes((generation / name).read_bytes()) != expected:
                raise ValueError(f"{name} fails its checksum")
    except DAMAGED as exc:
        raise CorruptIndexError(f"index at {generation.parent} is corrupt ({exc}); "
                                f"run `groundqa index --rebuild`") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise CorruptIndexError(f"index at {generation.parent} has format {manifest.get('format')}, "
                                f"expected {FORMAT_VERSION}; run `groundqa index --rebuild`")
    return manifest


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
