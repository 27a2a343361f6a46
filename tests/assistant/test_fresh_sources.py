"""Quotes come from the files as they are now: an edited, deleted or added file is noticed before an
answer is given; where the index cannot follow (no sources folder, a full disk) the answer says so."""

import errno
import os
import subprocess
import sys
import uuid

import pytest

from groundqa import Assistant
from groundqa.engine import RESCAN_SECONDS
from groundqa.index import build_index, open_index
from tests.conftest import ROOT

RHINE = "Where does the Rhine rise?"


def quote_is_on_disk(answer, folder) -> bool:
    return all((folder / c.source).read_text(encoding="utf-8")[c.start:c.end] == c.quote for c in answer.citations)


def edit_rivers(corpus) -> None:
    """Swiss Alps -> Austrian Alps, with a new first paragraph so every offset moves."""
    rivers = corpus / "rivers.txt"
    rivers.write_text("Rivers of Europe.\n\n" + rivers.read_text(encoding="utf-8").replace("Swiss", "Austrian"),
                      encoding="utf-8")


def test_a_long_lived_assistant_quotes_the_file_as_edited_a_moment_ago(corpus, embedder):
    bot = Assistant(sources=corpus, embedder=embedder)
    assert "Swiss Alps" in bot.ask(RHINE).text
    edit_rivers(corpus)  # well inside RESCAN_SECONDS: the cited file itself is checked
    answer = bot.ask(RHINE)
    assert "Austrian Alps" in answer.text and "Swiss" not in answer.text
    assert quote_is_on_disk(answer, corpus) and answer.warnings == []


def test_a_deleted_file_is_no_longer_quoted(corpus, embedder):
    bot = Assistant(sources=corpus, embedder=embedder)
    assert not bot.ask(RHINE).refused
    (corpus / "rivers.txt").unlink()
    answer = bot.ask(RHINE)
    assert all(c.source != "rivers.txt" for c in answer.citations) and answer.refused


def test_an_added_file_is_found_by_the_next_look(corpus, embedder, monkeypatch):
    monkeypatch.setattr("groundqa.engine.RESCAN_SECONDS", 0.0)
    bot = Assistant(sources=corpus, embedder=embedder)
    assert bot.ask("How long is the Loire?").refused
    (corpus / "loire.txt").write_text("The Loire is 1,006 kilometres long, the longest river in France.\n",
                                      encoding="utf-8")
    answer = bot.ask("How long is the Loire?")
    assert not answer.refused and "1,006 kilometres" in answer.text
    assert RESCAN_SECONDS <= 5  # a chat notices a new file within seconds


def test_a_touched_file_is_not_reindexed(corpus, embedder, monkeypatch):
    monkeypatch.setattr("groundqa.engine.RESCAN_SECONDS", 0.0)
    bot = Assistant(sources=corpus, embedder=embedder)
    bot.ask(RHINE)
    generation = bot.index.generation
    os.utime(corpus / "rivers.txt", ns=(1, 1))  # same bytes, new time
    monkeypatch.setattr(Assistant, "build", lambda *a, **k: pytest.fail("re-indexed an unchanged file"))
    answer = bot.ask(RHINE)
    assert answer.warnings == [] and bot.index.generation == generation and quote_is_on_disk(answer, corpus)


def test_files_the_build_skipped_do_not_trigger_a_build_at_every_question(corpus, embedder, monkeypatch):
    (corpus / "dangling.txt").symlink_to(corpus / "nowhere.txt")
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "locked.txt").write_text("secret", encoding="utf-8")
    (corpus / "locked.txt").chmod(0)
    monkeypatch.setattr("groundqa.engine.RESCAN_SECONDS", 0.0)
    bot = Assistant(sources=corpus, embedder=embedder)
    bot.ask(RHINE)
    monkeypatch.setattr(Assistant, "build", lambda *a, **k: pytest.fail("rebuilt for files it had skipped"))
    assert not bot.ask(RHINE).refused
    (corpus / "locked.txt").chmod(0o644)


def test_an_index_without_its_folder_says_its_quote_may_be_stale(corpus, tmp_path, embedder):
    build_index(corpus, tmp_path / "idx", embedder=embedder)
    bot = Assistant(index_dir=tmp_path / "idx", embedder=embedder)
    assert bot.ask(RHINE).warnings == []
    edit_rivers(corpus)
    answer = bot.ask(RHINE)
    assert "Swiss Alps" in answer.text  # what the index holds, and it says so
    assert len(answer.warnings) == 1 and answer.warnings[0].startswith("rivers.txt changed after it was indexed")
    result = subprocess.run([sys.executable, "-m", "groundqa.ui.cli", "ask", RHINE, "--index", str(tmp_path / "idx")],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "warning: rivers.txt changed after it was indexed" in result.stderr and "Swiss" in result.stdout


def test_when_the_disk_is_full_the_previous_index_answers_and_says_why(corpus, embedder, monkeypatch):
    bot = Assistant(sources=corpus, embedder=embedder)
    bot.ask(RHINE)
    edit_rivers(corpus)

    tries = []

    def full_disk(*args, **kwargs):
        tries.append(1)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("groundqa.index.build.write_jsonl", full_disk)
    answer = bot.ask(RHINE)
    assert "Swiss Alps" in answer.text  # the previous index, not no answer at all
    assert "could not be updated" in answer.warnings[0] and "No space left" in answer.warnings[0]
    assert "rivers.txt changed after it was indexed" in answer.warnings[1]
    assert not list(bot.index_dir.glob(".staging-*"))  # the half-written copy is gone at once
    monkeypatch.setattr("groundqa.engine.RESCAN_SECONDS", 0.0)
    assert bot.ask(RHINE).warnings and len(tries) == 1  # not another full re-read at every question
    monkeypatch.undo()
    bot.build()  # room again: the next update lands
    assert "Austrian Alps" in bot.ask(RHINE).text


@pytest.fixture
def tiny_disk(tmp_path):
    """A 4 MB tmpfs (needs root, as CI runs); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk_keeps_the_old_index_and_leaves_no_staging_behind(corpus, tiny_disk, embedder):
    index_dir = tiny_disk / "idx"
    build_index(corpus, index_dir, embedder=embedder)
    filler = tiny_disk / f"filler-{uuid.uuid4().hex}"
    with open(filler, "wb", buffering=0) as handle:  # fill the disk to the last block
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    edit_rivers(corpus)
    command = [sys.executable, "-m", "groundqa.ui.cli", "ask", RHINE, "--sources", str(corpus), "--index",
               str(index_dir)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0 and "Swiss Alps" in result.stdout
    assert "warning: the index could not be updated" in result.stderr
    assert not list(index_dir.glob(".staging-*")) and not list(index_dir.glob("gen-000002"))
    filler.unlink()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "Austrian Alps" in result.stdout and result.stderr.count("warning") == 0
    assert open_index(index_dir).manifest["files"]["rivers.txt"]["stat"][0] == (corpus / "rivers.txt").stat().st_size
