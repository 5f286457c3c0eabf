"""The dispute register: file, decide and list disputes of single records (docs/disputes.md).

The command line and the partner portal both call these functions, so a
dispute filed or decided in either is the same record, checked the same way.
A dispute is checked against the stored record of the month it disputes
(what the month's assessment counted), never against the input files.

Each function works inside one write transaction of the ledger, so the
checks and the write see the same record even while a run replaces a draft.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.ledger import Ledger
from scorecard.ledger.store import load_tickets
from scorecard.periods import Period

KINDS = ("ticket", "refund", "conduct")
STATUSES = ("pending", "accepted", "rejected")
COUNTED_TICKETS = ("on_time", "late", "pending")  # a ticket in any other state did not count
_RESOLVED_RE = re.compile(r"^resolved_at=(.+)$")
_ID_FIELD = {"ticket": "ticket_id", "refund": "refund_id", "conduct": "event_id"}
_TABLE = {"ticket": "tickets", "refund": "refunds", "conduct": "conduct"}


class DisputeError(InputError):
    """A dispute the register refuses. ``unknown`` marks "no such record of yours": the portal
    answers it as it answers a page that does not exist."""

    def __init__(self, message: str, *, unknown: bool = False, expected: str | None = None) -> None:
        super().__init__([Issue("disputes", None, None, message, expected)], message)
        self.message = message
        self.unknown = unknown


@dataclass(frozen=True, slots=True)
class Settings:
    window_days: int = 10
    timezone: str = "Asia/Shanghai"  # the filing time's calendar day is the workspace's local day


@dataclass(frozen=True, slots=True)
class Dispute:
    dispute_id: str
    partner_id: str
    period: Period
    record: str  # ticket / refund / conduct
    record_id: str
    correction: str
    reason: str
    status: str  # pending / accepted / rejected
    source: str  # cli / portal / table:YYYY-MM
    filed_by: str
    filed_at: str  # UTC, ISO 8601
    filed_on: date | None
    late: bool
    decided_by: str | None
    decided_on: str | None  # UTC, ISO 8601
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dispute_id": self.dispute_id,
            "partner_id": self.partner_id,
            "period": str(self.period),
            "record": self.record,
            "record_id": self.record_id,
            "correction": self.correction,
            "reason": self.reason,
            "status": self.status,
            "source": self.source,
            "filed_by": self.filed_by,
            "filed_at": self.filed_at,
            "filed_on": self.filed_on.isoformat() if self.filed_on else None,
            "late": self.late,
            "decided_by": self.decided_by,
            "decided_on": self.decided_on,
            "note": self.note,
        }


def settings_from(config: Any) -> Settings:
    """The register's settings from a loaded configuration (``LoadedConfig`` or ``Config``)."""
    c = getattr(config, "config", config)
    return Settings(c.disputes.window_days, c.general.timezone)


def window_end(period: Period, window_days: int) -> date:
    """The last calendar day a dispute of ``period`` may be filed on."""
    return (period.end.date() - timedelta(days=1)) + timedelta(days=window_days)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_correction(kind: str, text: str | None) -> tuple[str, datetime | None]:
    """The correction in its stored form, and the corrected resolution time of a ticket."""
    text = (text or "").strip()
    if kind == "ticket":
        if text in ("", "invalid"):
            return "invalid", None
        m = _RESOLVED_RE.match(text)
        if m:
            try:
                moment = datetime.fromisoformat(m.group(1).strip())
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                return f"resolved_at={moment.isoformat(sep=' ')}", moment
        raise DisputeError(
            t("not_a_correction", kind=t("record_ticket"), text=repr(text)),
            expected=t("ticket_correction_expected"),
        )
    if text in ("", "void"):
        return "void", None
    raise DisputeError(t("not_a_correction", kind=t("record_" + kind), text=repr(text)), expected="void")


# --- the disputed record --------------------------------------------------------------------------


def _owner(
    conn: sqlite3.Connection, period: Period, kind: str, record_id: str, partner_id: str | None = None
) -> str | None:
    """The partner whose row of the stored month ``record_id`` is (None: no such row). With
    ``partner_id`` only that partner's tickets are read (one stored chunk, not the month's)."""
    if kind == "ticket":
        tickets = load_tickets(conn, period, partner_id).filter(pl.col("ticket_id") == record_id)
        return tickets.get_column("partner_id")[0] if tickets.height else None
    table, column = ("refunds", "refund_id") if kind == "refund" else ("conduct", "event_id")
    row = conn.execute(
        f"SELECT partner_id FROM {table} WHERE period = ? AND {column} = ? LIMIT 1", (str(period), record_id)
    ).fetchone()
    return row[0] if row else None


