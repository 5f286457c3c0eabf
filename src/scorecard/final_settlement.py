"""Final settlement of terminated partners, and guarantee deposits (docs/sign-off-and-audit.md#final-settlement).

``final-settlement PID --pay|--forfeit`` records a decision for the open month
(the one after the last closed month); that month's run applies it: the
terminated partner's held balance is set off against its receivable, the
deposit covers what receivable is left, and the rest is paid (``--pay``) or
kept (``--forfeit``: the held balance only; what remains of the deposit is
returned either way). The partner's balances carried out of the month are
then nothing (or the receivable nothing could cover), so a later month has
nothing left to pay: a held balance is paid once and only once.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Literal

import polars as pl

from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError
from scorecard.ledger.cycle import refuse_broken_chain
from scorecard.periods import Period
from scorecard.record import SCHEMAS, MonthRecord, PeriodInfo
from scorecard.state import PartnerState

DecisionKind = Literal["pay", "forfeit"]


@dataclass(frozen=True, slots=True)
class Decision:
    period: Period  # the month whose run applies it
    partner_id: str
    decision: DecisionKind
    reason: str
    decided_by: str
    decided_at: str
    event_id: int


@dataclass(frozen=True, slots=True)
class FinalAmounts:
    """How a terminated partner's balances are settled, in fen."""

    set_off: int  # receivable covered by the held balance
    deposit_used: int  # receivable covered by the deposit
    deposit_returned: int
    forfeited: int  # held balance kept (--forfeit)
    amount: int  # paid to the partner
    receivable_left: int  # what nothing could cover: still owed by the partner


def settle_final(decision: DecisionKind, held: int, receivable: int, deposit: int) -> FinalAmounts:
    """Held balance against receivable first, then the deposit against what is left; the rest is paid
    (the held part kept instead on --forfeit). held + deposit = set_off + deposit_used + forfeited + amount."""
    set_off = min(held, receivable)
    left = receivable - set_off
    used = min(deposit, left)
    returned = deposit - used
    held_rest = held - set_off
    forfeited = held_rest if decision == "forfeit" else 0
    amount = returned + (held_rest - forfeited)
    return FinalAmounts(set_off, used, returned, forfeited, amount, left - used)


# --- what the ledger carries -----------------------------------------------------------------------


def deposit_balances(ledger: Ledger, period: Period | None) -> dict[str, int]:
    """Each partner's deposit balance carried out of ``period``."""
    if period is None:
        return {}
    rows = ledger.conn.execute(
        "SELECT partner_id, deposit_out FROM deposits WHERE period = ? AND deposit_out > 0", (str(period),)
    )
    return {r[0]: r[1] for r in rows}


def decisions(ledger: Ledger, period: Period) -> list[Decision]:
    rows = ledger.conn.execute(
        "SELECT partner_id, decision, reason, decided_by, decided_at, event_id FROM final_decisions"
        " WHERE period = ? ORDER BY partner_id",
        (str(period),),
    )
    return [Decision(period, *r) for r in rows]


@dataclass(frozen=True, slots=True)
class Carried:
    """What a month's run needs from the ledger for deposits and final settlements."""

    deposits: dict[str, int]
    decisions: list[Decision]
    names: dict[str, str]  # the terminated partners' names, from their last assessed month


def carried(ledger: Ledger | None, period: Period) -> Carried:
    if ledger is None:
        return Carried({}, [], {})
    found = decisions(ledger, period)
    names = {}
    for d in found:
        row = ledger.conn.execute(
            "SELECT partner_name FROM partner_results WHERE partner_id = ? AND period < ? ORDER BY period DESC LIMIT 1",
            (d.partner_id, str(period)),
        ).fetchone()
        names[d.partner_id] = row[0] if row else ""
    return Carried(deposit_balances(ledger, ledger.last_closed()), found, names)


