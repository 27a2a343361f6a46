"""Parse structured files (PDF, DOCX, HTML, Markdown) in a separate process with a memory limit and a
time limit, so a decompression bomb or a pathological page costs one skipped file, not minutes and
gigabytes of the indexer or the chat server. One worker is kept for the life of the process (it
starts in about 0.2 s) and replaced after it is killed.

`serve()` is that worker's loop: length-prefixed JSON (and the file's bytes) in and out. JSON, not
Python objects: the worker parses hostile files, and its replies must not be able to run code here.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from groundqa.errors import LoaderError

from .document import Document
from .loaders import load, read_source_bytes

PARSE_MEMORY_BYTES = 1 << 30  # address space of the worker; a real 50 MB PDF needs well under half
IN_PROCESS_SUFFIXES = (".txt",)  # decoding only: nothing to blow up
_HEADER = struct.Struct("!Q")
_lock = threading.Lock()
_worker: subprocess.Popen | None = None


def parse_seconds(size: int) -> float:
    """The time a file of `size` bytes may take to read: 20 s plus 4 s per MB."""
    return 20 + 4 * size / 2**20


def load_isolated(path: str | Path, root: str | Path | None = None, data: bytes | None = None) -> Document:
    """`load`, with the parsing of structured files done in the worker under its limits."""
    path = Path(path)
    if path.suffix.lower() in IN_PROCESS_SUFFIXES:
        return load(path, root, data)
    if data is None:
        data = read_source_bytes(path)
    limit = parse_seconds(len(data))
    with _lock:
        try:
            reply = _ask_worker({"path": str(path), "root": None if root is None else str(root)}, data, limit)
        except TimeoutError:
            _stop_worker()
            raise LoaderError(path, f"took longer than {limit:.0f} s to read, so it was stopped; split the file "
                                    f"or save it again in a simpler form") from None
        except (OSError, EOFError, ValueError) as exc:
            _stop_worker()
            raise LoaderError(path, f"the reader stopped while reading it ({exc or type(exc).__name__}); the file "
                                    f"may need more than {PARSE_MEMORY_BYTES >> 20} MB of memory") from None
    if "document" not in reply:
        raise LoaderError(path, str(reply.get("error")))
    try:
        return Document.from_row(reply["document"])
    except (KeyError, TypeError, ValueError) as exc:  # a reply of the wrong shape is the worker's failure
        raise LoaderError(path, f"the reader sent back a damaged document ({exc})") from None


def _ask_worker(request: dict, data: bytes, seconds: float) -> dict:
    global _worker
    if _worker is None or _worker.poll() is not None:
        _worker = _start_worker()
    assert _worker.stdin is not None and _worker.stdout is not None
    _worker.stdin.write(_frame(json.dumps(request).encode()) + _frame(data))
    _worker.stdin.flush()
    deadline = time.monotonic() + seconds
    (length,) = _HEADER.unpack(_read(_worker.stdout, _HEADER.size, deadline))
    reply = json.loads(_read(_worker.stdout, length, deadline))
    if not isinstance(reply, dict):
        raise ValueError("the worker's reply is not an object")
    return reply


def _frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


def _read(stream, size: int, deadline: float) -> bytes:
    chunks, missing = [], size
    while missing:
        if not select.select([stream], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise TimeoutError
        chunk = os.read(stream.fileno(), min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the worker exited")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _start_worker() -> subprocess.Popen:
    package_root = str(Path(sys.modules["groundqa"].__file__ or ".").parent.parent)  # the folder holding groundqa
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    # the child sets its own limits: a preexec_fn is not safe in a threaded server like the chat
    command = f"from groundqa.sources.worker import serve; serve({int(PARSE_MEMORY_BYTES)})"
    return subprocess.Popen([sys.executable, "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)


def _stop_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.kill()
        _worker.wait()
        _worker = None


def serve(memory_bytes: int) -> None:
    """The worker's loop: read a request and the file's bytes, load, reply {"document": row} or {"error": …}."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints must not corrupt the replies
    sys.stdout = sys.stderr
    while header := requests.read(_HEADER.size):
        request = json.loads(requests.read(_HEADER.unpack(header)[0]))
        data = requests.read(_HEADER.unpack(requests.read(_HEADER.size))[0])
        try:
            reply: dict = {"document": load(request["path"], request["root"], data).to_row()}
        except LoaderError as exc:
            reply = {"error": exc.reason}
        except MemoryError:
            limit = resource.getrlimit(resource.RLIMIT_AS)[0]
            reply = {"error": f"needs more than {limit >> 20} MB of memory to read; split the file or save it "
                              f"again in a simpler form"}
        del data
        replies.write(_frame(json.dumps(reply, ensure_ascii=False).encode()))
        replies.flush()

