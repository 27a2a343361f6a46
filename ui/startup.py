"""The first indexing of a folder, run while the chat window is already served, so the page can say
"indexing…" instead of the browser waiting on a server that is not there yet."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from groundqa.errors import REPORT_BUG, GroundQAError


class Startup:
    def __init__(self, prepare: Callable[[], object], folder: str | Path | None):
        self.prepare = prepare
        self.folder = Path(folder).name if folder else "the documents"
        self.failure: str | None = None
        self._done = threading.Event()
        self._started = time.monotonic()

    def start(self) -> Startup:
        threading.Thread(target=self._run, name="groundqa-startup", daemon=True).start()
        return self

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self.failure is None

    def status(self) -> str:
        """What the page says now (empty once ready)."""
        if self.failure:
            return f"⚠️ Indexing {self.folder} failed: {self.failure}"
        if self._done.is_set():
            return ""
        seconds = int(time.monotonic() - self._started)
        return (f"⏳ **Indexing {self.folder}…** {seconds} s so far (new and changed files only; the first "
                f"time takes about a second per document). You can ask as soon as it is done.")

    def _run(self) -> None:
        try:
            self.prepare()
        except GroundQAError as exc:
            self.failure = str(exc)
        except Exception as exc:  # a bug: the page says so, the terminal shows where
            traceback.print_exc()
            self.failure = f"{type(exc).__name__}: {exc} ({REPORT_BUG})"
        finally:
            self._done.set()
