"""The record's engine-made tables from the columnar engine (docs/ledger.md#record).

:func:`record_tables` assesses a month with :func:`scorecard.engine.columnar.assess_columnar`
and shapes its frames into the record's tables — partner_results, sub_scores, rule_results,
actions, holds, money_lines, refunds and watch — column for column and row for row what
:func:`scorecard.record.build_tables` makes from the Fraction engine's results
(tests/test_engine_columnar.py holds the two side by side). It also returns the states every
known partner carries out, as :class:`~scorecard.state.PartnerState` objects, since the run
goes on changing them (final settlements, balances pending one) before the record keeps them.

The metrics come in as :class:`~scorecard.metrics.PartnerMetrics` (one Python pass forms the
engine's counts and the record's metric columns); rates are stored reduced, as ``Fraction``
keeps them. ``ValueError`` (from the engine) means a month outside its exact range: the caller
assesses it with the Fraction engine instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import polars as pl

from scorecard.assess import Restated
from scorecard.config import RuleSet
from scorecard.engine.columnar import STATE_SCHEMA, STREAK_SCHEMA, Assessment, assess_columnar, stage_names
from scorecard.engine.holds import HOLD_SCHEMA
from scorecard.engine.lines import money_lines
from scorecard.engine.reduced import fraction_text, reduced
from scorecard.engine.settle import RESTATED_SCHEMA
from scorecard.engine.values import COMPONENTS, NULLABLE, stage_columns
from scorecard.metrics import PartnerMetrics
from scorecard.periods import Period
from scorecard.record import SCHEMAS
from scorecard.settle import MONEY_FIELDS
from scorecard.state import Hold, PartnerState

ENGINE_TABLES = (
    "partner_results",
    "sub_scores",
    "rule_results",
    "actions",
    "holds",
    "money_lines",
    "refunds",
    "watch",
)
# partner_results' columns that are the month's metrics, not the engine's results
_METRIC_COLUMNS = [
    c
    for c in SCHEMAS["partner_results"]
    if c not in ("score_exact", "score", "band_min", "band_pct", "status", *MONEY_FIELDS)
]


@dataclass(frozen=True, slots=True)
class EngineRecord:
    tables: dict[str, pl.DataFrame]  # ENGINE_TABLES, in the record's schemas (not yet sorted by it)
    states: dict[str, PartnerState]  # what every known partner carries out of the month
    assessment: Assessment  # the engine's own frames


def _nd(value: Fraction | None) -> tuple[int | None, int | None]:
    return (None, None) if value is None else (value.numerator, value.denominator)


def metric_frames(
    metrics: Sequence[PartnerMetrics], stages: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the engine's components, the record's metric columns of partner_results, the record's
    refunds), one row per partner (per refund) in the metrics' order.

    The counts the engine forms its rates from are taken from the exact rates themselves
    (``p/q`` in lowest terms as ``p`` of ``q``), so the engine sees the values the Fraction
    engine sees. A response score finer than hundredths is refused (``ValueError``)."""
    stage_cols = [col for s in stages for col in stage_columns(s)]
    comp: list[tuple[Any, ...]] = []
    rec: list[tuple[Any, ...]] = []
    refunds: list[tuple[Any, ...]] = []
    for m in metrics:
        hundredths = m.response_score * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"{m.partner_id}: response score {m.response_score} is finer than hundredths")
        reply, avg, sat, p90 = m.reply_on_time_rate, m.avg_resolution_hours, m.satisfaction, m.p90_resolution_hours
        row: tuple[Any, ...] = (  # in the order of COMPONENTS
            m.partner_id,
            m.mode,
            m.billed_users,
            m.group_customers,
            m.valid_complaints,
            m.repeat_complaints,
            m.major_complaints,
            m.on_time_tickets,
            m.late_tickets,
            None if reply is None else reply.numerator,  # reply_on_time
            None if reply is None else reply.denominator - reply.numerator,  # reply_late
            # hours = seconds / (3600 × tickets): 3600·p / (3600·q) for p/q in lowest terms
            0 if avg is None else avg.denominator,  # resolved_tickets
            0 if avg is None else avg.numerator * 3600,  # resolution_seconds
            None if p90 is None else p90.numerator,
            None if p90 is None else p90.denominator,
            int(hundredths),
            # satisfaction = total / (100 × surveys): 100·p / (100·q)
            0 if sat is None else sat.denominator,  # survey_count
            0 if sat is None else sat.numerator * 100,  # survey_total
            m.refund_total,
            m.gross_amount,
            m.service_cost,
        )
        if stage_cols:
            measured = {name: (on_time, late) for name, on_time, late, _ in m.stages}
            row += tuple(x for s in stages for x in measured.get(s, (None, None)))
        comp.append(row)
        rate, on_time_rate = m.complaint_rate_per_10k, m.on_time_rate
        rec.append(
            (  # in the order of _METRIC_COLUMNS
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
                *_nd(rate),
                m.zero_base,
                *_nd(on_time_rate),
                *_nd(reply),
                m.resolved_tickets,
                m.resolution_seconds,
                *_nd(p90),
                m.conduct_events,
                str(m.response_score),
                m.survey_count,
                m.survey_total,
                m.refund_total,
                m.service_cost,
                m.settlement_line,
            )
        )
        for f in m.refunds:
            refunds.append(
                (f.refund_id, m.partner_id, f.kind, f.amount, f.multiplier, f.deduction, f.customer_id, f.line)
            )
    comp_schema = {k: v[0] for k, v in COMPONENTS.items()} | dict.fromkeys(stage_cols, pl.Int64())
    schema = SCHEMAS["partner_results"]
    return (
        pl.DataFrame(comp, schema=comp_schema, orient="row"),
        pl.DataFrame(rec, schema={k: schema[k] for k in _METRIC_COLUMNS}, orient="row"),
        pl.DataFrame(refunds, schema=SCHEMAS["refunds"], orient="row"),
    )


