"""The assessment record of one month: the one stored truth every view reads.

Running a month builds a :class:`MonthRecord` from the engine's results; the
ledger stores it table for table, column for column (docs/ledger.md#record),
and every view — scorecard.csv, notices.csv, manifest.json, the terminal,
the finance workbook, the statements — renders from a record read back from
the ledger, never from the inputs or today's configuration.

Each table is a polars frame with the schema in :data:`SCHEMAS`. Exact
rationals are stored as integer numerator/denominator pairs (``*_num``,
``*_den``; both null when the value is empty); money is integer fen;
decimals from the configuration (shares, points) are their exact decimal text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import polars as pl

from scorecard.config import RuleSet
from scorecard.issues import Issue
from scorecard.periods import Period
from scorecard.settle import MONEY_FIELDS
from scorecard.state import PartnerState

if TYPE_CHECKING:
    from scorecard.assess import PartnerResult  # the views read records without assessing

S, I, B, D, T = pl.String(), pl.Int64(), pl.Boolean(), pl.Date(), pl.Datetime("us")  # noqa: E741


def _exact(name: str) -> dict[str, pl.DataType]:
    return {f"{name}_num": I, f"{name}_den": I}


SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "partner_results": {
        "partner_id": S,
        "partner_name": S,
        "mode": S,
        "billed_users": I,
        "group_customers": I,
        "valid_complaints": I,
        "repeat_complaints": I,
        "major_complaints": I,
        "invalid_tickets": I,
        "on_time_tickets": I,
        "late_tickets": I,
        "pending_tickets": I,
        **_exact("complaint_rate"),
        "zero_base": B,
        **_exact("on_time_rate"),
        **_exact("reply_on_time_rate"),
        "resolved_tickets": I,
        "resolution_seconds": I,
        **_exact("p90_resolution_hours"),
        "conduct_events": I,
        "response_score": S,
        "survey_count": I,
        "survey_total": I,
        "refund_total": I,
        "service_cost": I,
        "score_exact": S,
        "score": S,
        "band_min": S,
        "band_pct": S,
        "status": S,
        **dict.fromkeys(MONEY_FIELDS, I),
        "settlement_line": I,
    },
    "sub_scores": {
        "partner_id": S,
        "seq": I,
        "metric": S,
        **_exact("value"),
        **_exact("sub_score"),
        **_exact("weight"),
    },
    "rule_results": {
        "partner_id": S,
        "rule_id": S,
        "seq": I,
        "metric": S,
        "op": S,
        **_exact("value"),
        **_exact("comparand"),
        "zero_base": B,
        "breached": B,
        "streak": I,
    },
    "actions": {
        "partner_id": S,
        "seq": I,
        "rule_id": S,
        "kind": S,
        "streak": I,
        "label_zh": S,
        "label_en": S,
        "deadline": D,
        "months": I,
        "hold_end": S,
    },
    "holds": {"partner_id": S, "rule_id": S, "kind": S, "started": S, "ends": S},
    "money_lines": {
        "partner_id": S,
        "seq": I,
        "kind": S,
        "amount": I,
        "rule_id": S,
        "source_id": S,
        "source_line": I,
        "refund_kind": S,
        "base_amount": I,
        "multiplier": I,
        "share": S,
        "uncapped": I,  # a capped score or fine line: its amount before the cap (fen, positive)
    },
    "tickets": {
        "ticket_id": S,
        "partner_id": S,
        "received_at": T,
        "resolved_at": T,
        "first_reply_at": T,
        "category": S,
        "valid": B,
        "is_repeat": B,
        "is_major": B,
        "deadline": T,
        "reply_deadline": T,
        "state": S,
        "reply_state": S,
        "resolution_seconds": I,
        "line": I,
        "reopen_count": I,  # sent back after an unsatisfied revisit (0 when the column is not given)
    },
    "refunds": {
        "refund_id": S,
        "partner_id": S,
        "kind": S,
        "amount": I,
        "multiplier": I,
        "deduction": I,
        "customer_id": S,
        "line": I,
    },
    "conduct": {
        "partner_id": S,
        "seq": I,
        "event_type": S,
        "occurred_on": D,
        "note": S,
        "points": S,
        "state": S,
        "line": I,
        "event_id": S,  # optional in the inputs; the id a dispute names (docs/disputes.md)
    },
    "surveys": {"partner_id": S, "seq": I, "customer_id": S, "score": I, "state": S, "line": I},
    "states": {
        "partner_id": S,
        "held": I,
        "receivable": I,
        "terminated_in": S,
        "last_assessed": S,
    },
    "state_streaks": {"partner_id": S, "rule_id": S, "streak": I},
    "state_holds": {"partner_id": S, "rule_id": S, "kind": S, "started": S, "ends": S},
    "warnings": {"seq": I, "file": S, "line": I, "column": S, "key": S, "message": S},
    "inputs": {"table_name": S, "file": S, "sha256": S, "rows": I},
    # who is paid and where (docs/sign-off-and-audit.md#payees)
    "payees": {"partner_id": S, "payee_name": S, "bank_name": S, "account_no": S, "line": I},
    # guarantee deposits and final settlements (docs/sign-off-and-audit.md#final-settlement)
    "deposits": {
        "partner_id": S,
        "deposit_in": I,
        "received": I,
        "used": I,
        "returned": I,
        "deposit_out": I,
    },
    "final_settlements": {
        "partner_id": S,
        "partner_name": S,
        "decision": S,
        "terminated_in": S,
        "held": I,
        "receivable": I,
        "deposit": I,
        "set_off": I,
        "deposit_used": I,
        "deposit_returned": I,
        "forfeited": I,
        "amount": I,
        "receivable_left": I,
        "reason": S,
        "decided_by": S,
        "decided_at": S,
    },
    # accepted disputes the run applied, and the adjustments they made (docs/disputes.md#money)
    "corrections": {
        "dispute_id": S,
        "partner_id": S,
        "disputed_period": S,
        "record": S,
        "record_id": S,
        "correction": S,
    },
    "adjustments": {"partner_id": S, "corrected_period": S, "component": S, "amount": I},
    # the watch list (docs/metrics-and-rules.md#watch-list): one row per partner × rule on watch
    "watch": {
        "partner_id": S,
        "seq": I,
        "rule_id": S,
        "reason": S,
        "metric": S,
        "op": S,
        **_exact("value"),
        **_exact("threshold"),
        "streak": I,
        "next_streak": I,
        "next_action": S,
        "action_index": I,
    },
}
TABLES = tuple(SCHEMAS)


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    """The ``periods`` row: what was assessed, with what, by whom, when."""

    period: Period
    status: str  # draft / closed
    run_seq: int  # 1 for the first run of the month, +1 for each re-run
    ruleset_version: str
    ruleset_hash: str
    config_hash: str
    inputs_hash: str
    tool_version: str
    run_at: str  # UTC, ISO 8601
    run_by: str
    closed_at: str | None
    closed_by: str | None
    config_text: str
    ruleset_json: str
    cutoff: str

    @property
    def draft(self) -> bool:
        return self.status == "draft"


@dataclass(frozen=True, slots=True)
class MonthRecord:
    info: PeriodInfo
    tables: dict[str, pl.DataFrame]

    @property
    def period(self) -> Period:
        return self.info.period

    @property
    def ruleset(self) -> RuleSet:
        return RuleSet.model_validate_json(self.info.ruleset_json)

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def rows(self, name: str, partner_id: str | None = None) -> list[dict[str, Any]]:
        frame = self.tables[name]
        if partner_id is not None:
            frame = frame.filter(pl.col("partner_id") == partner_id)
        return frame.to_dicts()

    def partner_ids(self) -> list[str]:
        return self.tables["partner_results"].get_column("partner_id").to_list()

    def breached_rules(self) -> dict[str, list[str]]:
        """Per partner, the ids of the rules it breached, sorted."""
        out: dict[str, list[str]] = {}
        for pid, rule_id, hit in self.tables["rule_results"].select("partner_id", "rule_id", "breached").iter_rows():
            if hit:
                out.setdefault(pid, []).append(rule_id)
        return {k: sorted(v) for k, v in out.items()}

    def totals(self) -> dict[str, int]:
        """Each money column summed over the partners (integer fen)."""
        frame = self.tables["partner_results"]
        return {f: int(frame.get_column(f).sum()) for f in MONEY_FIELDS}

    def counts(self) -> dict[str, int]:
        pr = self.tables["partner_results"]
        status = pr.get_column("status")
        return {
            "partners_assessed": pr.height,
            "active": int((status == "active").sum()),
            "on_hold": int((status == "on_hold").sum()),
            "terminated": int((status == "terminated").sum()),
            "valid_complaints": int(pr.get_column("valid_complaints").sum()),
            "notices": self.tables["actions"].height,
            "breaches": int(self.tables["rule_results"].get_column("breached").sum()),
        }


def exact(num: int | None, den: int | None) -> Fraction | None:
    return None if num is None or den is None else Fraction(num, den)


def _nd(value: Fraction | Decimal | int | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    f = Fraction(value)
    return f.numerator, f.denominator


def _frame(name: str, rows: Sequence[Sequence[Any]] | Iterator[Sequence[Any]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SCHEMAS[name], orient="row")


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def build_tables(
    results: Sequence[PartnerResult],
    states: dict[str, PartnerState],
    tickets: pl.DataFrame,
    conduct: pl.DataFrame,
    surveys: pl.DataFrame,
    warnings: Sequence[Issue],
    inputs: Sequence[tuple[str, str | None, str | None, int]],
    deductions: dict[str, Decimal],
    payees: pl.DataFrame | None = None,
    engine_tables: dict[str, pl.DataFrame] | None = None,
) -> dict[str, pl.DataFrame]:
    """The record's tables from the engine's results and the month's facts. ``engine_tables``:
    the tables the columnar engine made (scorecard.engine.record_tables), in place of those
    made here from ``results``."""
    results = sorted(results, key=lambda r: r.partner_id)
    partner_rows, sub_rows, rule_rows, action_rows, hold_rows, line_rows, refund_rows = [], [], [], [], [], [], []
    watch_rows: list[list[Any]] = []
    for r in results:
        m, s, sc = r.metrics, r.settlement, r.score
        total = sum((p.sub_score * p.weight for p in sc.parts), Fraction(0))
        partner_rows.append(
            [
                m.partner_id,
                m.partner_name,
                m.mode,
                m.billed_users,
                m.group_customers,
                m.valid_complaints,
                m.repeat_complaints,
                m.major_complaints,
                m.invalid_tickets,
                m.on_time_tickets,
                m.late_tickets,
                m.pending_tickets,
                *_nd(m.complaint_rate_per_10k),
                m.zero_base,
                *_nd(m.on_time_rate),
                *_nd(m.reply_on_time_rate),
                m.resolved_tickets,
                m.resolution_seconds,
                *_nd(m.p90_resolution_hours),
                m.conduct_events,
                str(m.response_score),
                m.survey_count,
                m.survey_total,
                m.refund_total,
                m.service_cost,
                _fraction_text(total),
                str(sc.score),
                str(sc.band_min),
                str(sc.band_pct),
                r.status,
                *(getattr(s, f) for f in MONEY_FIELDS),
                m.settlement_line,
            ]
        )
        for seq, p in enumerate(sc.parts):
            sub_rows.append([m.partner_id, seq, p.metric, *_nd(p.value), *_nd(p.sub_score), *_nd(p.weight)])
        for seq, rr in enumerate(r.rules):
            rule_rows.append(
                [
                    m.partner_id,
                    rr.rule_id,
                    seq,
                    rr.metric,
                    rr.op,
                    *_nd(rr.value),
                    *_nd(rr.comparand),
                    rr.value is None and m.zero_base,
                    rr.breached,
                    rr.streak,
                ]
            )
        for seq, a in enumerate(r.actions):
            label = a.fired.action.label
            action_rows.append(
                [
                    m.partner_id,
                    seq,
                    a.fired.rule_id,
                    a.fired.kind,
                    a.fired.streak,
                    label.zh if label else None,
                    label.en if label else None,
                    a.deadline,
                    a.fired.action.months,
                    str(a.hold_end) if a.hold_end else None,
                ]
            )
        for h in r.holds:
            hold_rows.append([m.partner_id, h.rule_id, h.kind, str(h.started), str(h.ends) if h.ends else None])
        for seq, x in enumerate(r.lines):
            line_rows.append(
                [
                    m.partner_id,
                    seq,
                    x.kind,
                    x.amount,
                    x.rule_id,
                    x.source_id,
                    x.source_line,
                    x.refund_kind,
                    x.base_amount,
                    x.multiplier,
                    None if x.share is None else str(x.share),
                    x.uncapped,
                ]
            )
        for seq, w in enumerate(r.watch):
            watch_rows.append(
                [
                    m.partner_id,
                    seq,
                    w.rule_id,
                    w.reason,
                    w.metric,
                    w.op,
                    *_nd(w.value),
                    *_nd(w.threshold),
                    w.streak,
                    w.next_streak,
                    w.next_action,
                    w.action_index,
                ]
            )
        for f in m.refunds:
            refund_rows.append(
                [f.refund_id, m.partner_id, f.kind, f.amount, f.multiplier, f.deduction, f.customer_id, f.line]
            )
    assessed = {r.partner_id for r in results}
    if engine_tables is not None:
        assessed = set(engine_tables["partner_results"].get_column("partner_id").to_list())
    state_list = sorted(states.values(), key=lambda s: s.partner_id)
    tables = {
        "partner_results": _frame("partner_results", partner_rows),
        "sub_scores": _frame("sub_scores", sub_rows),
        "rule_results": _frame("rule_results", rule_rows),
        "actions": _frame("actions", action_rows),
        "holds": _frame("holds", hold_rows),
        "money_lines": _frame("money_lines", line_rows),
        "tickets": tickets,
        "refunds": _frame("refunds", refund_rows),
        "conduct": _conduct(conduct, deductions, assessed),
        "surveys": _surveys(surveys, assessed),
        "states": _frame(
            "states",
            (
                [
                    s.partner_id,
                    s.held,
                    s.receivable,
                    str(s.terminated_in) if s.terminated_in else None,
                    str(s.last_assessed) if s.last_assessed else None,
                ]
                for s in state_list
            ),
        ),
        "state_streaks": _frame(
            "state_streaks", ([s.partner_id, k, v] for s in state_list for k, v in sorted(s.streaks.items()))
        ),
        "state_holds": _frame(
            "state_holds",
            (
                [s.partner_id, h.rule_id, h.kind, str(h.started), str(h.ends) if h.ends else None]
                for s in state_list
                for h in s.month_holds
            ),
        ),
        "warnings": _frame(
            "warnings", ([seq, w.source, w.line, w.column, w.key, w.message] for seq, w in enumerate(warnings))
        ),
        "inputs": _frame("inputs", inputs),
        "payees": _payees(payees),
        "deposits": _frame("deposits", []),  # filled by the final settlement step of the run
        "final_settlements": _frame("final_settlements", []),
        "corrections": _frame("corrections", []),
        "adjustments": _frame("adjustments", []),
        "watch": _frame("watch", watch_rows),
    }
    if engine_tables is not None:
        tables.update(engine_tables)
    for name, frame in tables.items():
        if dict(frame.schema) != SCHEMAS[name]:
            raise AssertionError(f"record table {name} has schema {frame.schema}, expected {SCHEMAS[name]}")
    return tables


def _payees(frame: pl.DataFrame | None) -> pl.DataFrame:
    if frame is None:
        return _frame("payees", [])
    cols = ("partner_id", "payee_name", "bank_name", "account_no", "_line")
    return _frame("payees", frame.select(cols).sort("partner_id").iter_rows())


def _conduct(frame: pl.DataFrame, deductions: dict[str, Decimal], assessed: set[str]) -> pl.DataFrame:
    """Conduct events with their points: ``state`` counted, or outside (the month)."""
    if "event_id" not in frame.columns:
        frame = frame.with_columns(event_id=pl.lit(None, dtype=pl.String))
    points = {kind: str(value) for kind, value in deductions.items()}
    rows = (
        frame.select("partner_id", "event_type", "occurred_on", "note", "state", "_line", "event_id")
        .with_row_index("seq")
        .filter(_kept(assessed))
        .select(
            "partner_id",
            pl.col("seq").cast(pl.Int64),
            "event_type",
            "occurred_on",
            "note",
            pl.col("event_type")
            .replace_strict(points, default=str(Decimal(0)), return_dtype=pl.String)
            .fill_null(str(Decimal(0)))
            .alias("points"),
            "state",
            pl.col("_line").alias("line"),
            "event_id",
        )
    )
    return rows.cast(pl.Schema(SCHEMAS["conduct"]))


def _surveys(frame: pl.DataFrame, assessed: set[str]) -> pl.DataFrame:
    """Surveys with their ``state``; a counted one only for a partner assessed this month."""
    rows = (
        frame.select("partner_id", "customer_id", "score", "state", "_line")
        .with_row_index("seq")
        .filter(_kept(assessed))
        .select(
            "partner_id", pl.col("seq").cast(pl.Int64), "customer_id", "score", "state", pl.col("_line").alias("line")
        )
    )
    return rows.cast(pl.Schema(SCHEMAS["surveys"]))


def _kept(assessed: set[str]) -> pl.Expr:
    """A fact left out (its state says why) is kept; a counted one when its partner was assessed."""
    return (pl.col("state") != "counted") | pl.col("partner_id").is_in(
        pl.Series(sorted(assessed), dtype=pl.String).implode()
    )


def stored_state(record: MonthRecord) -> dict[str, PartnerState]:
    """The states every known partner carried out of the record's month."""
    from scorecard.state import Hold

    streaks: dict[str, dict[str, int]] = {}
    for pid, rule, streak in record["state_streaks"].iter_rows():
        streaks.setdefault(pid, {})[rule] = streak
    holds: dict[str, list[Hold]] = {}
    for pid, rule, kind, started, ends in record["state_holds"].iter_rows():
        holds.setdefault(pid, []).append(Hold(rule, kind, Period.parse(started), Period.parse(ends) if ends else None))
    return {
        pid: PartnerState(
            pid,
            streaks.get(pid, {}),
            tuple(holds.get(pid, ())),
            held,
            receivable,
            Period.parse(term) if term else None,
            Period.parse(last) if last else None,
        )
        for pid, held, receivable, term, last in record["states"].iter_rows()
    }


def day_text(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value.isoformat()
