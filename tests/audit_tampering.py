"""For tests that play the attacker: lift the database's append-only trigger inside the test's transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from safeguard.core import db_guards


@contextmanager
def tampering_allowed() -> Iterator[None]:
    db_guards.uninstall(connection)
    try:
        yield
    finally:
        db_guards.install(connection)
