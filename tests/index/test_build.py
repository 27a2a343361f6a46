import json
import shutil

import pytest

from groundqa.errors import CorruptIndexError, IndexMismatchError
from groundqa.index import ChunkingSettings, build_index, open_index
from groundqa.index.files import current_generation


def sources_in(index):
    return {chunk.source for chunk in index.chunks}


def test_build_then_incremental_add_modify_delete(tmp_path, corpus, embedder):
    index_dir = tmp_path / "idx"
    first = build_index(corpus, index_dir, embedder=embedder)
    assert sorted(first.added) == ["notes.md", "rivers.txt"] and first.chunks_embedded == first.chunks_total > 0
    built = open_index(index_dir)
    assert sources_in(built) == {"notes.md", "rivers.txt"}
    assert len(built.store) == len(built.chunks)

    again = build_index(corpus, index_dir, embedder=embedder)
    assert again.chunks_embedded == 0 and sorted(again.unchanged) == ["notes.md", "rivers.txt"]
    assert not again.changed

    (corpus / "lakes.txt").write_text("Lake Baikal is the deepest lake in the world.")
    (corpus / "rivers.txt").write_text("The Volga is the longest river in Europe.")
    (corpus / "notes.md").unlink()
    report = build_index(corpus, index_dir, embedder=embedder)
    assert (report.added, report.updated, report.removed) == (["lakes.txt"], ["rivers.txt"], ["notes.md"])
    assert report.chunks_embedded == 2  # only the new and the changed file
    index = open_index(index_dir)
    assert sources_in(index) == {"lakes.txt", "rivers.txt"}
    assert len(index.store) == len(index.chunks) == 2
    assert "Danube" not in " ".join(c.text for c in index.chunks)
    scores, ids = index.store.search(embedder.embed(["deepest lake"])[0], 1)
    assert index.by_vector_id[int(ids[0])].source == "lakes.txt"


def test_edited_and_renamed_files_embed_only_their_new_text(tmp_path, corpus, embedder):
    index_dir = tmp_path / "idx"
    long_text = "\n\n".join(f"Paragraph {n} is about river number {n}, which floods every {n} years. "
                             f"Its delta holds {n * 7} islands." for n in range(1, 40))
    (corpus / "long.txt").write_text(long_text)
    first = build_index(corpus, index_dir, embedder=embedder)
    long_chunks = open_index(index_dir).chunks_per_source["long.txt"]
    assert long_chunks >= 4

    (corpus / "long.txt").write_text(long_text + "\n\nA closing paragraph about the estuary and its birds.")
    edited = build_index(corpus, index_dir, embedder=embedder)
    assert edited.updated == ["long.txt"] and 1 <= edited.chunks_embedded < long_chunks

    (corpus / "notes.md").rename(corpus / "mountains.md")
    renamed = build_index(corpus, index_dir, embedder=embedder)
    assert (renamed.added, renamed.removed, renamed.chunks_embedded) == (["mountains.md"], ["notes.md"], 0)
    index = open_index(index_dir)
    assert len(index.store) == len(index.chunks) == first.chunks_total
    _, ids = index.store.search(embedder.embed(["How high is Mont Blanc?"])[0], 1)
    assert index.by_vector_id[int(ids[0])].source == "mountains.md"
    _, ids = index.store.search(embedder.embed(["estuary birds"])[0], 1)
    assert "estuary" in index.by_vector_id[int(ids[0])].text


def test_bad_file_is_skipped_and_the_rest_indexed(tmp_path, corpus, embedder):
    (corpus / "binary.txt").write_bytes(b"\x00\x00garbage")
    (corpus / "empty.md").write_text("")
    report = build_index(corpus, tmp_path / "idx", embedder=embedder)
    assert sorted(report.added) == ["notes.md", "rivers.txt"]
    assert sorted(p.rsplit("/", 1)[-1] for p, _ in report.skipped) == ["binary.txt", "empty.md"]
    assert sources_in(open_index(tmp_path / "idx")) == {"notes.md", "rivers.txt"}


