"""Write one assessed period into the ledger, replacing its draft, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction

import polars as pl

from scorecard import __version__
from scorecard.assess import PartnerResult
from scorecard.ledger import Ledger, exact_text, now
from scorecard.periods import Period
from scorecard.rules import notice_deadline
from scorecard.state import PartnerState


@dataclass(frozen=True, slots=True)
class RunMeta:
    period: Period
    ruleset_version: str
    ruleset_hash: str
    config_hash: str
    inputs_hash: str
    inputs: tuple[tuple[str, str | None, str | None, int], ...]  # table, file, sha256, rows


def _metrics_json(r: PartnerResult) -> str:
    """Every metric; exact rationals as "n/d" text so nothing is lost."""
    data: dict[str, object] = {}
    for f in fields(r.metrics):
        v = getattr(r.metrics, f.name)
        data[f.name] = exact_text(v) if isinstance(v, Fraction) else str(v) if isinstance(v, Decimal) else v
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _sub_scores_json(r: PartnerResult) -> str:
    return json.dumps(
        [
            {
                "metric": p.metric,
                "value": exact_text(p.value),
                "sub_score": exact_text(p.sub_score),
                "weight": exact_text(p.weight),
            }
            for p in r.score.parts
        ]
    )


def record_period(
    ledger: Ledger,
    meta: RunMeta,
    results: Sequence[PartnerResult],
    states: dict[str, PartnerState],
    refunds: pl.DataFrame,
) -> None:
    p = str(meta.period)
    with ledger.write() as c:
        ledger.check_can_run(meta.period)
        ledger.replace_draft(c, meta.period)
        c.execute(
            "INSERT INTO periods VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, NULL)",
            (p, meta.ruleset_version, meta.ruleset_hash, meta.config_hash, meta.inputs_hash, __version__, now()),
        )
        c.executemany(
            "INSERT INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    p,
                    r.partner_id,
                    r.metrics.partner_name,
                    r.metrics.mode,
                    r.status,
                    str(r.score.score),
                    str(r.score.band_pct),
                    ";".join(r.breached_rules),
                    ";".join(r.holds),
                    r.settlement.gross_amount,
                    r.settlement.refund_deduction,
                    r.settlement.score_deduction,
                    r.settlement.receivable_in,
                    r.settlement.receivable_out,
                    r.settlement.held_in,
                    r.settlement.held_out,
                    r.settlement.released,
                    r.settlement.payout,
                    _metrics_json(r),
                    _sub_scores_json(r),
                )
                for r in results
            ],
        )
        c.executemany(
            "INSERT INTO rule_results VALUES (?,?,?,?,?,?,?)",
            [
                (
                    p,
                    r.partner_id,
                    rr.rule_id,
                    int(rr.breached),
                    rr.streak,
                    exact_text(rr.value),
                    exact_text(rr.comparand),
                )
                for r in results
                for rr in r.rules
            ],
        )
        rows = []
        for r in results:
            for seq, f in enumerate(r.notices):
                deadline = notice_deadline(meta.period, f.action)
                label = f.action.label
                rows.append(
                    (
                        p,
                        r.partner_id,
                        f.rule_id,
                        f.kind,
                        seq,
                        f.streak,
                        deadline and str(deadline),
                        label.zh if label else None,
                        label.en if label else None,
                    )
                )
        c.executemany("INSERT INTO notices VALUES (?,?,?,?,?,?,?,?,?)", rows)
        c.executemany(
            "INSERT INTO refunds VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    p,
                    x["refund_id"],
                    x["partner_id"],
                    x["kind"],
                    x["amount"],
                    2 if x["kind"] == "double" else 1,
                    x["amount"] * (2 if x["kind"] == "double" else 1),
                    x["customer_id"],
                    x["_line"],
                )
                for x in refunds.iter_rows(named=True)
            ],
        )
        c.executemany(
            "INSERT INTO states VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    p,
                    s.partner_id,
                    json.dumps(s.streaks, sort_keys=True),
                    str(s.hold_through) if s.hold_through else None,
                    s.held,
                    s.receivable,
                    str(s.terminated_in) if s.terminated_in else None,
                    str(s.last_assessed) if s.last_assessed else None,
                )
                for s in sorted(states.values(), key=lambda s: s.partner_id)
            ],
        )
        c.executemany("INSERT INTO inputs VALUES (?,?,?,?,?)", [(p, *row) for row in meta.inputs])
        c.execute(
            "INSERT INTO events (at, command, period, detail) VALUES (?, 'run', ?, ?)",
            (now(), p, json.dumps({"ruleset": meta.ruleset_version, "inputs": meta.inputs_hash})),
        )
