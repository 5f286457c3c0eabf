"""Numbered schema migrations of the ledger, applied in one transaction each.

Never edit a migration that has shipped: add the next number.
"""

from __future__ import annotations

import sqlite3

PERIOD_TABLES = ("results", "rule_results", "notices", "refunds", "states", "inputs")


def _closed_guards(table: str) -> str:
    """Triggers that make a closed period's rows immutable in the database itself."""
    refuse = "BEGIN SELECT RAISE(ABORT, 'a closed period cannot be changed'); END;"
    closed = "(SELECT status FROM periods WHERE period = {row}.period) = 'closed'"
    return f"""
    CREATE TRIGGER {table}_closed_insert BEFORE INSERT ON {table}
    WHEN {closed.format(row="NEW")} {refuse}
    CREATE TRIGGER {table}_closed_update BEFORE UPDATE ON {table}
    WHEN {closed.format(row="OLD")} OR {closed.format(row="NEW")} {refuse}
    CREATE TRIGGER {table}_closed_delete BEFORE DELETE ON {table}
    WHEN {closed.format(row="OLD")} {refuse}
    """


_M1 = """
CREATE TABLE periods (
    period TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('draft', 'closed')),
    ruleset_version TEXT NOT NULL,
    ruleset_hash TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    inputs_hash TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    run_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE results (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'on_hold', 'terminated')),
    score TEXT NOT NULL,
    band_pct TEXT NOT NULL,
    breached_rules TEXT NOT NULL,
    holds TEXT NOT NULL,
    gross_amount INTEGER NOT NULL,
    refund_deduction INTEGER NOT NULL,
    score_deduction INTEGER NOT NULL,
    receivable_in INTEGER NOT NULL,
    receivable_out INTEGER NOT NULL,
    held_in INTEGER NOT NULL,
    held_out INTEGER NOT NULL,
    released INTEGER NOT NULL,
    payout INTEGER NOT NULL,
    metrics TEXT NOT NULL,      -- JSON: every metric, exact rates as "n/d"
    sub_scores TEXT NOT NULL,   -- JSON: metric, value, sub-score, weight
    PRIMARY KEY (period, partner_id),
    CHECK (payout + (held_out - held_in) + refund_deduction + score_deduction + receivable_in
           = gross_amount + receivable_out),
    CHECK (payout >= 0 AND held_out >= 0 AND receivable_out >= 0)
);
CREATE TABLE rule_results (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    breached INTEGER NOT NULL,
    streak INTEGER NOT NULL,
    value TEXT,
    comparand TEXT,
    PRIMARY KEY (period, partner_id, rule_id)
);
CREATE TABLE notices (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    streak INTEGER NOT NULL,
    deadline TEXT,
    label_zh TEXT,
    label_en TEXT,
    PRIMARY KEY (period, partner_id, rule_id, kind, seq)
);
CREATE TABLE refunds (
    period TEXT NOT NULL REFERENCES periods(period),
    refund_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    multiplier INTEGER NOT NULL,
    deduction INTEGER NOT NULL,
    customer_id TEXT,
    line INTEGER,
    PRIMARY KEY (period, refund_id)
);
CREATE TABLE states (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    streaks TEXT NOT NULL,      -- JSON {rule_id: streak}
    hold_through TEXT,
    held INTEGER NOT NULL,
    receivable INTEGER NOT NULL,
    terminated_in TEXT,
    last_assessed TEXT,
    PRIMARY KEY (period, partner_id)
);
CREATE TABLE inputs (
    period TEXT NOT NULL REFERENCES periods(period),
    table_name TEXT NOT NULL,
    file TEXT,
    sha256 TEXT,
    rows INTEGER NOT NULL,
    PRIMARY KEY (period, table_name)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    command TEXT NOT NULL,
    period TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

-- A closed period stays closed, except the last closed one may be reopened,
-- and only when the reopening was recorded in the event log just before.
CREATE TRIGGER periods_closed_delete BEFORE DELETE ON periods
WHEN OLD.status = 'closed'
BEGIN SELECT RAISE(ABORT, 'a closed period cannot be deleted'); END;
CREATE TRIGGER periods_closed_update BEFORE UPDATE ON periods
WHEN OLD.status = 'closed' AND (
    NEW.status = 'closed'
    OR NEW.period IS NOT OLD.period
    OR EXISTS (SELECT 1 FROM periods WHERE period > OLD.period AND status = 'closed')
    OR NOT EXISTS (SELECT 1 FROM events WHERE id = (SELECT max(id) FROM events)
                   AND command = 'reopen' AND period = OLD.period)
)
BEGIN SELECT RAISE(ABORT, 'a closed period cannot be changed (only the last closed period can be reopened)'); END;
""" + "".join(_closed_guards(t) for t in PERIOD_TABLES)

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "ledger: periods, results, rule results, notices, refunds, states, inputs, events", _M1),
]


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations the database has not seen yet (each in its own transaction)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT id FROM migrations")}
    for number, name, sql in MIGRATIONS:
        if number in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO migrations VALUES (?, ?, datetime('now'))", (number, name))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
