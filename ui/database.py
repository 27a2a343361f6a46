"""`groundqa db start|stop|status`: a local PostgreSQL + pgvector server from the `pgserver` wheel, for
development and tests (production points --store at its own server)."""

from __future__ import annotations

import argparse
import os
import signal
import time
import warnings
from pathlib import Path

from groundqa.errors import ConfigurationError, MissingDependencyError
from groundqa.index import groundqa_home


def add_database_commands(commands) -> None:
    database = commands.add_parser("db", help="a local PostgreSQL + pgvector server for --store (postgres extra)")
    actions = database.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(database))
    for action, text in (("start", "start it (created on first start) and print its URL for --store"),
                         ("stop", "stop it"), ("status", "print its URL if it runs")):
        command = actions.add_parser(action, help=text)
        command.add_argument("--data", help="its data folder (default: $GROUNDQA_HOME/postgres)")
        command.set_defaults(run=_run)


def data_folder(data: str | Path | None = None) -> Path:
    return (Path(data) if data else groundqa_home() / "postgres").resolve()


def local_server(data: str | Path | None = None, stop_on_exit: bool = False):
    """The pgserver instance over `data` (started if it is not running)."""
    folder = data_folder(data)
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset, which is harmless
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError:
            raise MissingDependencyError("a local database needs the postgres extra: "
                                         "pip install 'groundqa[postgres]'") from None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return pgserver.get_server(folder, cleanup_mode="stop" if stop_on_exit else None)
        except Exception as exc:  # pgserver raises whatever initdb or pg_ctl raised
            raise ConfigurationError(f"cannot start a local PostgreSQL server in {folder} "
                                     f"({' '.join(str(exc).split())[:200]}); pass --data DIR, a folder you can "
                                     f"write to") from None


def server_url(folder: Path) -> str:
    """pgserver's URL for a data folder: it listens on a Unix socket there, never on the network."""
    return f"postgresql://postgres:@/postgres?host={folder}"


def running(folder: Path) -> int | None:
    """The server's process id when one runs over `folder`."""
    try:
        pid = int((folder / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def stop(folder: Path, timeout: float = 30.0) -> bool:
    pid = running(folder)
    if pid is None:
        return False
    os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown: ends sessions, writes a checkpoint
    deadline = time.monotonic() + timeout
    while running(folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running(folder) is None


def _run(args: argparse.Namespace) -> int:
    folder = data_folder(args.data)
    if args.action == "status":
        up = running(folder)
        print(f"running: {server_url(folder)}" if up else f"not running ({folder})")
        return 0 if up else 1
    if args.action == "stop":
        print(f"stopped ({folder})" if stop(folder) else f"not running ({folder})")
        return 0
    local_server(folder)
    print(server_url(folder))
    return 0
