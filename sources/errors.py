"""Errors the engine raises; only the CLI and UI turn them into friendly text."""


class GroundQAError(Exception):
    """Base class: every message states the rule, the actual value and the fix."""


class LoaderError(GroundQAError):
    """A single file could not be read as a document. Indexing skips it with a warning."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
