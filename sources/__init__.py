"""Document loaders and the bundled corpus."""

from .document import Document, Heading
from .folder import BUNDLED_CORPUS, iter_source_files, source_paths, valid_name
from .loaders import (
                      MAX_FILE_BYTES,
                      MAX_TEXT_CHARS,
                      SUPPORTED_SUFFIXES,
                      TEXT_VERSION,
                      load,
                      read_source_bytes,
                      read_text,
                      relative_source,
)
from .uploads import (
                      MAX_UPLOAD_BYTES,
                      TRASH_FOLDER,
                      UPLOAD_FOLDER,
                      remove_source,
                      replace_source,
                      safe_upload_name,
                      save_upload,
                      source_path,
)
from .worker import load_isolated

__all__ = ["BUNDLED_CORPUS", "Document", "Heading", "MAX_FILE_BYTES", "MAX_TEXT_CHARS", "MAX_UPLOAD_BYTES",
           "SUPPORTED_SUFFIXES", "TEXT_VERSION", "UPLOAD_FOLDER", "iter_source_files", "load", "read_source_bytes",
           "read_text", "relative_source", "remove_source", "replace_source", "safe_upload_name", "save_upload",
           "source_path", "source_paths", "TRASH_FOLDER", "load_isolated", "valid_name"]
