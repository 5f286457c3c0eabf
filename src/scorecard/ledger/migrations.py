"""Numbered schema migrations of the ledger, applied in one transaction each.

Never edit a migration that has shipped: add the next number. A migration is
SQL text, or a function of the connection for what SQL cannot decide.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from scorecard.i18n import t
from scorecard.issues import InputError, Issue

V1_TABLES = ("results", "rule_results", "notices", "refunds", "states", "inputs")


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
""" + "".join(_closed_guards(t) for t in V1_TABLES)

# The assessment record (docs/ledger.md#record): every table keyed by period, made immutable for
# closed periods by the same triggers. Tickets are stored as Parquet chunks (a month can hold
# millions), each covering a range of partners, so one partner's tickets are one chunk's read.
RECORD_TABLES = (
    "partner_results",
    "sub_scores",
    "rule_results",
    "actions",
    "holds",
    "money_lines",
    "ticket_chunks",
    "refunds",
    "conduct",
    "surveys",
    "states",
    "state_streaks",
    "state_holds",
    "warnings",
    "inputs",
)
_MONEY_CHECK = """
    CHECK (payout + (held_out - held_in) + refund_deduction + score_deduction + fine_deduction + receivable_in
           = gross_amount + receivable_out + adjustment),
    CHECK (payout >= 0 AND held_out >= 0 AND receivable_out >= 0 AND released >= 0)"""
_M2_SQL = (
    """
CREATE TABLE periods (
    period TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('draft', 'closed')),
    run_seq INTEGER NOT NULL,
    ruleset_version TEXT NOT NULL,
    ruleset_hash TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    inputs_hash TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    run_at TEXT NOT NULL,
    run_by TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT,
    config_text TEXT NOT NULL,
    ruleset_json TEXT NOT NULL,
    cutoff TEXT NOT NULL
);
CREATE TABLE partner_results (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    mode TEXT NOT NULL,
    billed_users INTEGER,
    group_customers INTEGER,
    valid_complaints INTEGER NOT NULL,
    repeat_complaints INTEGER NOT NULL,
    major_complaints INTEGER NOT NULL,
    invalid_tickets INTEGER NOT NULL,
    on_time_tickets INTEGER NOT NULL,
    late_tickets INTEGER NOT NULL,
    pending_tickets INTEGER NOT NULL,
    complaint_rate_num INTEGER, complaint_rate_den INTEGER,
    zero_base INTEGER NOT NULL,
    on_time_rate_num INTEGER, on_time_rate_den INTEGER,
    reply_on_time_rate_num INTEGER, reply_on_time_rate_den INTEGER,
    resolved_tickets INTEGER NOT NULL,
    resolution_seconds INTEGER NOT NULL,
    p90_resolution_hours_num INTEGER, p90_resolution_hours_den INTEGER,
    conduct_events INTEGER NOT NULL,
    response_score TEXT NOT NULL,
    survey_count INTEGER NOT NULL,
    survey_total INTEGER NOT NULL,
    refund_total INTEGER NOT NULL,
    service_cost INTEGER NOT NULL,
    score_exact TEXT NOT NULL,
    score TEXT NOT NULL,
    band_min TEXT NOT NULL,
    band_pct TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'on_hold', 'terminated')),
    gross_amount INTEGER NOT NULL,
    refund_deduction INTEGER NOT NULL,
    score_deduction INTEGER NOT NULL,
    fine_deduction INTEGER NOT NULL,
    receivable_in INTEGER NOT NULL,
    receivable_out INTEGER NOT NULL,
    held_in INTEGER NOT NULL,
    held_out INTEGER NOT NULL,
    released INTEGER NOT NULL,
    payout INTEGER NOT NULL,
    adjustment INTEGER NOT NULL,
    held_restated INTEGER NOT NULL,
    receivable_restated INTEGER NOT NULL,
    settlement_line INTEGER,
    PRIMARY KEY (period, partner_id),"""
    + _MONEY_CHECK
    + """
);
CREATE TABLE sub_scores (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    metric TEXT NOT NULL,
    value_num INTEGER, value_den INTEGER,
    sub_score_num INTEGER NOT NULL, sub_score_den INTEGER NOT NULL,
    weight_num INTEGER NOT NULL, weight_den INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id, seq)
);
CREATE TABLE rule_results (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    metric TEXT NOT NULL,
    op TEXT NOT NULL,
    value_num INTEGER, value_den INTEGER,
    comparand_num INTEGER, comparand_den INTEGER,
    zero_base INTEGER NOT NULL,
    breached INTEGER NOT NULL,
    streak INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id, rule_id)
);
CREATE TABLE actions (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    streak INTEGER NOT NULL,
    label_zh TEXT,
    label_en TEXT,
    deadline TEXT,
    months INTEGER,
    hold_end TEXT,
    PRIMARY KEY (period, partner_id, seq)
);
CREATE TABLE holds (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('until_compliant', 'months')),
    started TEXT NOT NULL,
    ends TEXT,
    PRIMARY KEY (period, partner_id, rule_id, kind, started)
);
CREATE TABLE money_lines (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    rule_id TEXT,
    source_id TEXT,
    source_line INTEGER,
    refund_kind TEXT,
    base_amount INTEGER,
    multiplier INTEGER,
    share TEXT,
    PRIMARY KEY (period, partner_id, seq)
);
CREATE TABLE ticket_chunks (
    period TEXT NOT NULL REFERENCES periods(period),
    chunk INTEGER NOT NULL,
    first_partner TEXT,
    last_partner TEXT,
    rows INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (period, chunk)
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
CREATE TABLE conduct (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    note TEXT,
    points TEXT NOT NULL,
    state TEXT NOT NULL,
    line INTEGER,
    PRIMARY KEY (period, seq)
);
CREATE TABLE surveys (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    score INTEGER NOT NULL,
    state TEXT NOT NULL,
    line INTEGER,
    PRIMARY KEY (period, seq)
);
CREATE TABLE states (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    held INTEGER NOT NULL,
    receivable INTEGER NOT NULL,
    terminated_in TEXT,
    last_assessed TEXT,
    PRIMARY KEY (period, partner_id)
);
CREATE TABLE state_streaks (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    streak INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id, rule_id)
);
CREATE TABLE state_holds (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    started TEXT NOT NULL,
    ends TEXT,
    PRIMARY KEY (period, partner_id, rule_id, started)
);
CREATE TABLE warnings (
    period TEXT NOT NULL REFERENCES periods(period),
    seq INTEGER NOT NULL,
    file TEXT NOT NULL,
    line INTEGER,
    "column" TEXT,
    key TEXT,
    message TEXT NOT NULL,
    PRIMARY KEY (period, seq)
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
    user TEXT NOT NULL,
    command TEXT NOT NULL,
    period TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL
);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
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
"""
    + "".join(_closed_guards(t) for t in RECORD_TABLES)
)


