"""The answer engine: condense -> retrieve -> read (or generate) -> compose -> verify."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from groundqa.index import (
    BuildReport,
    DatabaseStore,
    Embedder,
    Index,
    Where,
    build_index,
    changed_sources,
    folder_changed,
    groundqa_home,
    is_database,
    open_index,
    parse_where,
    shared_embedder,
    shown,
)
from groundqa.index.filters import FIELDS, WhereLike
from groundqa.sources import BUNDLED_CORPUS, Document, remove_source, replace_source, save_upload, source_path

from .compose import REFUSAL_OPENING, extractive_answer, generated_answer, refusal, unverified
from .condense import condense
from .config import Settings
from .cross_encoder import DEFAULT_MODEL, CrossEncoder
from .documents import DocumentStatus, document_statuses
from .errors import ConfigurationError, CorruptIndexError, IndexWriteError, InputError, InternalError, LoaderError
from .injection import withhold_instructions
from .reader import Reader
from .retrieval import Hit, Retriever
from .types import Answer
from .verify import GroundingJudge, Judge, bare_claim, verify_answer

if TYPE_CHECKING:
    from .learned import LearnedReader
    from .llm import LLMBackend

MAX_QUESTION_CHARS = 2000
LEXICAL_REFUSAL_THRESHOLD = 0.545  # chosen on evals/sets/istanbul.jsonl (README, "Measured")
RESCAN_SECONDS = 2.0  # how often a question first looks for added, edited or deleted files (150 ms at 10k files)
RETRY_WRITE_SECONDS = 60.0  # after an update could not be written (a full disk), the next try waits this long
log = logging.getLogger("groundqa")


def default_index_dir(sources: str | Path) -> Path:
    """Where the index of a sources folder lives: $GROUNDQA_HOME/indexes/<name>-<hash of path>."""
    sources = Path(sources).resolve()
    digest = hashlib.sha256(str(sources).encode()).hexdigest()[:10]
    return groundqa_home() / "indexes" / f"{sources.name or 'root'}-{digest}"


class Assistant:
    """Answers questions from one folder of documents, citing the exact passages.

    >>> from groundqa import Assistant
    >>> from groundqa.sources import BUNDLED_CORPUS
    >>> bot = Assistant(sources=BUNDLED_CORPUS)  # any folder of .txt .md .html .pdf .docx files
    >>> bot.ask("Who led the Russian delegation?").short_answer
    'Presidential Aide Vladimir Medinsky'
    """

    def __init__(self, index_dir: str | Path | None = None, sources: str | Path | None = None,
                 settings: Settings | None = None, embedder: Embedder | None = None, **overrides):
        index_dir = index_dir or os.environ.get("GROUNDQA_STORE") or None  # a folder or a postgresql:// URL
        if index_dir is None:
            sources = BUNDLED_CORPUS if sources is None else sources
            index_dir = default_index_dir(sources)
        self.sources = Path(sources) if sources is not None else None
        self.index_dir: str | Path = index_dir if is_database(index_dir) else Path(index_dir)
        self.settings = (settings or Settings.from_env()).override(**overrides)
        self.embedder = embedder or shared_embedder()
        self._index: Index | None = None
        self._lock = threading.Lock()
        self._llm: LLMBackend | None = None
        self._encoder: CrossEncoder | None = None
        self._update_lock = threading.Lock()
        self._scanned_at = 0.0
        self._not_updated: str | None = None  # why the last update of the index could not be written

    # -- index lifecycle -------------------------------------------------------------------
    def build(self, show_progress: bool = False, rebuild: bool = False) -> BuildReport:
        """Bring the index up to date with the sources folder (incremental) and reload it."""
        if self.sources is None:
            raise ConfigurationError(f"no sources folder is known for the index at {self.index_name}; "
                                     f"pass sources=... to Assistant")
        report = build_index(self.sources, self.index_dir, embedder=self.embedder,
                             show_progress=show_progress, rebuild=rebuild)
        with self._lock:
            self._index = open_index(self.index_dir, model=self.embedder.name)
        self._scanned_at, self._not_updated = time.monotonic(), None
        return report

    @property
    def index_name(self) -> str:
        """Where the index lives, fit to show (a database URL without its password)."""
        return shown(str(self.index_dir)) if is_database(self.index_dir) else str(self.index_dir)

    @property
    def on_bundled_corpus(self) -> bool:
        return self.sources is not None and self.sources.resolve() == BUNDLED_CORPUS.resolve()

    @property
    def accepts_uploads(self) -> bool:
        """True when there is a folder of the user's own to add files to (never the bundled corpus)."""
        return self.sources is not None and self.sources.is_dir() and not self.on_bundled_corpus

    def add_files(self, paths, show_progress: bool = False, keep_both: bool = False) -> BuildReport:
        """Copy files into the sources folder's uploads/ and index them incrementally. A file named like
        an earlier upload is its new version (the old chunks go), unless `keep_both` saves it as "name (2)".
        Files that cannot be accepted are listed in the report's `skipped` with the reason."""
        folder = self._own_folder("takes no uploads")
        rejected = []
        for path in paths:
            try:
                save_upload(path, folder, keep_both=keep_both)
            except LoaderError as exc:
                rejected.append((exc.path, exc.reason))
            except OSError as exc:
                rejected.append((Path(path).name, f"cannot copy ({exc.strerror or exc})"))
        report = self.build(show_progress=show_progress)
        report.skipped[:0] = rejected
        return report

    def remove(self, *sources: str, show_progress: bool = False) -> BuildReport:
        """Take documents out of the index; each file moves to the sources folder's .trash/ (never
        indexed, so it can be taken back). Every name is checked before anything moves."""
        folder = self._own_folder("cannot remove documents")
        for source in sources:
            source_path(folder, source)
        for source in sources:
            remove_source(folder, source)
        return self.build(show_progress=show_progress)

    def replace(self, source: str, path: str | Path, show_progress: bool = False) -> BuildReport:
        """Make the file at `path` the new version of document `source` (same type): its old chunks go."""
        replace_source(self._own_folder("cannot replace documents"), source, path)
        return self.build(show_progress=show_progress)

    def documents(self) -> list[DocumentStatus]:
        """Every indexed document with its chunks, pages and when this version was indexed."""
        return document_statuses(self.index)

    def _own_folder(self, refusal: str) -> Path:
        if self.sources is None or not self.accepts_uploads:
            where = ("the bundled corpus" if self.on_bundled_corpus else
                     f"{self.sources} (not a folder)" if self.sources else f"the index at {self.index_name}")
            raise InputError(f"{where} {refusal}; start with --sources DIR (a folder of your own) to manage "
                             f"documents")
        return Path(self.sources)

    @property
    def index(self) -> Index:
        """The live index; built on first use from the sources folder when there is none."""
        index = self._index
        if index is None:
            if self.sources is not None:
                self._update()
            else:
                with self._lock:
                    self._index = self._index or open_index(self.index_dir, model=self.embedder.name)
            index = self._index
        if index is None:
            raise InternalError("the index is missing right after it was opened")
        return index

    def warm_up(self) -> Assistant:
        self.embedder.warm_up()
        _ = self.index.bm25
        if self.settings.reader == "learned":
            self.cross_encoder().warm_up()
        return self

    # -- answering -------------------------------------------------------------------------
    def retrieve(self, question: str, top_k: int | None = None, where: WhereLike = None) -> list[Hit]:
        """The fused top-k chunks for a question (no condensing, no reading)."""
        settings = self.settings.override(top_k=top_k)
        index = self.index
        retriever = Retriever(index, self.embedder, settings.candidates, settings.rrf_k)
        return retriever.retrieve(_clean_question(question), settings.top_k, where=_matching(index, where))

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, *,
            top_k: int | None = None, mode: str | None = None, reader: str | None = None,
            where: WhereLike = None) -> Answer:
        """Answer `question` (with optional chat `history`) from the sources, or refuse. `where`
        limits the answer to some documents: "source=policies/*", ["type=pdf", "date>=2025"], or
        {"type": ["pdf", "docx"]} (see `groundqa.index.filters`)."""
        return self.ask_with_documents(question, history, top_k=top_k, mode=mode, reader=reader, where=where)[0]

    def ask_with_documents(self, question: str, history: list[tuple[str, str]] | None = None, *,
                           top_k: int | None = None, mode: str | None = None, reader: str | None = None,
                           where: WhereLike = None) -> tuple[Answer, dict[str, Document]]:
        """`ask`, and the documents of the index snapshot the answer came from, so a passage is shown
        in the same text it was quoted from even when a rebuild lands meanwhile."""
        where = parse_where(where)  # a filter that cannot work fails before any work
        index = self._fresh_index()  # one snapshot for the whole answer
        answer = self._answer(index, question, history, top_k, mode, reader, _matching(index, where))
        stale = changed_sources(index, [c.source for c in answer.citations])
        if stale and self.sources is not None and self._not_updated is None:  # edited since the last look
            index = self._update()
            answer = self._answer(index, question, history, top_k, mode, reader, _matching(index, where))
            stale = changed_sources(index, [c.source for c in answer.citations])
        notes = []
        if self._not_updated:
            notes.append(f"the index could not be updated ({self._not_updated}); this answer comes from the "
                         f"previous index")
        notes += [f"{source} changed after it was indexed (or was deleted): its quote may no longer be in it; "
                  f"re-index with `groundqa index {index.source_root} --index {self.index_name}`" for source in stale]
        return (replace(answer, warnings=notes) if notes else answer), index.documents

    def _fresh_index(self) -> Index:
        """The index, brought up to date first when files were added, edited or deleted (looked for at
        most every RESCAN_SECONDS, so a long-lived assistant or chat never answers from old text for long).
        Without a sources folder, a database index is reopened when another process published a build."""
        index = self.index
        watched = self.sources is not None or is_database(self.index_dir)
        if not watched or time.monotonic() - self._scanned_at < RESCAN_SECONDS:
            return index
        with self._update_lock:
            if time.monotonic() - self._scanned_at < RESCAN_SECONDS:  # another question just looked
                return self.index
            self._scanned_at = time.monotonic()
            if self.sources is None:
                return self._reopened_if_moved(index)
            return self._update() if folder_changed(index, self.sources) else index

    def _reopened_if_moved(self, index: Index) -> Index:
        store = index.store
        if not isinstance(store, DatabaseStore) or store.live_generation() == index.manifest.get("generation"):
            return index
        with self._lock:
            self._index = open_index(self.index_dir, model=self.embedder.name)
            return self._index

    def _update(self) -> Index:
        """Index what changed. When the new index cannot be written (a full disk), the previous one
        keeps answering and the reason is kept to tell the user; with no previous one, the error stands."""
        try:
            self.build()
        except IndexWriteError as exc:
            self._not_updated = str(exc)
            log.warning("%s", exc)
            if self._index is None:
                try:
                    self._index = open_index(self.index_dir, model=self.embedder.name)
                except CorruptIndexError:
                    raise exc from None
            # not at every question: each try re-reads and re-embeds what changed before it fails again
            self._scanned_at = time.monotonic() + RETRY_WRITE_SECONDS - RESCAN_SECONDS
        if self._index is None:
            raise InternalError("the index is missing right after it was built")
        return self._index

    def _answer(self, index: Index, question, history, top_k, mode, reader, where: Where | None = None) -> Answer:
        question = _clean_question(question)
        settings = self.settings.override(top_k=top_k, mode=mode, reader=reader)
        history = _clean_history(history)
        standalone = condense(question, history, self.embedder, _short_answer_of(history))
        query_vector = self.embedder.embed([standalone])[0]
        retriever = Retriever(index, self.embedder, settings.candidates, settings.rrf_k)
        hits = retriever.retrieve(standalone, settings.top_k, query_vector, where)
        chosen, threshold, reader_name = self._reader(index, settings)
        if settings.mode == "llm":
            answer = self._generate(question, standalone, history, hits, index, chosen, settings)
        else:
            reading = chosen.read(standalone, hits, query_vector, settings.max_answer_sentences)
            if reading.confidence < threshold or not reading.sentences:
                answer = refusal(question, standalone, index, reading.sentences, reading.confidence, "extractive")
            else:
                short = reading.short_answer.text if reading.short_answer else None
                answer = extractive_answer(question, standalone, index, reading.sentences, short, reading.confidence)
        answer = replace(answer, reader=reader_name)
        try:
            verify_answer(index, answer)
        except InternalError:  # never show an answer that fails its own checks; keep the evidence for a fix
            log.exception("answer to %r withheld: it failed verification", question)
            return replace(unverified(question, standalone, answer.mode), reader=reader_name)
        return answer

    def grounding_judge(self, settings: Settings | None = None) -> Judge:
        """The judge the settings name (learned or lexical), as `llm` mode and the evals use it."""
        settings = settings or self.settings
        if settings.judge == "lexical":
            return GroundingJudge(self.index, self.embedder, settings.support_threshold)
        from .learned import LearnedJudge

        return LearnedJudge(self.cross_encoder(settings), self.index, self.embedder, settings.support_threshold)

    def _reader(self, index: Index, settings: Settings) -> tuple[Reader | LearnedReader, float, str]:
        """(reader, refusal threshold, name recorded with every answer)."""
        threshold = self.own_refusal_threshold(settings) if settings.refusal_threshold is None \
            else settings.refusal_threshold
        if settings.reader == "lexical":
            return Reader(index, self.embedder), threshold, "lexical"
        from .learned import LearnedReader

        encoder = self.cross_encoder(settings)
        return LearnedReader(index, self.embedder, encoder, threshold), threshold, encoder.name

    def own_refusal_threshold(self, settings: Settings | None = None) -> float:
        """The threshold the reader chose for itself, which `refusal_threshold` overrides: the lexical
        reader's 0.545, or the one on the learned model's card."""
        settings = settings or self.settings
        return LEXICAL_REFUSAL_THRESHOLD if settings.reader == "lexical" else self.cross_encoder(settings).threshold

    def cross_encoder(self, settings: Settings | None = None) -> CrossEncoder:
        """The learned model the settings name (the shipped one by default), loaded once and checked
        against its SHA-256 on first use."""
        settings = settings or self.settings
        folder = Path(settings.reader_model) if settings.reader_model else DEFAULT_MODEL
        with self._lock:
            if self._encoder is None or self._encoder.folder != folder:
                self._encoder = CrossEncoder(folder)
            return self._encoder

    def _generate(self, question, standalone, history, hits, index, reader, settings) -> Answer:
        from .llm import LLMBackend, ground_generated

        if self._llm is None:
            self._llm = LLMBackend(settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout)
        passages = [withhold_instructions(h.chunk.text, list(h.chunk.sentences), h.chunk.start) for h in hits]
        raw = self._llm.complete(standalone, passages, history)
        kept, removed = ground_generated(raw, hits, reader, self.grounding_judge(settings))
        if not kept:
            context = [s for s, _, _ in reader.candidates(hits)][:2]
            return replace(refusal(question, standalone, index, context, 0.0, "llm"), removed_sentences=removed)
        return generated_answer(question, standalone, index, kept, removed)


