"""Every error groundqa raises on purpose. The engine raises; only the CLI and the chat window turn a
`GroundQAError` into one friendly line. Anything else that escapes is a bug and keeps its traceback.

This module imports nothing, so every layer (sources, index, the engine, ui, evals) can share it.

    GroundQAError
    ├── InputError            a bad question, argument, file or eval set (ValueError too)
    │   └── LoaderError       one source file cannot be read as a document
    ├── ConfigurationError    settings that cannot work (ValueError too)
    │   ├── MissingDependencyError   an optional package is not installed (ImportError too)
    │   └── IndexWriteError          the index folder cannot be written (full disk, read-only)
    ├── CorruptIndexError     index files missing, partial, damaged or of another format
    │   └── IndexMismatchError       built with another model or settings
    ├── LLMError              the LLM endpoint is down, slow, failing or answers garbage
    └── InternalError         an invariant of groundqa itself broke: a bug, reported as one
"""

from __future__ import annotations

from pathlib import Path

REPORT_BUG = ("this is a bug in groundqa: please report it in groundqa's issue tracker with the command you ran "
              "and its --debug output")


def one_line(text: object) -> str:
    """`text` with control characters and line separators shown as escapes, so a file name holding a
    newline cannot forge a second "warning:" line.

    >>> one_line("evil.txt\\nwarning: all clear")
    'evil.txt\\\\nwarning: all clear'
    """
    return "".join(repr(c)[1:-1] if c in _BREAKING else c for c in str(text))


_BREAKING = frozenset(map(chr, [*range(32), 127, 0x85, 0x2028, 0x2029]))


class GroundQAError(Exception):
    """Base class: every message states the rule, the actual value and the fix."""


class InputError(GroundQAError, ValueError):
    """Input from the user (a question, an argument, a file, an eval set) that cannot be used."""


class LoaderError(InputError):
    """A single file could not be read as a document. Indexing skips it with a warning."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ConfigurationError(GroundQAError, ValueError):
    """A setting or environment that cannot work (an unknown backend, an LLM mode with no endpoint…)."""


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional package is missing; the message names the pip command that installs it."""


class IndexWriteError(ConfigurationError):
    """A build could not write its new generation (a full disk, a read-only folder); the live index
    is untouched and can still answer."""


class CorruptIndexError(GroundQAError):
    """Index files are missing, partial, fail their checksum or point outside their folder."""


class IndexMismatchError(CorruptIndexError):
    """The index was built with another model or chunking settings."""


class LLMError(GroundQAError):
    """The OpenAI-compatible endpoint could not be reached, timed out, failed or answered garbage.
    The message names the URL."""


class InternalError(GroundQAError):
    """groundqa broke one of its own invariants (for example a citation that no longer matches its
    source). Never the user's fault: the CLI says so and where to report it."""

    def __str__(self) -> str:
        return f"{super().__str__()} ({REPORT_BUG})"
