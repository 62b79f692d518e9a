"""Database triggers that refuse changes to audit events and chain heads, beneath the model's own refusal.

PostgreSQL refuses UPDATE and DELETE of events, and deleting or rewinding a chain head. SQLite refuses the
updates only: its test databases are emptied with DELETE, and a deleted head is reported by verification and
recorded when it is rebuilt (safeguard.core.audit).
"""

from typing import Any

TRIGGER = "safeguard_audit_append_only"
TABLE = "core_auditevent"
HEAD_TRIGGER = "safeguard_chain_head_forward_only"
HEAD_TABLE = "core_chainhead"

POSTGRES_INSTALL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
CREATE OR REPLACE FUNCTION {HEAD_TRIGGER}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.sequence < OLD.sequence OR NEW.chain <> OLD.chain THEN
        RAISE EXCEPTION 'audit chain heads only move forward: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {HEAD_TRIGGER} BEFORE UPDATE OR DELETE ON {HEAD_TABLE}
    FOR EACH ROW EXECUTE FUNCTION {HEAD_TRIGGER}();
"""
POSTGRES_UNINSTALL = (
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}; DROP FUNCTION IF EXISTS {TRIGGER}();"
    f"DROP TRIGGER IF EXISTS {HEAD_TRIGGER} ON {HEAD_TABLE}; DROP FUNCTION IF EXISTS {HEAD_TRIGGER}();"
)
SQLITE_INSTALL = (
    f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;",
    f"CREATE TRIGGER {HEAD_TRIGGER} BEFORE UPDATE ON {HEAD_TABLE} "
    "WHEN NEW.sequence < OLD.sequence OR NEW.chain != OLD.chain "
    "BEGIN SELECT RAISE(ABORT, 'audit chain heads only move forward: UPDATE refused'); END;",
)
SQLITE_UNINSTALL = (f"DROP TRIGGER IF EXISTS {TRIGGER};", f"DROP TRIGGER IF EXISTS {HEAD_TRIGGER};")


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_INSTALL:
                cursor.execute(statement)


def uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_UNINSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_UNINSTALL:
                cursor.execute(statement)