def _matching(index: Index, where: WhereLike) -> Where | None:
    """The filter, checked to allow at least one indexed document (else an InputError saying so)."""
    where = parse_where(where)
    if where is not None and not len(index.positions_where(where)[0]):
        count = len(index.documents)
        fields = sorted({name for d in index.documents.values() for name, _ in d.fields} - set(FIELDS))
        raise InputError(f"no indexed document matches the filter {where} ({count:,} document{'s' * (count != 1)} "
                         f"indexed; `groundqa docs` lists them; fields: {', '.join([*FIELDS, *fields])})")
    return where


def _clean_question(question) -> str:
    if not isinstance(question, str):
        raise InputError(f"question must be text. Currently, it is {type(question).__name__}")
    cleaned = " ".join(re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question).split())
    if not cleaned:
        raise InputError("question is empty (nothing but spaces or control characters); type a question, "
                         "e.g. “Who led the talks?”")
    return cleaned[:MAX_QUESTION_CHARS]


def _clean_history(history) -> list[tuple[str, str]]:
    turns = []
    for turn in history or []:
        if not isinstance(turn, (list, tuple)) or len(turn) != 2:
            raise InputError(f"history must be a list of (question, answer) pairs. Currently, one turn is {turn!r:.80}")
        turns.append((str(turn[0] or ""), str(turn[1] or "")))
    return turns


def _short_answer_of(history: list[tuple[str, str]]) -> str | None:
    """The first line of the previous answer without its markers ("Vladimir Medinsky [1]." -> name)."""
    if not history or not history[-1][1]:
        return None
    first = history[-1][1].strip().split("\n")[0]
    if first.startswith(REFUSAL_OPENING):
        return None
    first = bare_claim(first).rstrip(".")
    return first if 0 < len(first.split()) <= 8 else None
