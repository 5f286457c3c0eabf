"""Accepted disputes as corrections of stored records, and the corrected history they imply.

A correction changes one record of one month: a ticket that does not count
or was resolved at another time, a refund or a conduct event that is void
(docs/disputes.md#money). A correction of the open month is applied to its
own assessment. Corrections of closed months never edit them: the open
month's run assesses every month from the earliest corrected one again, from
the records the ledger stores, with every accepted correction applied and each
month's recorded termination standing, and carries the difference into the
open month as an adjustment and restated balances.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import polars as pl

from scorecard.assess import Restated, assess
from scorecard.config import LoadedConfig, RuleSet, parse_config_text
from scorecard.ledger import Ledger
from scorecard.metrics import PartnerMetrics, compute, ticket_counts
from scorecard.periods import Period
from scorecard.record import MonthRecord, stored_state
from scorecard.state import PartnerState

RecordKind = Literal["ticket", "refund", "conduct"]
COMPONENTS = ("refund", "score", "fine", "hold")


@dataclass(frozen=True, slots=True)
class Correction:
    """An accepted dispute: what it changes in which stored record."""

    dispute_id: str
    partner_id: str
    period: Period  # the month of the disputed record
    record: RecordKind
    record_id: str
    resolved_at: datetime | None = None  # tickets: resolved then; None: the record does not count (void)

    @property
    def text(self) -> str:
        if self.resolved_at is not None:
            return f"resolved_at={self.resolved_at:%Y-%m-%d %H:%M:%S}"
        return "invalid" if self.record == "ticket" else "void"


@dataclass(frozen=True, slots=True)
class Part:
    """One component of a partner's adjustment for one corrected month (docs/disputes.md#money)."""

    corrected_period: Period
    component: str  # refund, score, fine, or hold (money held or released in another month)
    amount: int  # signed fen: the effect on the payout


@dataclass(frozen=True, slots=True)
class Restatement:
    """What the corrected history means for one partner in the open month."""

    partner_id: str
    restated: Restated
    state: PartnerState  # the corrected state carried out of the month before the open one
    parts: tuple[Part, ...]
    review: tuple[str, ...]  # months whose recorded termination the corrected data does not support


@dataclass(slots=True)
class _Acc:
    payout_delta: int = 0
    parts: list[Part] = field(default_factory=list)
    review: list[str] = field(default_factory=list)


def _with_resolved(tickets: pl.DataFrame, resolved: Mapping[str, datetime | None]) -> pl.DataFrame:
    """``resolved_at`` replaced by the corrected time; ``_fixed`` marks the corrected rows."""
    fix = pl.DataFrame(
        {"ticket_id": list(resolved), "_fixed": list(resolved.values())},
        schema={"ticket_id": pl.String, "_fixed": pl.Datetime("us")},
    )
    return tickets.join(fix, on="ticket_id", how="left").with_columns(resolved_at=pl.coalesce("_fixed", "resolved_at"))


def apply_to_tickets(tickets: pl.DataFrame, corrections: Iterable[Correction]) -> pl.DataFrame:
    """Tickets with the corrections of their month: left out, or resolved at the corrected time
    (on time when at or before the stored deadline)."""
    invalid = [c.record_id for c in corrections if c.record == "ticket" and c.resolved_at is None]
    resolved = {c.record_id: c.resolved_at for c in corrections if c.record == "ticket" and c.resolved_at}
    out = tickets
    if invalid:
        out = out.with_columns(
            state=pl.when(pl.col("ticket_id").is_in(invalid)).then(pl.lit("invalid")).otherwise(pl.col("state")),
            valid=pl.when(pl.col("ticket_id").is_in(invalid)).then(pl.lit(False)).otherwise(pl.col("valid")),
        )
    if resolved:
        out = (
            _with_resolved(out, resolved)
            .with_columns(
                resolution_seconds=pl.when(pl.col("_fixed").is_not_null())
                .then((pl.col("resolved_at") - pl.col("received_at")).dt.total_seconds())
                .otherwise(pl.col("resolution_seconds")),
                state=pl.when(pl.col("_fixed").is_not_null() & (pl.col("state") != "invalid"))
                .then(
                    pl.when(pl.col("resolved_at") <= pl.col("deadline"))
                    .then(pl.lit("on_time"))
                    .otherwise(pl.lit("late"))
                )
                .otherwise(pl.col("state")),
            )
            .drop("_fixed")
        )
    return out


