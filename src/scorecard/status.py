"""`scorecard status`: every month of the ledger, and the balances carried (docs/ledger.md#status).

Read from the ledger alone: a month's counts and totals are its record's,
the balances are the states carried out of the newest month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scorecard import approval
from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError
from scorecard.periods import Period
from scorecard.record import PeriodInfo
from scorecard.report.outputs import mismatch
from scorecard.workspace import Workspace


@dataclass(frozen=True, slots=True)
class MonthStatus:
    info: PeriodInfo
    partners: int
    on_hold: int
    terminated: int
    payout: int
    outputs: str | None  # why out/P does not match the record; None when it does
    approved_by: str | None = None  # the approval of the month's current run (maker–checker)
    approved_at: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    """A balance no month's payout settles yet."""

    partner_id: str
    partner_name: str
    kind: str  # pending_final (terminated) or absent (not assessed in the newest month)
    since: Period | None  # terminated in, or last assessed in
    held: int
    receivable: int


@dataclass(frozen=True, slots=True)
class LedgerStatus:
    months: list[MonthStatus]
    as_of: Period | None  # the newest month: balances are those carried out of it
    balances: list[Balance]
    deposits: dict[str, int] = field(default_factory=dict)  # guarantee deposits held, per partner (fen)


def balances(ledger: Ledger, period: Period) -> list[Balance]:
    """Held balances pending final settlement, and absent partners' held balances and receivables,
    as carried out of ``period``."""
    rows = ledger.conn.execute(
        "SELECT s.partner_id, s.held, s.receivable, s.terminated_in, s.last_assessed,"
        " (SELECT partner_name FROM partner_results r WHERE r.partner_id = s.partner_id"
        "  ORDER BY r.period DESC LIMIT 1) AS partner_name"
        " FROM states s WHERE s.period = ? AND (s.held > 0 OR s.receivable > 0)"
        " AND (s.terminated_in IS NOT NULL OR s.last_assessed IS NOT ?) ORDER BY s.partner_id",
        (str(period), str(period)),
    ).fetchall()
    return [
        Balance(
            r["partner_id"],
            r["partner_name"] or "",
            "pending_final" if r["terminated_in"] else "absent",
            Period.parse(r["terminated_in"] or r["last_assessed"])
            if (r["terminated_in"] or r["last_assessed"])
            else None,
            r["held"],
            r["receivable"],
        )
        for r in rows
    ]


def deposit_balances(ledger: Ledger, period: Period | None) -> dict[str, int]:
    """Guarantee deposits carried out of ``period`` (docs/sign-off-and-audit.md#deposits)."""
    from scorecard.final_settlement import deposit_balances as carried

    return carried(ledger, period)


def ledger_status(ws: Workspace) -> LedgerStatus:
    if not ws.db.exists():
        raise LedgerError(t("no_ledger", db=ws.db))
    with Ledger(ws.db, readonly=True) as ledger:
        months = []
        for info in ledger.periods():
            row = ledger.conn.execute(
                "SELECT count(*), coalesce(sum(status = 'on_hold'), 0), coalesce(sum(status = 'terminated'), 0),"
                " coalesce(sum(payout), 0) FROM partner_results WHERE period = ?",
                (str(info.period),),
            ).fetchone()
            ok = approval.current(ledger, info)
            months.append(
                MonthStatus(
                    info,
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    mismatch(ws.out_for(info.period), info),
                    ok.approved_by if ok else None,
                    ok.approved_at if ok else None,
                )
            )
        as_of = months[-1].info.period if months else None
        carried = balances(ledger, as_of) if as_of else []
        deposits = deposit_balances(ledger, as_of)
    return LedgerStatus(months, as_of, carried, deposits)
