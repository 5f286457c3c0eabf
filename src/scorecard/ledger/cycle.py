"""The month cycle: one draft at a time, nothing lost silently (docs/ledger.md#month-cycle).

These functions decide what a command may do to the ledger's months and
say why not; the pipeline carries the decision out in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError
from scorecard.ledger.store import delete_month
from scorecard.periods import Period
from scorecard.record import PeriodInfo, stored_state
from scorecard.state import PartnerState


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What running a month will do to the ledger."""

    period: Period
    previous: dict[str, PartnerState]  # the states after the last closed month
    replaces: PeriodInfo | None  # the month's own earlier draft
    discards: PeriodInfo | None  # another month's draft, discarded on request
    run_seq: int


def plan_run(ledger: Ledger | None, period: Period, *, discard_draft: bool) -> RunPlan:
    if ledger is None:
        return RunPlan(period, {}, None, None, 1)
    info = ledger.period(period)
    if info is not None and info.status == "closed":
        last = ledger.last_closed()
        hint = t("hint_reopen_first", period=period) if last == period else t("hint_only_last_reopens", last=last)
        raise LedgerError(t("run_closed", period=period, hint=hint))
    last = ledger.last_closed()
    if last is not None and period != last.next():
        raise LedgerError(t("run_out_of_order", period=period, last=last, next=last.next()))
    draft = ledger.draft()
    discards = None
    if draft is not None and draft.period != period:
        if not discard_draft:
            raise LedgerError(t("run_other_draft", period=period, draft=draft.period, by=draft.run_by, at=draft.run_at))
        discards = draft
    previous = {} if last is None else stored_state(ledger.record(last))
    run_seq = (info.run_seq + 1) if info is not None else 1
    return RunPlan(period, previous, info, discards, run_seq)


def discard(ledger: Ledger, c: sqlite3.Connection, draft: PeriodInfo, user: str, why: str) -> None:
    """Remove a draft month from the ledger, recording who, when and its totals."""
    totals = dict(
        c.execute(
            "SELECT count(*) AS partners, coalesce(sum(payout), 0) AS payout, coalesce(sum(held_out), 0) AS held_out,"
            " coalesce(sum(gross_amount), 0) AS gross_amount FROM partner_results WHERE period = ?",
            (str(draft.period),),
        ).fetchone()
    )
    detail = json.dumps({"run_seq": draft.run_seq, "run_by": draft.run_by, "run_at": draft.run_at, **totals})
    ledger.add_event(c, "discard", draft.period, user, why, detail)
    delete_month(c, draft.period)


def close(ledger: Ledger, period: Period, user: str, *, require_approval: bool = False) -> PeriodInfo:
    """Freeze the draft: its close event carries the digest of the whole record
    (docs/sign-off-and-audit.md); with ``require_approval`` (the pipeline passes the
    configured ``[approval] required``) only an approved draft closes."""
    from scorecard import approval
    from scorecard.ledger import audit

    with ledger.write() as c:
        refuse_broken_chain(c, t("not_closed", period=period))
        info = ledger.period(period)
        if info is None:
            raise LedgerError(t("close_not_run", period=period))
        if info.status == "closed":
            raise LedgerError(t("close_closed", period=period))
        ok = approval.require(ledger, info) if require_approval else approval.current(ledger, info)
        at = ledger_now()
        sealed = audit.seal(c, str(period), at, user)
        signed = {"approved_by": ok.approved_by, "approved_at": ok.approved_at} if ok else {}
        ledger.add_event(c, "close", period, user, "", json.dumps({"run_seq": info.run_seq, **signed, **sealed}))
        c.execute(
            "UPDATE periods SET status = 'closed', closed_at = ?, closed_by = ? WHERE period = ?",
            (at, user, str(period)),
        )
    closed = ledger.period(period)
    assert closed is not None
    return closed


def reopen(ledger: Ledger, period: Period, reason: str, user: str, *, discard_draft: bool) -> PeriodInfo | None:
    """Reopen the last closed month; returns the next month's draft it discarded, if any."""
    with ledger.write() as c:
        last = ledger.last_closed()
        if last != period:
            where = t("last_closed_is", last=last) if last else t("none_closed")
            raise LedgerError(t("reopen_not_last", period=period, where=where))
        if not reason.strip():
            raise LedgerError(t("reopen_needs_reason"))
        draft = ledger.draft()
        if draft is not None and not discard_draft:
            raise LedgerError(
                t("reopen_other_draft", period=period, draft=draft.period, by=draft.run_by, at=draft.run_at)
            )
        if draft is not None:
            discard(ledger, c, draft, user, f"reopening {period}: {reason}")
        ledger.add_event(c, "reopen", period, user, reason)
        c.execute(
            "UPDATE periods SET status = 'draft', closed_at = NULL, closed_by = NULL WHERE period = ?", (str(period),)
        )
        # a draft has no digests: the next close seals the month again
        c.execute("DELETE FROM record_digests WHERE period = ?", (str(period),))
    return draft


def refuse_broken_chain(c: sqlite3.Connection, what: str) -> None:
    """The quick form of verify: a command that adds to a broken event log refuses."""
    from scorecard.ledger.audit import check_chain

    broken = check_chain(c)
    if broken is not None:
        raise LedgerError(t("chain_broken", broken=broken, what=what))


def ledger_now() -> str:
    from scorecard.ledger import now

    return now()