def _m2_record(conn: sqlite3.Connection) -> None:
    """Replace the first ledger layout by the assessment record.

    A ledger of the first layout holding assessed months cannot be converted:
    it has no stored tickets, refunds or rule sets to read them from. It is
    refused, never dropped."""
    assessed = conn.execute("SELECT count(*) FROM periods").fetchone()[0]
    if assessed:
        raise InputError(
            [
                Issue(
                    "scorecard.db",
                    None,
                    None,
                    t("old_layout", count=assessed),
                    t("old_layout_expected"),
                )
            ]
        )
    for table in (*V1_TABLES, "events", "periods"):
        conn.execute(f"DROP TABLE {table}")  # their triggers go with them
    for statement in _statements(_M2_SQL):
        conn.execute(statement)


# Sign-off and audit (docs/sign-off-and-audit.md): approvals of a month's run, the payees the month
# pays, guarantee deposits, final settlements of terminated partners (requested, then applied by
# the month's run), and the per-table, per-row digests a close event authenticates. Closed months' rows of these
# tables are immutable like the rest of the record.
RECORD_TABLES_3 = ("payees", "deposits", "final_settlements")
_M3_SQL = """
CREATE TABLE approvals (
    period TEXT NOT NULL,
    run_seq INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    PRIMARY KEY (period, event_id)
);
CREATE TABLE payees (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    payee_name TEXT NOT NULL,
    bank_name TEXT NOT NULL,
    account_no TEXT NOT NULL,
    line INTEGER,
    PRIMARY KEY (period, partner_id)
);
CREATE TABLE deposits (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    deposit_in INTEGER NOT NULL,
    received INTEGER NOT NULL,
    used INTEGER NOT NULL,
    returned INTEGER NOT NULL,
    deposit_out INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id),
    CHECK (deposit_in + received = used + returned + deposit_out AND deposit_out >= 0)
);
CREATE TABLE final_settlements (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('pay', 'forfeit')),
    terminated_in TEXT,
    held INTEGER NOT NULL,
    receivable INTEGER NOT NULL,
    deposit INTEGER NOT NULL,
    set_off INTEGER NOT NULL,
    deposit_used INTEGER NOT NULL,
    deposit_returned INTEGER NOT NULL,
    forfeited INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    receivable_left INTEGER NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (period, partner_id),
    CHECK (held + deposit = set_off + deposit_used + forfeited + amount AND amount >= 0),
    CHECK (receivable = set_off + deposit_used + receivable_left AND receivable_left >= 0)
);
CREATE TABLE final_decisions (
    period TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('pay', 'forfeit')),
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id)
);
CREATE TABLE record_digests (
    period TEXT NOT NULL,
    table_name TEXT NOT NULL,
    rows INTEGER NOT NULL,
    digest TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (period, table_name)
);
""" + "".join(_closed_guards(t) for t in ("approvals", "record_digests", "final_decisions", *RECORD_TABLES_3))


