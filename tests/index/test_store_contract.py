"""One contract, two stores: the embedded folder (FAISS + BM25 files) and PostgreSQL + pgvector behave
alike for building, incremental updates, search, filters, damage and crashes."""

import json
import shutil

import pytest

from groundqa import Assistant
from groundqa.index import Where, build_index, open_index, parse_where
from tests.conftest import EVAL_SET, ROOT

REALISTIC = ROOT / "tests" / "data" / "realistic"


@pytest.fixture(params=["folder", "postgres"])
def location(request, tmp_path):
    """Where the index lives: a folder, or a fresh database."""
    if request.param == "folder":
        return str(tmp_path / "index")
    return request.getfixturevalue("database_url")


def test_a_build_reads_back_every_chunk_as_the_text_of_its_document(location, corpus, embedder):
    report = build_index(corpus, location, embedder=embedder)
    index = open_index(location)
    assert sorted(report.added) == ["notes.md", "rivers.txt"] == sorted(index.documents)
    assert len(index.chunks) == report.chunks_total == len(index.store) > 0
    for chunk in index.chunks:
        assert index.documents[chunk.source].text[chunk.start:chunk.end] == chunk.text


def test_a_second_build_changes_nothing_and_embeds_nothing(location, corpus, embedder):
    build_index(corpus, location, embedder=embedder)
    built = open_index(location).manifest["built"]
    again = build_index(corpus, location, embedder=embedder)
    assert not again.changed and again.chunks_embedded == 0 and sorted(again.unchanged) == ["notes.md", "rivers.txt"]
    assert open_index(location).manifest["built"] == built  # nothing was published


def test_edits_additions_and_deletions_are_incremental_and_match_a_fresh_build(location, corpus, embedder, tmp_path):
    build_index(corpus, location, embedder=embedder)
    edited = "The Danube is the second-longest river in Europe. It flows through ten countries.\n\n" \
             "The Elbe flows into the North Sea at Cuxhaven.\n"
    (corpus / "rivers.txt").write_text(edited, encoding="utf-8")
    (corpus / "notes.md").unlink()
    (corpus / "lakes.txt").write_text("Lake Geneva lies between Switzerland and France.\n", encoding="utf-8")
    report = build_index(corpus, location, embedder=embedder)
    assert (report.added, report.updated, report.removed) == (["lakes.txt"], ["rivers.txt"], ["notes.md"])
    index = open_index(location)
    fresh = open_index(build_index(corpus, tmp_path / "fresh", embedder=embedder).index_dir)
    assert [c.id for c in index.chunks] == [c.id for c in fresh.chunks]
    assert len(index.store) == len(fresh.chunks)
    query = embedder.embed(["Where does the Elbe reach the sea?"])[0]
    assert index.dense(query, 3) == fresh.dense(query, 3)
    assert index.keyword("Elbe North Sea", 3) == fresh.keyword("Elbe North Sea", 3)


def test_search_ranks_like_the_embedded_store(location, embedder, tmp_path):
    build_index(REALISTIC, location, embedder=embedder)
    index = open_index(location)
    reference = open_index(build_index(REALISTIC, tmp_path / "reference", embedder=embedder).index_dir)
    questions = [json.loads(line)["question"] for line in (REALISTIC / "office-qa.jsonl").open()][:20]
    for question, vector in zip(questions, embedder.embed(questions), strict=True):
        assert index.dense(vector, 10) == reference.dense(vector, 10), question
        assert index.keyword(question, 10) == reference.keyword(question, 10), question


def test_a_filter_keeps_other_documents_out_and_still_fills_k(location, embedder, monkeypatch):
    from groundqa.index import postgres

    monkeypatch.setattr(postgres, "HNSW_EF_SEARCH", 1)  # the graph scan alone now comes back short
    if postgres.is_database(location):  # and a table this small would otherwise be sorted, not searched
        import psycopg

        with psycopg.connect(location, autocommit=True) as connection:
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                connection.execute(f"ALTER DATABASE {connection.info.dbname} SET {setting} = off")
    build_index(REALISTIC, location, embedder=embedder)
    index = open_index(location)
    where = parse_where(["source=security-handbook.md"])
    allowed = [i for i, c in enumerate(index.chunks) if c.source == "security-handbook.md"]
    vector = embedder.embed(["How much is the hotel allowance in Europe?"])[0]
    dense = index.dense(vector, 5, where)
    assert len(dense) == min(5, len(allowed)) and set(dense) <= set(allowed)
    keyword = index.keyword("password hotel allowance", 5, where)
    assert keyword and set(keyword) <= set(allowed)
    assert index.dense(vector, 5, Where(())) == index.dense(vector, 5)


def test_the_assistant_gives_the_same_answers_from_either_store(location, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "sources" / "corpus", corpus)
    ours = Assistant(index_dir=location, sources=corpus, embedder=embedder)
    reference = Assistant(index_dir=tmp_path / "reference", sources=corpus, embedder=embedder)
    for line in EVAL_SET.open():
        question = json.loads(line)["question"]
        mine, theirs = ours.ask(question), reference.ask(question)
        assert (mine.text, mine.refused) == (theirs.text, theirs.refused), question
        assert [(c.source, c.start, c.end) for c in mine.citations] == [(c.source, c.start, c.end)
                                                                      for c in theirs.citations]


def test_a_crash_while_publishing_keeps_the_previous_index(location, corpus, embedder, monkeypatch):
    from groundqa.index import build, postgres

    build_index(corpus, location, embedder=embedder)
    before = [c.id for c in open_index(location).chunks]
    (corpus / "lakes.txt").write_text("Lake Geneva lies between Switzerland and France.\n", encoding="utf-8")
    (corpus / "notes.md").unlink()

    def killed(*args, **kwargs):
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(postgres, "copy_rows", killed)  # the database: after the deletes, inside the transaction
    monkeypatch.setattr(build, "write_jsonl", killed)  # the folder: after the vectors, inside the staging folder
    with pytest.raises(RuntimeError, match="killed"):
        build_index(corpus, location, embedder=embedder)
    assert [c.id for c in open_index(location).chunks] == before
    monkeypatch.undo()
    report = build_index(corpus, location, embedder=embedder)
    assert (report.added, report.removed) == (["lakes.txt"], ["notes.md"])
