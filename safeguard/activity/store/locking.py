"""One writer at a time per store file, across processes and threads.

DuckDB lets a single process open a database file read-write, and the web process and the task worker both need
the store. Each operation therefore takes an exclusive `fcntl` lock on a sibling ".lock" file (between
processes) and a re-entrant thread lock (between threads of one process, which `flock` cannot tell apart), opens
the file, works, and closes it. A thread that already holds the lock re-uses the open connection, so a
`connection()` block may call the store's other methods.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

POLL_SECONDS = 0.05

C = TypeVar("C")


class StoreBusy(RuntimeError):
    """Another process or thread kept the store longer than the lock timeout."""


class _Holder(Generic[C]):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.depth = 0
        self.resource: C | None = None


_holders: dict[str, _Holder[object]] = {}
_holders_guard = threading.Lock()


def _holder(path: Path) -> _Holder[object]:
    key = str(path.resolve())
    with _holders_guard:
        return _holders.setdefault(key, _Holder())


def _flock(lock_path: Path, deadline: float, timeout: float) -> int:
    # The lock is taken before the database is opened, so it may be the first thing in a new store folder.
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                raise StoreBusy(_busy_message(lock_path, timeout)) from None
            time.sleep(POLL_SECONDS)


def _busy_message(lock_path: Path, timeout: float) -> str:
    return (
        f"The event store {lock_path.with_suffix('').name} is busy: another process or task has held it for more "
        f"than {timeout:g} s. Try again shortly."
    )


@contextmanager
def exclusive(
    path: Path, *, timeout: float, open_resource: Callable[[], C], close_resource: Callable[[C], None]
) -> Iterator[C]:
    """The resource for `path`, opened under both locks (or re-used when this thread already holds them)."""
    holder = _holder(path)
    deadline = time.monotonic() + timeout
    if not holder.lock.acquire(timeout=timeout):
        raise StoreBusy(_busy_message(path.with_name(path.name + ".lock"), timeout))
    descriptor = None
    try:
        if holder.depth == 0:
            descriptor = _flock(path.with_name(path.name + ".lock"), deadline, timeout)
            holder.resource = open_resource()
        holder.depth += 1
        try:
            yield holder.resource  # type: ignore[misc]
        finally:
            holder.depth -= 1
            if holder.depth == 0:
                resource, holder.resource = holder.resource, None
                try:
                    close_resource(resource)  # type: ignore[arg-type]
                finally:
                    if descriptor is not None:
                        fcntl.flock(descriptor, fcntl.LOCK_UN)
                        os.close(descriptor)
                        descriptor = None
    finally:
        if descriptor is not None:  # opening failed after the file lock was taken
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)
        holder.lock.release()
