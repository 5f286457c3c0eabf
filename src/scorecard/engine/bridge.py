"""Conversions between the columnar engine's frames and the Fraction engine's objects.

Used where the two meet: the oracle tests, the engine benchmark, and a
pipeline that still forms :class:`~scorecard.metrics.PartnerMetrics`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl

from scorecard.engine.columnar import STATE_SCHEMA, STREAK_SCHEMA
from scorecard.engine.values import COMPONENTS
from scorecard.metrics import TEN_THOUSAND, PartnerMetrics
from scorecard.periods import Period
from scorecard.settle import RefundFact
from scorecard.state import Hold, PartnerState


def to_period(index: int | None) -> Period | None:
    return None if index is None else Period(index // 12, index % 12 + 1)


def to_index(period: Period | None) -> int | None:
    return None if period is None else period.year * 12 + period.month - 1


def _ratio(num: int | None, den: int | None) -> Fraction | None:
    return Fraction(num, den) if num is not None and den else None


def metrics_from_components(components: pl.DataFrame) -> list[PartnerMetrics]:
    """One :class:`PartnerMetrics` per row, formed as :func:`scorecard.metrics.compute` forms them."""
    out = []
    for r in components.iter_rows(named=True):
        valid, mode = r["valid_complaints"], r["mode"]
        base = r["billed_users"] if mode == "C" else r["group_customers"]
        rate = Fraction(valid * TEN_THOUSAND, base) if base else (Fraction(0) if valid == 0 else None)
        on_time, late = r["on_time_tickets"], r["late_tickets"]
        reply = (
            None
            if r["reply_on_time"] is None or r["reply_late"] is None
            else _ratio(r["reply_on_time"], r["reply_on_time"] + r["reply_late"])
        )
        resolved = r["resolved_tickets"]
        out.append(
            PartnerMetrics(
                partner_id=r["partner_id"],
                partner_name=r["partner_id"],
                mode=mode,
                billed_users=r["billed_users"],
                group_customers=r["group_customers"],
                valid_complaints=valid,
                repeat_complaints=r["repeat_complaints"],
                major_complaints=r["major_complaints"],
                complaint_rate_per_10k=rate,
                zero_base=rate is None,
                assessable_tickets=on_time + late,
                on_time_tickets=on_time,
                late_tickets=late,
                pending_tickets=0,
                on_time_rate=_ratio(on_time, on_time + late),
                reply_on_time_rate=reply,
                avg_resolution_hours=_ratio(r["resolution_seconds"], 3600 * resolved) if resolved else None,
                p90_resolution_hours=_ratio(r["p90_hours_num"], r["p90_hours_den"]),
                conduct_events=0,
                response_score=Decimal(r["response_hundredths"]).scaleb(-2),
                survey_count=r["survey_count"],
                satisfaction=_ratio(r["survey_total"], 100 * r["survey_count"]),
                refund_total=r["refund_total"],
                # the settlement deducts refunds one by one: one refund of the whole amount
                refunds=(RefundFact("refund", "full", r["refund_total"]),) if r["refund_total"] else (),
                gross_amount=r["gross_amount"],
                service_cost=r["service_cost"],
            )
        )
    return out


def components_from_metrics(metrics: list[PartnerMetrics]) -> pl.DataFrame:
    """The engine's input from formed metrics; every value comes back equal (not the same counts:
    a reduced rate gives its reduced terms). Refuses a response score finer than hundredths."""
    rows = []
    for m in metrics:
        hundredths = m.response_score * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"{m.partner_id}: response score {m.response_score} is finer than hundredths")
        avg = m.avg_resolution_hours
        reply = m.reply_on_time_rate
        satisfaction = m.satisfaction
        p90 = m.p90_resolution_hours
        rows.append(
            {
                "partner_id": m.partner_id,
                "mode": m.mode,
                "billed_users": m.billed_users,
                "group_customers": m.group_customers,
                "valid_complaints": m.valid_complaints,
                "repeat_complaints": m.repeat_complaints,
                "major_complaints": m.major_complaints,
                "on_time_tickets": m.on_time_tickets,
                "late_tickets": m.late_tickets,
                "reply_on_time": None if reply is None else reply.numerator,
                "reply_late": None if reply is None else reply.denominator - reply.numerator,
                # hours = seconds / (3600 × tickets): 3600·p / (3600·q) for a reduced p/q
                "resolved_tickets": 0 if avg is None else avg.denominator,
                "resolution_seconds": 0 if avg is None else avg.numerator * 3600,
                "p90_hours_num": None if p90 is None else p90.numerator,
                "p90_hours_den": None if p90 is None else p90.denominator,
                "response_hundredths": int(hundredths),
                "survey_count": m.survey_count if satisfaction is not None else 0,
                "survey_total": 0 if satisfaction is None else int(satisfaction * 100 * m.survey_count),
                "refund_total": m.refund_total,
                "gross_amount": m.gross_amount,
                "service_cost": m.service_cost,
            }
        )
    return pl.DataFrame(rows, schema={k: v[0] for k, v in COMPONENTS.items()})


def states_to_frames(states: dict[str, PartnerState]) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = [
        {
            "partner_id": s.partner_id,
            "hold_through": to_index(s.hold_through),
            "held": s.held,
            "receivable": s.receivable,
            "terminated_in": to_index(s.terminated_in),
            "last_assessed": to_index(s.last_assessed),
        }
        for s in states.values()
    ]
    streaks = [
        {"partner_id": s.partner_id, "rule_id": rule, "streak": n}
        for s in states.values()
        for rule, n in s.streaks.items()
        if n
    ]
    return pl.DataFrame(rows, schema=STATE_SCHEMA), pl.DataFrame(streaks, schema=STREAK_SCHEMA)


def _month_holds(through: Period | None, last: Period | None) -> tuple[Hold, ...]:
    if through is None:
        return ()
    return (Hold("hold_months", "months", min(last or through, through), through),)


def states_from_frames(states: pl.DataFrame, streaks: pl.DataFrame) -> dict[str, PartnerState]:
    by_partner: dict[str, dict[str, int]] = {}
    for pid, rule, n in streaks.iter_rows():
        by_partner.setdefault(pid, {})[rule] = n
    return {
        r["partner_id"]: PartnerState(
            partner_id=r["partner_id"],
            streaks=by_partner.get(r["partner_id"], {}),
            # the columnar state keeps the end of the running holds of n months, not their rules
            month_holds=_month_holds(to_period(r["hold_through"]), to_period(r["last_assessed"])),
            held=r["held"],
            receivable=r["receivable"],
            terminated_in=to_period(r["terminated_in"]),
            last_assessed=to_period(r["last_assessed"]),
        )
        for r in states.iter_rows(named=True)
    }