def apply(
    carried: Carried, states: dict[str, PartnerState], received: pl.DataFrame
) -> tuple[dict[str, PartnerState], dict[str, pl.DataFrame]]:
    """The month's deposits and final settlements: the states carried out, and the record's two tables."""
    got = dict(received.select("partner_id", "amount").iter_rows()) if received.height else {}
    final_rows, used, returned = [], {}, {}
    states = dict(states)
    for d in carried.decisions:
        s = states.get(d.partner_id)
        deposit = carried.deposits.get(d.partner_id, 0) + got.get(d.partner_id, 0)
        if s is None or not s.terminated or (s.held == 0 and deposit == 0):
            continue  # nothing pending any more: the decision has nothing to settle
        f = settle_final(d.decision, s.held, s.receivable, deposit)
        final_rows.append(
            [
                d.partner_id,
                carried.names.get(d.partner_id, ""),
                d.decision,
                str(s.terminated_in) if s.terminated_in else None,
                s.held,
                s.receivable,
                deposit,
                f.set_off,
                f.deposit_used,
                f.deposit_returned,
                f.forfeited,
                f.amount,
                f.receivable_left,
                d.reason,
                d.decided_by,
                d.decided_at,
            ]
        )
        used[d.partner_id], returned[d.partner_id] = f.deposit_used, f.deposit_returned
        states[d.partner_id] = dataclasses.replace(s, held=0, receivable=f.receivable_left)
    deposit_rows = []
    for pid in sorted(set(carried.deposits) | set(got)):
        before, new = carried.deposits.get(pid, 0), got.get(pid, 0)
        u, r = used.get(pid, 0), returned.get(pid, 0)
        deposit_rows.append([pid, before, new, u, r, before + new - u - r])
    tables = {
        "deposits": pl.DataFrame(deposit_rows, schema=SCHEMAS["deposits"], orient="row"),
        "final_settlements": pl.DataFrame(final_rows, schema=SCHEMAS["final_settlements"], orient="row"),
    }
    return states, tables


def with_tables(record: MonthRecord, tables: dict[str, pl.DataFrame]) -> MonthRecord:
    return MonthRecord(record.info, {**record.tables, **tables})


# --- the decision ----------------------------------------------------------------------------------------


def decide(ledger: Ledger, partner_id: str, decision: DecisionKind, reason: str, user: str) -> Decision:
    """Record the decision for the open month; its run applies it."""
    if not reason.strip():
        raise LedgerError(t("final_needs_reason"))
    with ledger.write() as c:
        refuse_broken_chain(c, t("nothing_recorded"))
        last = ledger.last_closed()
        if last is None:
            raise LedgerError(t("final_none_closed"))
        state = ledger.record(last, partner_id).rows("states")
        if not state or state[0]["terminated_in"] is None:
            raise LedgerError(t("final_not_terminated", partner=partner_id, last=last))
        held = state[0]["held"]
        deposit = deposit_balances(ledger, last).get(partner_id, 0)
        if held == 0 and deposit == 0:
            raise LedgerError(t("final_nothing", partner=partner_id, last=last))
        period = last.next()
        if any(d.partner_id == partner_id for d in decisions(ledger, period)):
            raise LedgerError(t("final_twice", partner=partner_id, period=period))
        detail = {"held": held, "receivable": state[0]["receivable"], "deposit": deposit}
        eid = ledger.add_event(
            c,
            "final_settlement",
            period,
            user,
            reason,
            json.dumps({"partner_id": partner_id, "decision": decision, **detail}),
        )
        at = c.execute("SELECT at FROM events WHERE id = ?", (eid,)).fetchone()[0]
        c.execute(
            "INSERT INTO final_decisions (period, partner_id, decision, reason, decided_by, decided_at, event_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(period), partner_id, decision, reason, user, at, eid),
        )
    return Decision(period, partner_id, decision, reason, user, at, eid)


def unapplied(ledger: Ledger, info: PeriodInfo) -> list[Decision]:
    """Decisions for the month recorded after its current run: close waits for a re-run that applies them."""
    row = ledger.conn.execute(
        "SELECT max(id) FROM events WHERE period = ? AND command = 'run'", (str(info.period),)
    ).fetchone()
    last_run = row[0] or 0
    return [d for d in decisions(ledger, info.period) if d.event_id > last_run]