def metrics_from_record(
    record: MonthRecord, corrections: Sequence[Correction], config: LoadedConfig
) -> list[PartnerMetrics]:
    """The month's metrics again, from its stored facts with ``corrections`` applied."""
    ruleset = record.ruleset
    tickets = apply_to_tickets(record["tickets"].filter(pl.col("state") != "outside"), corrections)
    with_reply = bool(tickets.get_column("reply_state").is_not_null().any())
    counts = ticket_counts(tickets.lazy(), with_reply).collect()
    pr = record["partner_results"]
    void_refunds = {c.record_id for c in corrections if c.record == "refund"}
    void_events = {c.record_id for c in corrections if c.record == "conduct"}
    refunds = record["refunds"].filter(~pl.col("refund_id").is_in(list(void_refunds)))
    conduct = record["conduct"].filter(pl.col("state") == "counted")
    if "event_id" in conduct.columns:
        conduct = conduct.filter(~pl.col("event_id").is_in(list(void_events)).fill_null(False))
    surveys = record["surveys"].filter(pl.col("state") == "counted")
    return compute(
        pr.select("partner_id", "partner_name", "mode"),
        pr.select("partner_id", "billed_users", "group_customers"),
        pr.select("partner_id", "gross_amount", pl.col("settlement_line").alias("_line")),
        counts,
        conduct.select("partner_id", "event_type"),
        surveys.select("partner_id", "score"),
        refunds.select("refund_id", "partner_id", "kind", "amount", pl.col("line").alias("_line"), "customer_id"),
        config.config,
        ruleset,
        with_reply,
    )


@dataclass(frozen=True, slots=True)
class MonthFacts:
    """One closed month as the corrected history needs it: the corrected metrics of the partners it
    restates, what was recorded for them, and the states recorded out of it."""

    period: Period
    ruleset: RuleSet
    metrics: list[PartnerMetrics]  # with every accepted correction of the month applied
    recorded: dict[str, dict[str, Any]]  # partner_results rows as recorded
    recorded_states: dict[str, PartnerState]


def restate(
    partners: Sequence[str], start: dict[str, PartnerState], months: Iterable[MonthFacts]
) -> dict[str, Restatement]:
    """The corrected history (docs/disputes.md#money): ``months`` assessed again in order from the
    states ``start`` (recorded before the first of them), each under its own rule set, without any
    adjustment, each month's recorded termination standing; then per partner the adjustment
    (Σ corrected payout − Σ recorded payout) and the restated held balance and receivable."""
    states = {pid: start[pid] for pid in partners if pid in start}
    acc = {pid: _Acc() for pid in partners}
    recorded_states: dict[str, PartnerState] = {}
    for m in months:
        terminations = {pid: r["status"] == "terminated" for pid, r in m.recorded.items()}
        results, states = assess(m.period, m.metrics, states, m.ruleset, terminations=terminations)
        states = {pid: s for pid, s in states.items() if pid in acc}
        for r in results:
            rec, s, a = m.recorded[r.partner_id], r.settlement, acc[r.partner_id]
            a.payout_delta += s.payout - rec["payout"]
            deltas = {
                "refund": -(s.refund_deduction - rec["refund_deduction"]),
                "score": -(s.score_deduction - rec["score_deduction"]),
                "fine": -(s.fine_deduction - rec["fine_deduction"]),
            }
            deltas["hold"] = s.payout - rec["payout"] - sum(deltas.values())
            a.parts += [Part(m.period, k, v) for k, v in deltas.items() if v]
            rules_terminate = any(x.fired.kind == "terminate" for x in r.actions)
            if rules_terminate != (rec["status"] == "terminated"):
                a.review.append(str(m.period))
        recorded_states = m.recorded_states
    out = {}
    for pid in partners:
        corrected, recorded_state = states.get(pid), recorded_states.get(pid)
        if corrected is None or recorded_state is None:
            continue
        a = acc[pid]
        restated = Restated(
            a.payout_delta, corrected.held - recorded_state.held, corrected.receivable - recorded_state.receivable
        )
        out[pid] = Restatement(pid, restated, corrected, tuple(a.parts), tuple(a.review))
    return out


def corrected_history(ledger: Ledger, period: Period, corrections: Sequence[Correction]) -> dict[str, Restatement]:
    """Per partner with a correction of a closed month: the adjustment, the restated balances and
    the corrected state to assess ``period`` (the open month) on, from the records the ledger stores."""
    past = [c for c in corrections if c.period < period]
    if not past:
        return {}
    partners = sorted({c.partner_id for c in past})
    first = min(c.period for c in past)
    start = stored_state(ledger.record(first.prev())) if ledger.period(first.prev()) is not None else {}

    def months() -> Iterator[MonthFacts]:
        month = first
        while month < period:
            info = ledger.period(month)
            if info is not None:
                record = cut(ledger.record(month), partners)
                config = parse_config_text(info.config_text, f"configuration of {month}")
                yield MonthFacts(
                    month,
                    record.ruleset,
                    metrics_from_record(record, [c for c in past if c.period == month], config),
                    {r["partner_id"]: r for r in record.rows("partner_results")},
                    stored_state(record),
                )
            month = month.next()

    return restate(partners, start, months())


