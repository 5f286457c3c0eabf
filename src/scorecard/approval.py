"""Maker–checker: a month's draft is approved by someone other than the one who ran it
(docs/sign-off-and-audit.md#maker-checker).

An approval is a row of ``approvals`` tied to the run number of the draft it
approved, and to the event that recorded it. A later run of the month, or its
reopening, comes after the approval in the event log and so voids it: the
month needs a new approval before it can be closed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError
from scorecard.ledger.audit import check_chain
from scorecard.periods import Period
from scorecard.record import PeriodInfo

# Events that void an earlier approval of the month: the reviewed draft is no longer what would close
# (a dispute decided about the month changes what its next run applies).
VOIDING_COMMANDS: tuple[str, ...] = ("run", "reopen", "discard", "dispute decide")


@dataclass(frozen=True, slots=True)
class Approval:
    period: Period
    run_seq: int
    approved_by: str
    approved_at: str
    event_id: int


def _last_voiding(conn: sqlite3.Connection, period: Period) -> int:
    marks = ", ".join("?" * len(VOIDING_COMMANDS))
    row = conn.execute(
        f"SELECT max(id) FROM events WHERE period = ? AND command IN ({marks})", (str(period), *VOIDING_COMMANDS)
    ).fetchone()
    return row[0] or 0


def current(ledger: Ledger, info: PeriodInfo) -> Approval | None:
    """The approval of the month's current run, unless a re-run or reopening voided it."""
    row = ledger.conn.execute(
        "SELECT run_seq, approved_by, approved_at, event_id FROM approvals"
        " WHERE period = ? AND run_seq = ? AND event_id > ? ORDER BY event_id DESC LIMIT 1",
        (str(info.period), info.run_seq, _last_voiding(ledger.conn, info.period)),
    ).fetchone()
    return None if row is None else Approval(info.period, row[0], row[1], row[2], row[3])


def voided(ledger: Ledger, info: PeriodInfo) -> Approval | None:
    """The month's newest approval, when it no longer counts."""
    row = ledger.conn.execute(
        "SELECT run_seq, approved_by, approved_at, event_id FROM approvals WHERE period = ?"
        " ORDER BY event_id DESC LIMIT 1",
        (str(info.period),),
    ).fetchone()
    if row is None or current(ledger, info) is not None:
        return None
    return Approval(info.period, row[0], row[1], row[2], row[3])


def who_may_approve(info: PeriodInfo) -> str:
    return t("who_may_approve", by=info.run_by, period=info.period)


def require(ledger: Ledger, info: PeriodInfo) -> Approval:
    """The valid approval close needs, or a refusal naming who may approve."""
    found = current(ledger, info)
    if found is not None:
        return found
    old = voided(ledger, info)
    why = t("approval_voided", by=old.approved_by, at=old.approved_at, run=old.run_seq) if old else ""
    raise LedgerError(
        t(
            "close_not_approved",
            period=info.period,
            run=info.run_seq,
            by=info.run_by,
            at=info.run_at,
            why=why,
            who=who_may_approve(info),
        )
    )


def approve(ledger: Ledger, period: Period, user: str) -> Approval:
    """Record ``user``'s approval of the month's current draft."""
    with ledger.write() as c:
        broken = check_chain(c)
        if broken is not None:
            raise LedgerError(t("chain_broken", broken=broken, what=t("nothing_approved")))
        info = ledger.period(period)
        if info is None:
            raise LedgerError(t("approve_not_run", period=period))
        if not info.draft:
            raise LedgerError(t("approve_closed", period=period))
        if user == info.run_by:
            raise LedgerError(
                t("approve_own_run", user=user, period=period, run=info.run_seq, who=who_may_approve(info))
            )
        already = current(ledger, info)
        if already is not None:
            raise LedgerError(
                t("approve_twice", period=period, run=info.run_seq, by=already.approved_by, at=already.approved_at)
            )
        detail = json.dumps({"run_seq": info.run_seq, "run_by": info.run_by, "run_at": info.run_at})
        eid = ledger.add_event(c, "approve", period, user, "", detail)
        at = c.execute("SELECT at FROM events WHERE id = ?", (eid,)).fetchone()[0]
        c.execute(
            "INSERT INTO approvals (period, run_seq, event_id, approved_by, approved_at) VALUES (?, ?, ?, ?, ?)",
            (str(period), info.run_seq, eid, user, at),
        )
    return Approval(period, info.run_seq, user, at, eid)