def check_record(
    ledger: Ledger, period: Period, kind: str, record_id: str, partner_id: str | None, resolved: datetime | None
) -> str:
    """The partner of a disputable record, or why it cannot be disputed.

    With ``partner_id`` (the portal: the logged-in partner), a record of another partner is
    answered exactly as one that does not exist."""
    info = ledger.period(period)
    if info is None:
        raise DisputeError(t("dispute_not_assessed", period=period))
    owner = _owner(ledger.conn, period, kind, record_id, partner_id)
    what = t("record_of", kind=t("record_" + kind), id=repr(record_id), period=period)
    if owner is None or (partner_id is not None and owner != partner_id):
        raise DisputeError(t("dispute_no_record", what=what), unknown=True)
    record = ledger.record(period, owner)
    if record["partner_results"].height == 0:
        raise DisputeError(
            t("dispute_owner_absent", owner=owner, period=period, kind=t("record_" + kind), id=repr(record_id))
        )
    rows = [r for r in record.rows(_TABLE[kind]) if r[_ID_FIELD[kind]] == record_id]
    if kind == "ticket":
        row = rows[0]
        if row["state"] not in COUNTED_TICKETS:
            why = t("record_invalid") if row["state"] == "invalid" else t("record_left_out")
            raise DisputeError(t("dispute_did_not_count", what=what, why=why))
        if resolved is not None and resolved < row["received_at"]:
            raise DisputeError(
                t(
                    "dispute_resolved_before",
                    resolved=f"{resolved:%Y-%m-%d %H:%M:%S}",
                    received=f"{row['received_at']:%Y-%m-%d %H:%M:%S}",
                )
            )
    elif kind == "conduct":
        if len(rows) > 1:
            raise DisputeError(t("dispute_event_id_shared", what=what, count=len(rows)))
        if rows[0]["state"] != "counted":
            raise DisputeError(t("dispute_did_not_count", what=what, why=t("record_left_out")))
    return owner


def _open(conn: sqlite3.Connection, period: Period, kind: str, record_id: str) -> list[tuple[str, str]]:
    """Disputes of the record that still stand: accepted ones, and pending ones."""
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT dispute_id, status FROM disputes WHERE period = ? AND record = ? AND record_id = ?"
            " AND status IN ('pending', 'accepted') ORDER BY dispute_id",
            (str(period), kind, record_id),
        )
    ]


def _new_id(conn: sqlite3.Connection, period: Period) -> str:
    prefix = f"D-{period}-"
    n = conn.execute("SELECT count(*) FROM disputes WHERE dispute_id LIKE ?", (prefix + "%",)).fetchone()[0] + 1
    while conn.execute("SELECT 1 FROM disputes WHERE dispute_id = ?", (f"{prefix}{n:04d}",)).fetchone():
        n += 1
    return f"{prefix}{n:04d}"


# --- the three operations ------------------------------------------------------------------------


def file(
    ledger: Ledger,
    period: Period,
    kind: str,
    record_id: str,
    reason: str,
    user: str,
    now: datetime,
    late: bool = False,
    *,
    partner_id: str | None = None,
    correction: str | None = None,
    settings: Settings = Settings(),
    source: str = "cli",
) -> str:
    """File a dispute of one record of ``period``; returns its id. Refused (DisputeError) when
    the record cannot be disputed, nothing written."""
    if kind not in KINDS:
        raise DisputeError(t("not_a_record_kind", kind=repr(kind)), expected=", ".join(KINDS))
    record_id = record_id.strip()
    reason = reason.strip()
    if not record_id:
        raise DisputeError(t("dispute_empty_id"))
    if not reason:
        raise DisputeError(t("dispute_needs_reason"))
    stored, resolved = parse_correction(kind, correction)
    filed_on = _utc(now).astimezone(ZoneInfo(settings.timezone)).date()
    last_day = window_end(period, settings.window_days)
    with ledger.write() as c:
        owner = check_record(ledger, period, kind, record_id, partner_id, resolved)
        standing = _open(c, period, kind, record_id)
        if standing:
            did, status = standing[0]
            raise DisputeError(
                t(
                    "dispute_standing_" + status,
                    what=t("record_of", kind=t("record_" + kind), id=repr(record_id), period=period),
                    dispute=did,
                )
            )
        if filed_on > last_day and not late:
            raise DisputeError(
                t(
                    "dispute_window_closed",
                    period=period,
                    last=last_day.isoformat(),
                    days=settings.window_days,
                    filed=filed_on.isoformat(),
                ),
                expected=t("dispute_window_expected"),
            )
        dispute_id = _new_id(c, period)
        c.execute(
            "INSERT INTO disputes (dispute_id, partner_id, period, record, record_id, correction, reason, status,"
            " source, filed_by, filed_at, filed_on, late) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
            (
                dispute_id,
                owner,
                str(period),
                kind,
                record_id,
                stored,
                reason,
                source,
                user,
                _stamp(now),
                filed_on.isoformat(),
                int(late),
            ),
        )
        detail = {"dispute_id": dispute_id, "partner_id": owner, "record": kind, "record_id": record_id}
        ledger.add_event(c, "dispute add", period, user, reason, json.dumps({**detail, "correction": stored}))
    return dispute_id