def _index(period: Period | None) -> int | None:
    return None if period is None else period.year * 12 + period.month - 1


def state_frames(previous: dict[str, PartnerState]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The engine's states, streaks and holds of n months from the states carried in."""
    states: dict[str, list[Any]] = {k: [] for k in STATE_SCHEMA}
    streaks: list[tuple[str, str, int]] = []
    holds: list[tuple[str, str, str, int | None, int | None]] = []
    for s in previous.values():
        states["partner_id"].append(s.partner_id)
        states["hold_through"].append(_index(s.hold_through))
        states["held"].append(s.held)
        states["receivable"].append(s.receivable)
        states["terminated_in"].append(_index(s.terminated_in))
        states["last_assessed"].append(_index(s.last_assessed))
        streaks += [(s.partner_id, rule, n) for rule, n in s.streaks.items()]
        holds += [(s.partner_id, h.rule_id, h.kind, _index(h.started), _index(h.ends)) for h in s.month_holds]
    return (
        pl.DataFrame(states, schema=STATE_SCHEMA),
        pl.DataFrame(streaks, schema=STREAK_SCHEMA, orient="row"),
        pl.DataFrame(holds, schema=HOLD_SCHEMA, orient="row"),
    )


def restated_frame(restated: dict[str, Restated]) -> pl.DataFrame:
    rows = [(pid, r.adjustment, r.held, r.receivable) for pid, r in restated.items()]
    return pl.DataFrame(rows, schema=RESTATED_SCHEMA, orient="row")


def _period(index: int | None) -> Period | None:
    return None if index is None else Period(index // 12, index % 12 + 1)


def _period_text(col: str) -> pl.Expr:
    """A month index as ``YYYY-MM`` (null stays null)."""
    i = pl.col(col)
    return pl.format("{}-{}", (i // 12).cast(pl.String).str.zfill(4), (i % 12 + 1).cast(pl.String).str.zfill(2)).alias(
        col
    )


def states_from(out: Assessment) -> dict[str, PartnerState]:
    """The engine's next states as PartnerState objects (streaks and holds in their order)."""
    streaks: dict[str, dict[str, int]] = {}
    for pid, rule, n in out.streaks.iter_rows():
        streaks.setdefault(pid, {})[rule] = n
    holds: dict[str, list[Hold]] = {}
    for pid, rule, kind, started, ends in out.month_holds.iter_rows():
        holds.setdefault(pid, []).append(Hold(rule, kind, _period(started), _period(ends)))  # type: ignore[arg-type]
    return {
        pid: PartnerState(
            pid, streaks.get(pid, {}), tuple(holds.get(pid, ())), held, receivable, _period(term), _period(last)
        )
        for pid, held, receivable, term, last in out.states.select(
            "partner_id", "held", "receivable", "terminated_in", "last_assessed"
        ).iter_rows()
    }


def _score_text(col: str) -> pl.Expr:
    """Hundredths as the Decimal text of the Fraction engine's score (``71.99``, ``-0.05``)."""
    h = pl.col(col)
    magnitude = h.abs()
    return (
        pl.when(h < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + (magnitude // 100).cast(pl.String)
        + pl.lit(".")
        + (magnitude % 100).cast(pl.String).str.zfill(2)
    )


def _part_order(ruleset: RuleSet) -> tuple[pl.DataFrame, list[str]]:
    """(mode × mask × metric → position of the sub-score, the fallback sources the mask is made of).

    The Fraction engine lists the sub-scores in the order of its weights dict after the fallbacks
    moved the weights of empty metrics (a target not yet weighted comes last): that order depends
    only on which sources are empty, so every case is replayed once here."""
    sources: list[str] = [str(m) for m in ruleset.score.fallback if m in NULLABLE]
    rows = []
    for mode, configured in ruleset.score.weights.items():
        for mask in range(2 ** len(sources)):
            empty = {s for i, s in enumerate(sources) if mask >> i & 1}
            weights: dict[str, int] = dict.fromkeys(configured, 0)
            for metric, target in ruleset.score.fallback.items():
                if metric in weights and metric in empty:
                    weights.pop(metric)
                    weights.setdefault(target, 0)
            rows += [(str(mode), mask, str(metric), pos) for pos, metric in enumerate(weights)]
    frame = pl.DataFrame(
        rows, schema={"mode": pl.String, "_mask": pl.Int64, "metric": pl.String, "_pos": pl.Int64}, orient="row"
    )
    return frame, sources


def record_tables(
    period: Period,
    metrics: Sequence[PartnerMetrics],
    previous: dict[str, PartnerState],
    ruleset: RuleSet,
    restated: dict[str, Restated] | None = None,
) -> EngineRecord:
    """Assess ``period`` with the columnar engine and return the record's engine-made tables
    (as :func:`scorecard.assess.assess` + :func:`scorecard.record.build_tables` would make them)."""
    stages = stage_names(ruleset)
    components, metric_cols, refunds = metric_frames(metrics, stages)
    states, streaks, holds = state_frames(previous)
    out = assess_columnar(
        period, components, states, streaks, ruleset, holds=holds, restated=restated_frame(restated or {})
    )
    tables = shape_tables(out, metric_cols, refunds, ruleset)
    return EngineRecord(tables, states_from(out), out)


def shape_tables(
    out: Assessment, metric_cols: pl.DataFrame, refunds: pl.DataFrame, ruleset: RuleSet
) -> dict[str, pl.DataFrame]:
    """The engine's frames in the record's schemas."""
    c = pl.col
    bands = pl.DataFrame(
        {
            "band": list(range(len(ruleset.score.bands))),
            "band_min": [str(b.min_score) for b in ruleset.score.bands],
            "band_pct": [str(b.deduction) for b in ruleset.score.bands],
        },
        schema={"band": pl.Int64, "band_min": pl.String, "band_pct": pl.String},
    )
    partners = out.partners.join(bands, on="band", how="left", maintain_order="left").with_columns(
        score_exact=fraction_text(out.partners["score_num"], out.partners["score_den"]),
        score=_score_text("score"),
        status=c("status").cast(pl.String),
    )
    partner_results = metric_cols.join(
        partners, on="partner_id", how="inner", maintain_order="left", suffix="_engine"
    ).select(list(SCHEMAS["partner_results"]))

    rule_info = pl.DataFrame(
        [(r.id, r.metric, r.op) for r in ruleset.rules],
        schema={"rule_id": pl.String, "metric": pl.String, "op": pl.String},
        orient="row",
    )
    zero_base = out.values.select("partner_id", c("zero_base").alias("_zb"))
    rules = reduced(
        out.rules,
        {"value": ("value_num", "value_den"), "comparand": ("comparand_num", "comparand_den")},
    )
    rule_results = (
        rules.join(rule_info, on="rule_id", how="left", maintain_order="left")
        .join(zero_base, on="partner_id", how="left", maintain_order="left")
        .with_columns(
            seq=pl.int_range(pl.len(), dtype=pl.Int64).over("partner_id"),
            zero_base=c("value_num").is_null() & c("_zb"),
        )
        .select(list(SCHEMAS["rule_results"]))
    )

    order, sources = _part_order(ruleset)
    mask = pl.lit(0, dtype=pl.Int64)
    for i, s in enumerate(sources):
        mask = mask + pl.when(c(f"{s}_num").is_null()).then(1 << i).otherwise(0)
    masks = out.values.select("partner_id", "mode", mask.alias("_mask"))
    parts = reduced(
        out.parts,
        {
            "value": ("value_num", "value_den"),
            "sub_score": ("sub_num", "sub_den"),
            "weight": ("weight_num", "weight_den"),
        },
    )
    sub_scores = (
        parts.join(masks, on="partner_id", how="left", maintain_order="left")
        .join(order, on=["mode", "_mask", "metric"], how="left", maintain_order="left")
        .sort("partner_id", "_pos", maintain_order=True)
        .with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int64).over("partner_id"))
        .select(list(SCHEMAS["sub_scores"]))
    )

    actions = (
        out.actions.with_columns(
            seq=c("sequence"),
            hold_end=pl.when((c("kind") == "hold_months") & c("months").is_not_null()).then(c("hold_through")),
        )
        .with_columns(_period_text("hold_end"))
        .select(list(SCHEMAS["actions"]))
    )

    holds = out.holds.with_columns(_period_text("started"), _period_text("ends")).select(list(SCHEMAS["holds"]))

    watch = (
        reduced(out.watch, {"value": ("value_num", "value_den"), "threshold": ("comparand_num", "comparand_den")})
        .join(rule_info, on="rule_id", how="left", maintain_order="left")
        .with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int64).over("partner_id"))
        .select(list(SCHEMAS["watch"]))
    )

    assessed_refunds = refunds.join(
        out.partners.select("partner_id"), on="partner_id", how="semi", maintain_order="left"
    )
    line_partners = partners.join(
        metric_cols.select("partner_id", "settlement_line"), on="partner_id", how="left", maintain_order="left"
    )
    lines = money_lines(line_partners, out.fines, assessed_refunds)

    tables = {
        "partner_results": partner_results,
        "sub_scores": sub_scores,
        "rule_results": rule_results,
        "actions": actions,
        "holds": holds,
        "money_lines": lines,
        "refunds": assessed_refunds,
        "watch": watch,
    }
    tables = {name: frame.cast(SCHEMAS[name]) for name, frame in tables.items()}  # type: ignore[arg-type]
    for name, frame in tables.items():
        if dict(frame.schema) != SCHEMAS[name]:
            raise AssertionError(f"record table {name} has schema {frame.schema}, expected {SCHEMAS[name]}")
    return tables


__all__ = ["ENGINE_TABLES", "EngineRecord", "metric_frames", "record_tables", "state_frames", "states_from"]
