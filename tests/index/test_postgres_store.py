"""What only the PostgreSQL store has: servers sharing one database, its URL in messages, its server."""

import json
import os

import pytest

from groundqa import Assistant
from groundqa.errors import CorruptIndexError
from groundqa.index import build_index, open_index
from groundqa.ui.cli import main

# without the postgres extra these skip, except under CI=true (see the postgres_server fixture)
psycopg = pytest.importorskip("psycopg") if os.environ.get("CI") != "true" else __import__("psycopg")


def test_a_chat_server_without_sources_picks_up_another_servers_build(database_url, corpus, embedder, monkeypatch):
    from groundqa import engine

    monkeypatch.setattr(engine, "RESCAN_SECONDS", 0.0)
    writer = Assistant(index_dir=database_url, sources=corpus, embedder=embedder)
    writer.build()
    reader = Assistant(index_dir=database_url, embedder=embedder)
    assert reader.ask("How deep is Lake Baikal?").refused
    (corpus / "lakes.txt").write_text("Lake Baikal is 1,642 metres deep.\n", encoding="utf-8")
    writer.build()
    reply = reader.ask("How deep is Lake Baikal?")
    assert not reply.refused and "1,642 metres" in reply.text and reply.citations[0].source == "lakes.txt"


def test_a_tampered_chunk_is_damage_and_the_next_build_starts_over(database_url, corpus, embedder):
    build_index(corpus, database_url, embedder=embedder)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("UPDATE groundqa_chunks SET row = jsonb_set(row, '{text}', '\"forged\"')")
    with pytest.raises(CorruptIndexError, match="is corrupt .*not the text of its document"):
        open_index(database_url)
    report = build_index(corpus, database_url, embedder=embedder)
    assert "rebuilding from scratch" in report.rebuild_reason and sorted(report.added) == ["notes.md", "rivers.txt"]
    assert all(c.text != "forged" for c in open_index(database_url).chunks)


def test_a_rebuild_is_a_new_generation_to_every_server(database_url, corpus, embedder):
    build_index(corpus, database_url, embedder=embedder)
    build_index(corpus, database_url, embedder=embedder, rebuild=True)  # the tables are made again
    assert open_index(database_url).manifest["generation"] == 2


def test_a_manifest_of_the_wrong_shape_is_damage_too(database_url, corpus, embedder):
    build_index(corpus, database_url, embedder=embedder)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("""UPDATE groundqa_meta SET manifest = jsonb_set(manifest, '{files}', '"none"')""")
    with pytest.raises(CorruptIndexError, match="is corrupt .*'files'"):
        open_index(database_url)
    report = build_index(corpus, database_url, embedder=embedder)
    assert "previous index unusable" in report.rebuild_reason and len(open_index(database_url).documents) == 2


def test_the_index_command_and_ask_use_groundqa_store(database_url, corpus, embedder, monkeypatch, capsys):
    monkeypatch.setenv("GROUNDQA_STORE", database_url)
    assert main(["index", str(corpus)]) == 0
    assert "2 added" in capsys.readouterr().out
    assert main(["ask", "How high is Mont Blanc?", "--json"]) == 0
    assert "4,806 metres" in json.loads(capsys.readouterr().out)["text"]


def test_an_unreachable_database_is_one_line_without_its_password(capsys):
    url = "postgresql://analyst:s3cret@/reports?host=/no/such/socket/dir"
    assert main(["ask", "Who?", "--store", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot connect to postgresql://analyst:***@/reports" in err
    assert "s3cret" not in err and "Traceback" not in err


def test_without_the_postgres_extra_the_error_names_it(corpus, monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "psycopg", None)
    assert main(["index", str(corpus), "--store", "postgresql://localhost/db"]) == 2
    assert "pip install 'groundqa[postgres]'" in capsys.readouterr().err


def test_db_start_status_and_stop(postgres_server, tmp_path, capsys):
    data = str(tmp_path / "pg")
    assert main(["db", "start", "--data", data]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("postgresql://") and data in url
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    assert main(["db", "status", "--data", data]) == 0 and url in capsys.readouterr().out
    assert main(["db", "stop", "--data", data]) == 0
    capsys.readouterr()
    assert main(["db", "status", "--data", data]) == 1 and "not running" in capsys.readouterr().out


def test_db_start_in_a_folder_it_cannot_use_is_one_line(postgres_server, tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    assert main(["db", "start", "--data", str(tmp_path / "file" / "pg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("groundqa: error: cannot start a local PostgreSQL server in ") and err.count("\n") == 1
