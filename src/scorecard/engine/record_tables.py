"""The record's engine-made tables from the columnar engine (docs/ledger.md#record).

:func:`record_tables` assesses a month with :func:`scorecard.engine.columnar.assess_columnar`
and shapes its frames into the record's tables — partner_results, sub_scores, rule_results,
actions, holds, money_lines, refunds and watch — column for column and row for row what
:func:`scorecard.record.build_tables` makes from the Fraction engine's results
(tests/test_engine_columnar.py holds the two side by side). It also returns the states every
known partner carries out, as :class:`~scorecard.state.PartnerState` objects, since the run
goes on changing them (final settlements, balances pending one) before the record keeps them.

The metrics come in as a :class:`~scorecard.metrics.MetricsFrame` (or as
:class:`~scorecard.metrics.PartnerMetrics`, turned into one); the engine's counts and the record's
metric columns are columns of it, rates stored reduced, as ``Fraction`` keeps them.
``ValueError`` (from the engine) means a month outside its exact range: the caller assesses it
with the Fraction engine instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from scorecard.metrics import MetricsFrame, PartnerMetrics, stage_count_columns
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


def metric_frames(metrics: MetricsFrame, stages: Sequence[str]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the engine's components, the record's metric columns of partner_results, the record's
    refunds), one row per partner (per refund) in the metrics' order.

    The counts the engine forms its rates from are taken from the exact rates themselves
    (``p/q`` in lowest terms as ``p`` of ``q``), so the engine sees the values the Fraction
    engine sees. A response score finer than hundredths is refused (``ValueError``)."""
    frame = metrics.partners
    finer = frame.filter(pl.col("response_hundredths").is_null())
    if not finer.is_empty():
        pid, score = finer.row(0, named=True)["partner_id"], finer.row(0, named=True)["response_score"]
        raise ValueError(f"{pid}: response score {score} is finer than hundredths")
    c = pl.col
    wide = pl.Int128

    def scaled(pair: str, by: int) -> pl.Expr:
        # p·by of p/q in lowest terms, 0 when empty; Int128, as p·by can pass 64 bits (refused below)
        return (c(f"{pair}_num").cast(wide) * by).fill_null(0)

    stage_cols = []
    for s in stages:
        on_time, late = stage_columns(s)
        if s in metrics.stages:
            ours = stage_count_columns(s)
            stage_cols += [c(ours[0]).alias(on_time), c(ours[1]).alias(late)]
        else:  # not measured this month
            stage_cols += [pl.lit(None, dtype=pl.Int64).alias(on_time), pl.lit(None, dtype=pl.Int64).alias(late)]
    components = frame.select(  # in the order of COMPONENTS
        "partner_id",
        "mode",
        "billed_users",
        "group_customers",
        "valid_complaints",
        "repeat_complaints",
        "major_complaints",
        "on_time_tickets",
        "late_tickets",
        c("reply_on_time_rate_num").alias("reply_on_time"),
        (c("reply_on_time_rate_den") - c("reply_on_time_rate_num")).alias("reply_late"),
        # hours = seconds / (3600 × tickets): 3600·p / (3600·q) for p/q in lowest terms
        c("avg_resolution_hours_den").fill_null(0).alias("resolved_tickets"),
        scaled("avg_resolution_hours", 3600).alias("resolution_seconds"),
        c("p90_resolution_hours_num").alias("p90_hours_num"),
        c("p90_resolution_hours_den").alias("p90_hours_den"),
        "response_hundredths",
        # satisfaction = total / (100 × surveys): 100·p / (100·q)
        c("satisfaction_den").fill_null(0).alias("survey_count"),
        scaled("satisfaction", 100).alias("survey_total"),
        "refund_total",
        "gross_amount",
        "service_cost",
        *stage_cols,
    )
    for name in ("resolution_seconds", "survey_total"):
        top, limit = components.get_column(name).abs().max(), COMPONENTS[name][2]
        if top is not None and limit is not None and top >= limit:  # type: ignore[operator]
            raise ValueError(f"metric components: {name} beyond its bound")
    comp_schema = {k: v[0] for k, v in COMPONENTS.items()} | {
        col: pl.Int64() for s in stages for col in stage_columns(s)
    }
    schema = SCHEMAS["partner_results"]
    return (
        components.cast(comp_schema),  # type: ignore[arg-type]
        frame.select(_METRIC_COLUMNS).cast({k: schema[k] for k in _METRIC_COLUMNS}),
        metrics.refunds.cast(SCHEMAS["refunds"]),  # type: ignore[arg-type]
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
    metrics: MetricsFrame | Sequence[PartnerMetrics],
    previous: dict[str, PartnerState],
    ruleset: RuleSet,
    restated: dict[str, Restated] | None = None,
) -> EngineRecord:
    """Assess ``period`` with the columnar engine and return the record's engine-made tables
    (as :func:`scorecard.assess.assess` + :func:`scorecard.record.build_tables` would make them)."""
    stages = stage_names(ruleset)
    frame = metrics if isinstance(metrics, MetricsFrame) else MetricsFrame.of(metrics)
    components, metric_cols, refunds = metric_frames(frame, stages)
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