def cut(record: MonthRecord, partners: Sequence[str]) -> MonthRecord:
    """The record's rows of ``partners`` only."""
    keep = list(partners)
    return MonthRecord(
        record.info,
        {
            name: frame.filter(pl.col("partner_id").is_in(keep)) if "partner_id" in frame.columns else frame
            for name, frame in record.tables.items()
        },
    )


def pending_balance(state: PartnerState, restatement: Restatement) -> PartnerState:
    """A partner terminated before the open month: the adjustment and the restatement go to its
    balance pending final settlement; a negative remainder becomes a receivable pending it."""
    r = restatement.restated
    net = restatement.state.held - restatement.state.receivable + r.adjustment
    return PartnerState(
        state.partner_id,
        state.streaks,
        state.month_holds,
        max(net, 0),
        max(-net, 0),
        state.terminated_in,
        state.last_assessed,
    )


def apply_to_inputs(frames: dict[str, pl.DataFrame], corrections: Sequence[Correction]) -> dict[str, pl.DataFrame]:
    """The open month's loaded tables with its own corrections: the ticket left out or resolved at
    the corrected time, the refund or the conduct event void (no adjustment needed)."""
    if not corrections:
        return frames
    out = dict(frames)
    invalid = [c.record_id for c in corrections if c.record == "ticket" and c.resolved_at is None]
    resolved = {c.record_id: c.resolved_at for c in corrections if c.record == "ticket" and c.resolved_at}
    complaints = out["complaints"]
    if invalid:
        complaints = complaints.with_columns(
            valid=pl.when(pl.col("ticket_id").is_in(invalid)).then(pl.lit(False)).otherwise(pl.col("valid"))
        )
    if resolved:
        complaints = _with_resolved(complaints, resolved).drop("_fixed")
    out["complaints"] = complaints
    void_refunds = [c.record_id for c in corrections if c.record == "refund"]
    if void_refunds:
        out["refunds"] = out["refunds"].filter(~pl.col("refund_id").is_in(void_refunds))
    void_events = [c.record_id for c in corrections if c.record == "conduct"]
    if void_events and "event_id" in out["conduct"].columns:
        out["conduct"] = out["conduct"].filter(~pl.col("event_id").is_in(void_events).fill_null(False))
    return out


def accepted_corrections(ledger: Ledger, period: Period) -> list[Correction]:
    """Every accepted dispute so far, as a correction (docs/disputes.md): those of the register, and
    those the `disputes` tables of closed months brought (kept in those months' records)."""
    found: dict[str, Correction] = {}
    for row in ledger.conn.execute(
        "SELECT c.dispute_id, c.partner_id, c.disputed_period, c.record, c.record_id, c.correction FROM corrections c"
        " JOIN periods p USING (period) WHERE p.status = 'closed' ORDER BY c.dispute_id"
    ):
        found[row[0]] = correction(*row)
    if _has_register(ledger):
        for row in ledger.conn.execute(
            "SELECT dispute_id, partner_id, period, record, record_id, correction FROM disputes"
            " WHERE status = 'accepted' AND period <= ? ORDER BY dispute_id",
            (str(period),),
        ):
            found[row[0]] = correction(*row)
    return [found[k] for k in sorted(found)]


def _has_register(ledger: Ledger) -> bool:
    return bool(
        ledger.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'disputes'").fetchone()
    )


def registered_ids(ledger: Ledger, period: Period) -> set[str]:
    """Dispute ids the ledger already holds, which a row of ``period``'s table may not reuse: a
    dispute still pending in the register may be decided by a row, and the ids the month's own
    table brought to its draft are read again on a re-run."""
    ids = {r[0] for r in ledger.conn.execute("SELECT dispute_id FROM corrections WHERE period != ?", (str(period),))}
    if _has_register(ledger):
        ids |= {r[0] for r in ledger.conn.execute("SELECT dispute_id FROM disputes WHERE status != 'pending'")}
    return ids


def correction(
    dispute_id: str, partner_id: str, period: str, record: str, record_id: str, text: str | None
) -> Correction:
    """A stored correction text (``invalid``, ``void``, ``resolved_at=<datetime>``) as a Correction,
    read by the register's own parser."""
    from scorecard.disputes.register import parse_correction  # the register imports the ledger, as this does

    _, resolved = parse_correction(record, text)
    return Correction(dispute_id, partner_id, Period.parse(period), record, record_id, resolved)  # type: ignore[arg-type]
