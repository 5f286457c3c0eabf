"""What the read-only commands ask of the ledger: a month's record, a partner's history, the
event log and its audit, and who is running the command.

Kept apart from ``scorecard.pipeline`` so that these commands start without importing the
loading, assessing and writing of a run, which they never use.
"""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING

from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError

if TYPE_CHECKING:
    from scorecard.ledger.audit import Finding
    from scorecard.periods import Period
    from scorecard.record import MonthRecord
    from scorecard.workspace import Workspace


def current_user(explicit: str | None = None) -> str:
    """Who is running the command: --user, else $SCORECARD_USER, else the login name."""
    if explicit and explicit.strip():
        return explicit.strip()
    env = os.environ.get("SCORECARD_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def existing_ledger(ws: Workspace, *, write: bool = False) -> Ledger:
    if not ws.db.exists():
        raise LedgerError(t("no_ledger", db=ws.db))
    return Ledger(ws.db, readonly=not write)


def record(ws: Workspace, period: Period, partner_id: str | None = None) -> MonthRecord:
    """The stored record of a month, read-only: what every view renders."""
    with existing_ledger(ws) as ledger:
        return ledger.record(period, partner_id)


def history(ws: Workspace, partner_id: str, last: int | None = None) -> list[dict[str, object]]:
    with existing_ledger(ws) as ledger:
        rows = [dict(r) for r in ledger.history(partner_id, last)]
        breached: dict[str, list[str]] = {}
        for period, rule_id in ledger.conn.execute(
            "SELECT period, rule_id FROM rule_results WHERE partner_id = ? AND breached ORDER BY rule_id", (partner_id,)
        ):
            breached.setdefault(period, []).append(rule_id)
    for r in rows:
        r["breached_rules"] = breached.get(r["period"], [])
    if not rows:
        raise LedgerError(t("no_assessed_month", partner=partner_id))
    return rows


def log(ws: Workspace, period: Period | None = None) -> list[dict[str, object]]:
    """The event log (every change to the ledger), oldest first."""
    with existing_ledger(ws) as ledger:
        return [dict(e) for e in ledger.events(period)]


def verify(ws: Workspace, *, quick: bool = False) -> tuple[list[Finding], tuple[int, str]]:
    """Recompute the event chain and every closed month's digests: the first difference of each,
    and the chain's head."""
    from scorecard.ledger import audit

    with existing_ledger(ws) as ledger:
        return audit.verify(ledger.conn, quick=quick), audit.head(ledger.conn)