def _m3_audit(conn: sqlite3.Connection) -> None:
    """Chain the event log: every event gets the hash of the one before and its own.

    Events written before this migration are chained as they are found; from
    here on each event is chained when it is written (Ledger.add_event)."""
    from scorecard.ledger.audit import GENESIS, event_hash

    conn.execute("ALTER TABLE events ADD COLUMN prev_hash TEXT")
    conn.execute("ALTER TABLE events ADD COLUMN hash TEXT")
    conn.execute("DROP TRIGGER events_append_only_update")
    prev = GENESIS
    for row in conn.execute("SELECT id, at, user, command, period, reason, detail FROM events ORDER BY id").fetchall():
        h = event_hash(tuple(row), prev)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, row[0]))
        prev = h
    conn.execute(
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events"
        " BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    for statement in _statements(_M3_SQL):
        conn.execute(statement)


_M7_SQL = """
CREATE TABLE corrections (
    period TEXT NOT NULL REFERENCES periods(period),
    dispute_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    disputed_period TEXT NOT NULL,
    record TEXT NOT NULL CHECK (record IN ('ticket', 'refund', 'conduct')),
    record_id TEXT NOT NULL,
    correction TEXT NOT NULL,
    PRIMARY KEY (period, dispute_id)
);
CREATE TABLE adjustments (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    corrected_period TEXT NOT NULL,
    component TEXT NOT NULL CHECK (component IN ('refund', 'score', 'fine', 'hold')),
    amount INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id, corrected_period, component)
);
""" + "".join(_closed_guards(t) for t in ("corrections", "adjustments"))
# The dispute register (docs/disputes.md). A dispute outlives the close of the month it disputes,
# so it is not guarded by its period; a decided dispute is final instead: the database refuses to
# change or delete it (a row a month's bulk ``disputes`` table brought belongs to that month's
# draft and goes with it). At most one accepted dispute per record. Conduct events get their
# optional ``event_id`` (the id a dispute names).
_M4 = """
ALTER TABLE conduct ADD COLUMN event_id TEXT;
CREATE TABLE disputes (
    dispute_id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    period TEXT NOT NULL,
    record TEXT NOT NULL CHECK (record IN ('ticket', 'refund', 'conduct')),
    record_id TEXT NOT NULL,
    correction TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    source TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    filed_on TEXT,
    late INTEGER NOT NULL DEFAULT 0,
    decided_by TEXT,
    decided_on TEXT,
    note TEXT,
    CHECK ((status = 'pending') = (decided_by IS NULL))
);
CREATE INDEX disputes_partner ON disputes (partner_id, period);
CREATE UNIQUE INDEX disputes_one_accepted ON disputes (period, record, record_id) WHERE status = 'accepted';
CREATE TRIGGER disputes_decided_update BEFORE UPDATE ON disputes
WHEN OLD.status <> 'pending' AND OLD.source NOT LIKE 'table:%'
BEGIN SELECT RAISE(ABORT, 'a decided dispute cannot be changed'); END;
CREATE TRIGGER disputes_filed_update BEFORE UPDATE ON disputes
WHEN NEW.dispute_id IS NOT OLD.dispute_id OR NEW.partner_id IS NOT OLD.partner_id
    OR NEW.period IS NOT OLD.period OR NEW.record IS NOT OLD.record OR NEW.record_id IS NOT OLD.record_id
    OR NEW.filed_by IS NOT OLD.filed_by OR NEW.filed_at IS NOT OLD.filed_at OR NEW.reason IS NOT OLD.reason
BEGIN SELECT RAISE(ABORT, 'what a dispute disputes cannot be changed once filed'); END;
CREATE TRIGGER disputes_decided_delete BEFORE DELETE ON disputes
WHEN OLD.status <> 'pending' AND OLD.source NOT LIKE 'table:%'
BEGIN SELECT RAISE(ABORT, 'a decided dispute cannot be deleted'); END;
"""

# The partner portal (docs/portal.md): accounts (argon2 hashes only), server-side sessions (the
# cookie's token is stored only as its SHA-256, so the file does not hand out sessions), and
# rectification reports. A re-checked report is final.
_M5 = """
CREATE TABLE portal_accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('partner', 'manager')),
    partner_id TEXT,
    password_hash TEXT NOT NULL,
    must_change INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);
CREATE TABLE portal_sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT REFERENCES portal_accounts(name),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX portal_sessions_account ON portal_sessions (account);
CREATE TABLE portal_reports (
    report_id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    period TEXT NOT NULL,
    notice_seq INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    text TEXT NOT NULL,
    file_name TEXT,
    file_type TEXT,
    file_size INTEGER,
    file_sha256 TEXT,
    original_name TEXT,
    filed_by TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    recheck TEXT CHECK (recheck IN ('passed', 'failed')),
    rechecked_by TEXT,
    rechecked_at TEXT,
    recheck_note TEXT
);
CREATE INDEX portal_reports_partner ON portal_reports (partner_id, period, notice_seq);
CREATE TRIGGER portal_reports_final BEFORE UPDATE ON portal_reports
WHEN OLD.recheck IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a re-checked report cannot be changed'); END;
CREATE TRIGGER portal_reports_delete BEFORE DELETE ON portal_reports
BEGIN SELECT RAISE(ABORT, 'a rectification report cannot be deleted'); END;
"""
# Fines, caps and the watch list (docs/settlement.md#caps, docs/metrics-and-rules.md#watch-list):
# a capped money line keeps its uncapped amount; the watch list is a record table, immutable
# once its month is closed like every other.
_M6_SQL = """
ALTER TABLE money_lines ADD COLUMN uncapped INTEGER;
CREATE TABLE watch (
    period TEXT NOT NULL REFERENCES periods(period),
    partner_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('streak', 'margin')),
    metric TEXT NOT NULL,
    op TEXT NOT NULL,
    value_num INTEGER, value_den INTEGER,
    threshold_num INTEGER NOT NULL, threshold_den INTEGER NOT NULL,
    streak INTEGER NOT NULL,
    next_streak INTEGER NOT NULL,
    next_action TEXT NOT NULL,
    action_index INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id, seq)
);
""" + _closed_guards("watch")

Migration = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "ledger: periods, results, rule results, notices, refunds, states, inputs, events", _M1),
    (2, "the assessment record: partner results, rule results, actions, holds, money lines, facts", _m2_record),
    (3, "sign-off and audit: hash-chained events, approvals, payees, closed months' digests", _m3_audit),
    (4, "the dispute register; conduct events' event_id", _M4),
    (5, "the partner portal: accounts, sessions, rectification reports", _M5),
    (6, "fines and caps: uncapped amounts of money lines; the watch list", _M6_SQL),
    (7, "prior-period corrections and adjustments of the record", _M7_SQL),
]
SCHEMA_VERSION = max(number for number, _, _ in MIGRATIONS)


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
            if callable(sql):
                sql(conn)
            else:
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
