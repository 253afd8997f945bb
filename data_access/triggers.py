"""The triggers that mark the analytics cubes stale on any write to a case table.

They set ``analytics_state.dirty`` (the cubes of ``analytics`` are then not read) and
advance ``analytics_state.version`` (the data version cached figures are keyed on). The
migrations create them; ``demo`` drops and recreates them around a bulk load.
"""

from __future__ import annotations

# Case tables whose writes make the analytics stale.
SOURCE_TABLES = ("beneficiary", "beneficiary_vulnerability", "assistance", "cooperative",
                 "training_session", "attendance", "follow_up", "capacity_activity")
# Added by migration 0016 (issue 21), which creates their triggers: the older migrations
# keep making the triggers of the tables they knew (``SOURCE_TABLES``).
PARTNER_TABLES = ("partner", "referral")
ALL_SOURCE_TABLES = SOURCE_TABLES + PARTNER_TABLES



def trigger_sql(dialect: str, *, versioned: bool = True,
                tables: tuple[str, ...] = SOURCE_TABLES) -> list[str]:
    """DDL of the triggers that mark the analytics stale on any case-table write.

    ``versioned`` (migration 0004 on): they also advance ``analytics_state.version``, the
    data version readers key their cached figures on (issue 9), and any other update of the
    state row (a refresh) advances it too. SQLite triggers run per row: each row adds one
    (as cheap as the old ``WHERE dirty = 0`` test). PostgreSQL triggers run per statement
    and update the row once per transaction (``version_xact``): a transaction that wrote a
    case table always commits a new version.
    """
    if not versioned:
        mark = "UPDATE analytics_state SET dirty = 1 WHERE dirty = 0"
    elif dialect == "sqlite":
        mark = "UPDATE analytics_state SET dirty = 1, version = version + 1"
    else:
        mark = ("UPDATE analytics_state SET dirty = 1, version_xact = txid_current() "
                "WHERE dirty = 0 OR version_xact IS DISTINCT FROM txid_current()")
    statements: list[str] = []
    if dialect == "sqlite":
        for table in tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS trg_analytics_{table}_{op.lower()} "
                    f"AFTER {op} ON {table} BEGIN {mark}; END")
        if versioned:
            statements.append(
                "CREATE TRIGGER IF NOT EXISTS trg_analytics_state_version AFTER UPDATE ON "
                "analytics_state WHEN NEW.version = OLD.version BEGIN UPDATE analytics_state "
                "SET version = OLD.version + 1 WHERE id = NEW.id; END")
        return statements
    statements.append(
        "CREATE OR REPLACE FUNCTION analytics_mark_dirty() RETURNS trigger AS $$ "
        f"BEGIN {mark}; RETURN NULL; END $$ LANGUAGE plpgsql")
    for table in tables:
        statements.append(f"DROP TRIGGER IF EXISTS trg_analytics_{table} ON {table}")
        statements.append(
            f"CREATE TRIGGER trg_analytics_{table} AFTER INSERT OR UPDATE OR DELETE OR "
            f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_dirty()")
    if versioned:
        statements += [
            "CREATE OR REPLACE FUNCTION analytics_bump_version() RETURNS trigger AS $$ BEGIN "
            "IF NEW.version = OLD.version THEN NEW.version := OLD.version + 1; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "DROP TRIGGER IF EXISTS trg_analytics_state_version ON analytics_state",
            "CREATE TRIGGER trg_analytics_state_version BEFORE UPDATE ON analytics_state "
            "FOR EACH ROW EXECUTE FUNCTION analytics_bump_version()"]
    return statements


def drop_trigger_sql(dialect: str, tables: tuple[str, ...] = SOURCE_TABLES) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS trg_analytics_{table}_{op}"
                for table in tables for op in ("insert", "update", "delete")] + [
            "DROP TRIGGER IF EXISTS trg_analytics_state_version"]
    return ([f"DROP TRIGGER IF EXISTS trg_analytics_{table} ON {table}"
             for table in tables]
            + ["DROP TRIGGER IF EXISTS trg_analytics_state_version ON analytics_state",
               "DROP FUNCTION IF EXISTS analytics_mark_dirty()",
               "DROP FUNCTION IF EXISTS analytics_bump_version()"])
