"""Database triggers that refuse changes to audit events, beneath the model's own refusal.

PostgreSQL refuses UPDATE and DELETE. SQLite refuses UPDATE only: its test databases are emptied with DELETE,
and the embedded default is a single-machine install whose file an attacker could rewrite anyway.
"""

from typing import Any

TRIGGER = "safeguard_audit_append_only"
TABLE = "core_auditevent"

POSTGRES_INSTALL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
"""
POSTGRES_UNINSTALL = f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}; DROP FUNCTION IF EXISTS {TRIGGER}();"
SQLITE_INSTALL = (
    f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;"
)
SQLITE_UNINSTALL = f"DROP TRIGGER IF EXISTS {TRIGGER};"


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INSTALL)
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_INSTALL)


def uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_UNINSTALL)
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_UNINSTALL)
