"""Chunking, embedding and the FAISS store, persisted with a manifest."""

from .build import BuildReport, build_index
from .chunking import Chunk, ChunkingSettings, chunk_document
from .embedder import Embedder, shared_embedder
from .filters import Where, parse_where
from .freshness import changed_sources, folder_changed
from .home import groundqa_home
from .loaded import Index, open_index
from .postgres import DatabaseStore, is_database, shown
from .sentences import sentence_spans

__all__ = ["BuildReport", "Chunk", "ChunkingSettings", "Embedder", "Index", "build_index", "changed_sources",
           "chunk_document", "folder_changed", "groundqa_home", "open_index", "sentence_spans", "shared_embedder",
           "Where", "parse_where", "DatabaseStore", "is_database", "shown"]
