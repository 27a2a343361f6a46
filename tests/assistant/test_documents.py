"""Managing documents: remove, replace and list, from Python and the command line; the index
follows every change and is never lost on a crash."""

import json
import os
import signal
import subprocess
import sys

import pytest

from groundqa import Assistant
from groundqa.errors import InputError, LoaderError
from groundqa.sources import TRASH_FOLDER
from groundqa.ui.cli import main


@pytest.fixture
def bot(tmp_path, corpus, embedder):
    return Assistant(index_dir=tmp_path / "index", sources=corpus, embedder=embedder).warm_up()


def _write(tmp_path, name, text):
    path = tmp_path / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_list_is_the_index_with_chunks_pages_and_time(bot):
    documents = {d.source: d for d in bot.documents()}
    assert set(documents) == {"notes.md", "rivers.txt"}
    assert documents["notes.md"].title == "Mountain notes" and documents["notes.md"].chunks >= 1
    assert documents["rivers.txt"].pages is None and documents["rivers.txt"].indexed.endswith("Z")
    assert documents["rivers.txt"].date is None  # no date in its name or text: no date filter matches it


def test_a_removed_document_is_never_answered_from_again_and_can_be_taken_back(bot, corpus, monkeypatch):
    monkeypatch.setattr("groundqa.sources.uploads.time.strftime", lambda *_: "20261129-120000")  # one second
    assert "4,806 metres" in bot.ask("How high is Mont Blanc?").text
    report = bot.remove("notes.md")
    assert report.removed == ["notes.md"] and [d.source for d in bot.documents()] == ["rivers.txt"]
    assert bot.ask("How high is Mont Blanc?").refused
    assert not (corpus / "notes.md").exists()
    assert [p.name for p in (corpus / TRASH_FOLDER).rglob("*.md")] == ["notes.md"]  # hidden: never indexed
    (corpus / "notes.md").write_text("# Mountain notes\n\nMont Blanc is high.\n")
    bot.build()
    bot.remove("notes.md")  # removed again in the same second: both copies are kept
    assert len(list((corpus / TRASH_FOLDER).rglob("notes.md"))) == 2


@pytest.mark.parametrize("name", ["missing.txt", "../outside.txt", "/etc/passwd", f"{TRASH_FOLDER}/x.txt", "",
                                  ".hidden/x.txt"])
def test_removing_what_is_not_a_document_is_an_error_and_moves_nothing(bot, corpus, name):
    (corpus.parent / "outside.txt").write_text("Not a document of this folder.\n")
    (corpus / ".hidden").mkdir()
    (corpus / ".hidden" / "x.txt").write_text("Hidden, so never indexed.\n")
    with pytest.raises(InputError, match="no document"):
        bot.remove("rivers.txt", name)
    assert (corpus / "rivers.txt").exists() and len(bot.documents()) == 2  # checked before anything moved


def test_an_upload_with_the_same_name_replaces_the_old_version(bot, tmp_path):
    bot.add_files([_write(tmp_path, "ferries.txt", "The ferry leaves at 7 am.\n")])
    report = bot.add_files([_write(tmp_path, "ferries.txt", "The ferry leaves at 9 am.\n")])
    assert report.updated == ["uploads/ferries.txt"] and not report.added
    sources = [d.source for d in bot.documents()]
    assert sources.count("uploads/ferries.txt") == 1 and not any("(2)" in s for s in sources)
    answer = bot.ask("When does the ferry leave?")
    assert "9 am" in answer.text and "7 am" not in answer.text
    kept = bot.add_files([_write(tmp_path, "ferries.txt", "The ferry leaves at 11 am.\n")], keep_both=True)
    assert kept.added == ["uploads/ferries (2).txt"]


def test_replace_swaps_any_document_for_its_new_version(bot, tmp_path, corpus):
    report = bot.replace("rivers.txt", _write(tmp_path, "rivers-v2.txt", "The Danube flows through ten countries "
                                               "and ends in the Black Sea.\n"))
    assert report.updated == ["rivers.txt"]
    assert "Black Sea" in bot.ask("Where does the Danube end?").text
    assert bot.ask("Where does the Rhine rise?").refused  # the old version's text is gone
    with pytest.raises(InputError, match="must be a .txt file too"):
        bot.replace("rivers.txt", _write(tmp_path, "rivers.md", "# Rivers\n"))
    with pytest.raises(LoaderError, match="file is empty"):
        bot.replace("rivers.txt", _write(tmp_path, "empty.txt", ""))
    assert "Black Sea" in (corpus / "rivers.txt").read_text()  # a refused version changes nothing


def test_the_bundled_corpus_and_a_bare_index_cannot_be_changed(embedder, tmp_path):
    from groundqa.sources import BUNDLED_CORPUS

    with pytest.raises(InputError, match="bundled corpus cannot remove documents"):
        Assistant(sources=BUNDLED_CORPUS, embedder=embedder).remove("istanbul-talks-2025-06.txt")
    with pytest.raises(InputError, match="the index at .* cannot replace documents; start with --sources DIR"):
        Assistant(index_dir=tmp_path / "index", embedder=embedder).replace("a.txt", tmp_path / "a.txt")
    assert (BUNDLED_CORPUS / "istanbul-talks-2025-06.txt").exists()


def test_cli_lists_adds_replaces_and_removes(tmp_path, corpus, embedder, capsys):
    index = ["--sources", str(corpus)]
    assert main(["add", str(_write(tmp_path, "ferries.txt", "The ferry leaves at 7 am.\n")), *index]) == 0
    assert "added: uploads/ferries.txt" in capsys.readouterr().out
    assert main(["replace", "uploads/ferries.txt", str(_write(tmp_path, "new.txt", "The ferry leaves at 8 am.\n")),
                 *index]) == 0
    assert "replaced: uploads/ferries.txt" in capsys.readouterr().out
    assert main(["remove", "notes.md", *index]) == 0
    assert "removed: notes.md" in capsys.readouterr().out
    assert main(["docs", *index, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["source"] for d in listed] == ["rivers.txt", "uploads/ferries.txt"]
    assert all("date" in d for d in listed)
    assert main(["docs", *index]) == 0
    assert "date" in capsys.readouterr().out.splitlines()[2]  # a column of the table's header
    assert main(["remove", "notes.md", *index]) == 2
    assert "no document 'notes.md'" in capsys.readouterr().err


def test_a_crash_during_removal_keeps_the_old_index_and_the_next_build_finishes_it(tmp_path, corpus, bot):
    """SIGKILL right after the file moved, before the new generation is published."""
    script = (f"import os, signal; from groundqa.sources import remove_source; "
              f"remove_source({str(corpus)!r}, 'notes.md'); os.kill(os.getpid(), signal.SIGKILL)")
    result = subprocess.run([sys.executable, "-c", script], env=dict(os.environ))
    assert result.returncode == -signal.SIGKILL
    reopened = Assistant(index_dir=bot.index_dir)  # the index alone: still whole, still answers
    assert {d.source for d in reopened.documents()} == {"notes.md", "rivers.txt"}
    assert bot.build().removed == ["notes.md"]
