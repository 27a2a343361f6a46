from sources.errors import GroundQAError


class CorruptIndexError(GroundQAError):
    """Index files are missing, partial or fail their checksum."""


class IndexMismatchError(GroundQAError):
    """The index was built with another model or chunking settings."""