def test_changed_settings_rebuild_with_a_reason(tmp_path, corpus, embedder):
    build_index(corpus, tmp_path / "idx", embedder=embedder)
    report = build_index(corpus, tmp_path / "idx", embedder=embedder, chunking=ChunkingSettings(max_words=20))
    assert "chunking" in report.rebuild_reason
    assert report.chunks_embedded == report.chunks_total
    assert open_index(tmp_path / "idx").manifest["chunking"]["max_words"] == 20


def test_model_mismatch_is_a_clear_error(tmp_path, corpus, embedder):
    build_index(corpus, tmp_path / "idx", embedder=embedder)
    with pytest.raises(IndexMismatchError, match="rebuild"):
        open_index(tmp_path / "idx", model="another/model")


def test_corrupt_index_is_detected_then_rebuilt(tmp_path, corpus, embedder):
    build_index(corpus, tmp_path / "idx", embedder=embedder)
    generation = current_generation(tmp_path / "idx")
    (generation / "vectors.faiss").write_bytes(b"truncated")
    with pytest.raises(CorruptIndexError, match="checksum"):
        open_index(tmp_path / "idx")
    report = build_index(corpus, tmp_path / "idx", embedder=embedder)
    assert "unusable" in report.rebuild_reason
    assert sources_in(open_index(tmp_path / "idx")) == {"notes.md", "rivers.txt"}


def test_manifest_records_build_settings(tmp_path, corpus, embedder):
    build_index(corpus, tmp_path / "idx", embedder=embedder)
    manifest = json.loads((current_generation(tmp_path / "idx") / "manifest.json").read_text())
    assert manifest["model"] == embedder.name and manifest["dimension"] == 384
    assert set(manifest["files"]) == {"notes.md", "rivers.txt"}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert set(manifest["checksums"]) == {"vectors.faiss", "chunks.jsonl", "documents.jsonl"}


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(CorruptIndexError, match="no index found"):
        open_index(tmp_path / "nothing")


def test_symlinks_inside_and_outside_the_folder(tmp_path, corpus, embedder):
    outside = tmp_path / "outside.txt"
    outside.write_text("Lake Titicaca lies between Peru and Bolivia.")
    (corpus / "linked.txt").symlink_to(outside)
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)
    (corpus / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    report = build_index(corpus, tmp_path / "idx", embedder=embedder)
    assert sorted(report.added) == ["linked.txt", "notes.md", "rivers.txt"]
    assert [p.rsplit("/", 1)[-1] for p, _ in report.skipped] == ["dangling.txt"]


def test_a_killed_builds_staging_folder_is_removed_and_the_previous_generation_kept(tmp_path, corpus, embedder):
    index_dir = tmp_path / "idx"
    build_index(corpus, index_dir, embedder=embedder)
    first = current_generation(index_dir).name
    (index_dir / ".staging-killed").mkdir()
    ((index_dir / ".staging-killed") / "vectors.faiss").write_bytes(b"half")
    (corpus / "more.txt").write_text("The Tagus is the longest river of the Iberian Peninsula.")
    build_index(corpus, index_dir, embedder=embedder)
    assert not list(index_dir.glob(".staging-*"))
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [first, current_generation(index_dir).name]
    (corpus / "more.txt").write_text("The Ebro flows into the Mediterranean.")
    build_index(corpus, index_dir, embedder=embedder)
    assert first not in {p.name for p in index_dir.glob("gen-*")} and len(list(index_dir.glob("gen-*"))) == 2


def test_open_index_follows_a_generation_published_while_it_read(tmp_path, corpus, embedder, monkeypatch):
    from groundqa.index import loaded

    index_dir = tmp_path / "idx"
    build_index(corpus, index_dir, embedder=embedder)
    old = current_generation(index_dir)
    (corpus / "more.txt").write_text("The Tagus is the longest river of the Iberian Peninsula.")
    real_read = loaded.read_jsonl
    calls = []

    def read_while_a_build_lands(path):
        if not calls:  # another process publishes and prunes the generation being read
            calls.append(path)
            build_index(corpus, index_dir, embedder=embedder)
            shutil.rmtree(old)
        return real_read(path)

    monkeypatch.setattr(loaded, "read_jsonl", read_while_a_build_lands)
    index = open_index(index_dir)
    assert "more.txt" in index.chunks_per_source and calls
