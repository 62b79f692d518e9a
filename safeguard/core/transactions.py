"""Work to run once a transaction commits, once per key however many writes ask for it."""

from collections.abc import Callable, Hashable

from django.db import connection, transaction


def on_commit_once(key: Hashable, callback: Callable[[], None]) -> None:
    """Run `callback` after the commit, unless a callback with the same key is already waiting (an import of
    thousands of rows, each written in its own savepoint, asks once).

    Reusing a callback already registered is safe: Django drops a callback when a savepoint it was registered in
    rolls back, and any savepoint still open around it is open around this caller too, so whatever discards that
    callback discards this change with it.
    """
    if any(getattr(waiting, "once_key", None) == key for _, waiting, *_ in connection.run_on_commit):
        return

    def run() -> None:
        callback()

    run.once_key = key  # type: ignore[attr-defined]
    transaction.on_commit(run)