def decide(ledger: Ledger, dispute_id: str, accept: bool, note: str, user: str, now: datetime) -> Dispute:
    """Accept or reject a pending dispute (it takes effect at the next run of the open month)."""
    note = note.strip()
    if not note:
        raise DisputeError(t("decision_needs_note"))
    with ledger.write() as c:
        dispute = _get(c, dispute_id)
        if dispute is None:
            raise DisputeError(t("no_dispute", dispute=repr(dispute_id)), unknown=True)
        if dispute.status != "pending":
            raise DisputeError(
                t(
                    "dispute_decided",
                    dispute=dispute_id,
                    status=t("dispute_" + dispute.status),
                    by=dispute.decided_by,
                    on=dispute.decided_on,
                )
            )
        if accept:
            # the draft may have been re-run since the filing: the record must still count
            _, resolved = parse_correction(dispute.record, dispute.correction)
            check_record(ledger, dispute.period, dispute.record, dispute.record_id, dispute.partner_id, resolved)
            other = [d for d, s in _open(c, dispute.period, dispute.record, dispute.record_id) if s == "accepted"]
            if other:
                raise DisputeError(
                    t(
                        "dispute_other_accepted",
                        kind=t("record_" + dispute.record),
                        id=repr(dispute.record_id),
                        dispute=other[0],
                    )
                )
        status = "accepted" if accept else "rejected"
        c.execute(
            "UPDATE disputes SET status = ?, decided_by = ?, decided_on = ?, note = ? WHERE dispute_id = ?",
            (status, user, _stamp(now), note, dispute_id),
        )
        detail = {"dispute_id": dispute_id, "partner_id": dispute.partner_id, "decision": status}
        ledger.add_event(c, "dispute decide", dispute.period, user, note, json.dumps(detail))
        return _get(c, dispute_id)  # type: ignore[return-value]


def _row(r: sqlite3.Row) -> Dispute:
    return Dispute(
        r["dispute_id"],
        r["partner_id"],
        Period.parse(r["period"]),
        r["record"],
        r["record_id"],
        r["correction"],
        r["reason"],
        r["status"],
        r["source"],
        r["filed_by"],
        r["filed_at"],
        date.fromisoformat(r["filed_on"]) if r["filed_on"] else None,
        bool(r["late"]),
        r["decided_by"],
        r["decided_on"],
        r["note"],
    )


def _get(conn: sqlite3.Connection, dispute_id: str) -> Dispute | None:
    row = conn.execute("SELECT * FROM disputes WHERE dispute_id = ?", (dispute_id,)).fetchone()
    return _row(row) if row else None


def get(ledger: Ledger, dispute_id: str, partner_id: str | None = None) -> Dispute | None:
    """One dispute; with ``partner_id`` only that partner's (another's is None, as a missing one)."""
    d = _get(ledger.conn, dispute_id)
    return None if d is None or (partner_id is not None and d.partner_id != partner_id) else d


def list_disputes(
    ledger: Ledger, status: str | None = None, partner: str | None = None, period: Period | None = None
) -> list[Dispute]:
    """The register, oldest filing first; narrowed by status, partner and disputed period."""
    if status is not None and status not in STATUSES:
        raise DisputeError(t("not_a_dispute_status", status=repr(status)), expected=", ".join(STATUSES))
    sql, args = "SELECT * FROM disputes WHERE 1 = 1", []
    for column, value in (("status", status), ("partner_id", partner), ("period", period)):
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(str(value))
    return [_row(r) for r in ledger.conn.execute(sql + " ORDER BY filed_at, dispute_id", args)]


def has_register(ledger: Ledger) -> bool:
    """Whether the ledger has the register (a read-only ledger of an older layout does not)."""
    return ledger.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'disputes'").fetchone() is not None
