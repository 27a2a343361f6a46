"""Every file an index reads, damaged every way we could think of — cut short, a byte flipped, valid
JSON with a field of every wrong type, nesting deeper than Python recurses, rows rewritten with a
matching checksum — is found on opening, said in one line, rebuilt, and the next answer is right."""

import hashlib
import json

import pytest

from groundqa.errors import CorruptIndexError
from groundqa.index import build_index, open_index
from groundqa.index.files import current_generation
from groundqa.index.schema import CHUNK, DOCUMENT, MANIFEST
from groundqa.ui.cli import main

WRONG = [None, True, "x", [1], {"a": 1}, 2.5]
DEEP = "[" * 100_000 + "]" * 100_000


def wrong_values(kind) -> list:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return [v for v in WRONG if not isinstance(v, kinds) or (isinstance(v, bool) and int in kinds)]


def cut_in_half(data: bytes) -> bytes:
    return data[:len(data) // 2]


def flip_a_byte(data: bytes) -> bytes:
    """One byte from the middle on, XOR 0x55: in a JSON file the next quote, since a flipped digit of a
    file's hash or mtime in the manifest is a valid value (that file is then re-read, not an error)."""
    middle = len(data) // 2
    quote = data.find(b'"', middle) if data.lstrip()[:1] in (b"{", b"[") else -1
    at = quote if quote >= 0 else middle
    return data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1:]


FILE_DAMAGE = [(name, damage) for name in ("CURRENT", "manifest.json", "chunks.jsonl", "documents.jsonl",
                                           "vectors.faiss")
               for damage in (cut_in_half, flip_a_byte, lambda data: b"", lambda data: DEEP.encode())]
MANIFEST_EDITS = [(field, value) for field, kind in MANIFEST.items() for value in wrong_values(kind)]
ROW_EDITS = [(name, field, value) for name, fields in (("chunks.jsonl", CHUNK), ("documents.jsonl", DOCUMENT))
             for field, kind in fields.items() for value in wrong_values(kind)]


@pytest.fixture
def built(corpus, tmp_path, embedder):
    index_dir = tmp_path / "idx"
    build_index(corpus, index_dir, embedder=embedder)
    return corpus, index_dir, current_generation(index_dir)


def assert_one_line_rebuild_and_right_answer(corpus, index_dir, capsys):
    with pytest.raises(CorruptIndexError):
        open_index(index_dir)
    assert main(["ask", "How high is Mont Blanc?", "--index", str(index_dir)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("groundqa: error: ") and "rebuild" in error
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    note = capsys.readouterr().err
    assert note.count("\n") == 1 and note.startswith("note: previous index unusable")
    assert main(["ask", "How high is Mont Blanc?", "--sources", str(corpus), "--index", str(index_dir)]) == 0
    assert "4,806 metres" in capsys.readouterr().out


@pytest.mark.parametrize("name, damage", FILE_DAMAGE)
def test_a_damaged_index_file(built, capsys, name, damage):
    corpus, index_dir, generation = built
    path = index_dir / name if name == "CURRENT" else generation / name
    path.write_bytes(damage(path.read_bytes()))
    assert_one_line_rebuild_and_right_answer(corpus, index_dir, capsys)


@pytest.mark.parametrize("field, value", MANIFEST_EDITS + [("files", "deep"), ("chunking", "deep")])
def test_a_manifest_field_of_the_wrong_type(built, capsys, field, value):
    corpus, index_dir, generation = built
    manifest = json.loads((generation / "manifest.json").read_text())
    text = json.dumps(manifest | {field: "DEEP" if value == "deep" else value}).replace('"DEEP"', DEEP)
    (generation / "manifest.json").write_text(text)
    assert_one_line_rebuild_and_right_answer(corpus, index_dir, capsys)


@pytest.mark.parametrize("name, field, value", ROW_EDITS)
def test_a_row_of_the_wrong_shape_even_with_a_matching_checksum(built, capsys, name, field, value):
    corpus, index_dir, generation = built
    rows = [json.loads(line) for line in (generation / name).read_text().splitlines()]
    rows[0][field] = value
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    (generation / name).write_bytes(data)
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest["checksums"][name] = hashlib.sha256(data).hexdigest()  # a forger who knows the format
    (generation / "manifest.json").write_text(json.dumps(manifest))
    assert_one_line_rebuild_and_right_answer(corpus, index_dir, capsys)


def test_a_chunk_that_is_not_its_documents_text_is_damage(built, capsys):
    corpus, index_dir, generation = built
    rows = [json.loads(line) for line in (generation / "chunks.jsonl").read_text().splitlines()]
    rows[0]["text"] = rows[0]["text"].replace("4,806", "9,999")  # a forged quote
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    (generation / "chunks.jsonl").write_bytes(data)
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest["checksums"]["chunks.jsonl"] = hashlib.sha256(data).hexdigest()
    (generation / "manifest.json").write_text(json.dumps(manifest))
    assert_one_line_rebuild_and_right_answer(corpus, index_dir, capsys)
