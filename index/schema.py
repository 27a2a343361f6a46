"""The shape of every record an index reads back: a manifest, chunk rows and document rows that are
valid JSON of the wrong shape (an editor, a disk, a hostile user) are damage, found when the index
is opened — not a TypeError in the middle of an answer."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

_OPTIONAL_STR: Any = (str, type(None))
_OPTIONAL_INT: Any = (int, type(None))

MANIFEST = {"format": int, "model": str, "dimension": int, "text": int, "chunking": dict, "store": str,
            "source_root": str, "built": str, "vector_index": dict, "files": dict, "skipped": dict,
            "checksums": dict}
FILE_ENTRY = {"sha256": str, "title": str, "chunks": int, "pages": int, "indexed": str}
SKIPPED_ENTRY = {"sha256": _OPTIONAL_STR, "reason": str}
CHUNK = {"id": str, "source": str, "title": str, "text": str, "start": int, "end": int, "sentences": list,
         "page": _OPTIONAL_INT, "date": _OPTIONAL_STR, "section": _OPTIONAL_STR}
DOCUMENT = {"source": str, "title": str, "text": str, "date": _OPTIONAL_STR, "page_starts": list,
            "headings": list, "sha256": str, "fields": dict}


def check_manifest(manifest: Any) -> None:
    """ValueError naming the first field of the wrong type."""
    check_record(manifest, MANIFEST, "the manifest", optional={"vector_index", "skipped"})
    for source, entry in manifest["files"].items():
        check_record(entry, FILE_ENTRY, f"the manifest's entry for {source!r}")
        _check_stat(entry, source)
    for source, entry in manifest.get("skipped", {}).items():
        check_record(entry, SKIPPED_ENTRY, f"the manifest's skipped entry for {source!r}")
        _check_stat(entry, source)


def check_chunk_row(row: Any) -> None:
    check_record(row, CHUNK, "a chunk row")
    if not (0 <= row["start"] <= row["end"]) or len(row["id"]) < 15 or not _is_hex(row["id"]):
        raise ValueError(f"chunk {row['id'][:20]!r} has impossible offsets or id")
    if not all(_int_pair(s) and row["start"] <= s[0] <= s[1] <= row["end"] for s in row["sentences"]):
        raise ValueError(f"chunk {row['id'][:20]!r} has sentences outside its text")


def check_document_row(row: Any) -> None:
    check_record(row, DOCUMENT, "a document row", optional={"sha256", "fields"})
    if not all(_is_int(p) for p in row["page_starts"]) or not all(
            isinstance(h, list) and len(h) == 3 and all(map(_is_int, h)) for h in row["headings"]):
        raise ValueError(f"document {row['source'][:80]!r} has damaged pages or headings")
    if not all(isinstance(value, str) for value in row.get("fields", {}).values()):
        raise ValueError(f"document {row['source'][:80]!r} has damaged front-matter fields")


def check_record(record: Any, fields: dict[str, Any], what: str, optional: Collection[str] = ()) -> None:
    if not isinstance(record, dict):
        raise ValueError(f"{what} is not an object")
    for name, kind in fields.items():
        if name not in record:
            if name in optional:
                continue
            raise ValueError(f"{what} lacks {name!r}")
        value, kinds = record[name], kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and int in kinds or not isinstance(value, kinds):  # True is an int to Python
            raise ValueError(f"{what} has {name!r} of type {type(value).__name__}")


def _check_stat(entry: dict, source: str) -> None:
    stat = entry.get("stat")
    if stat is not None and not _int_pair(stat):
        raise ValueError(f"the manifest's stat for {source!r} is damaged")


def _int_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_int, value))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hex(text: str) -> bool:
    try:
        int(text[:15], 16)
    except ValueError:
        return False
    return True
