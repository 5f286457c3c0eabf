"""A small ledger for report tests, filled through the engine (assess + the record).

Three periods (2026-01 and 2026-02 closed, 2026-03 a draft) and seven partners
chosen so that every kind of money line occurs: refunds, score deductions, a
hold until compliant and its release, a one-month hold, a receivable carried
out and back in, a termination, a review. Partner names and ids are hostile
(formulas, links, markup, path tricks) and every gross amount is distinctive,
so a report that leaks or executes data is caught.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import polars as pl
from factories import metrics

from scorecard.assess import assess
from scorecard.config import load_config
from scorecard.demo import init_workspace
from scorecard.inputs.schema import TABLES, polars_schema
from scorecard.ledger import Ledger, cycle, now
from scorecard.ledger.store import sort, store_record
from scorecard.metrics import PartnerMetrics
from scorecard.periods import Period
from scorecard.record import SCHEMAS, MonthRecord, PeriodInfo, build_tables, stored_state
from scorecard.settle import RefundFact, refund_deduction
from scorecard.workspace import Workspace

JAN, FEB, MAR = Period(2026, 1), Period(2026, 2), Period(2026, 3)
PERIODS = (JAN, FEB, MAR)

# partner id -> (name, mode, gross in fen): ids are not substrings of one another
PARTNERS: dict[str, tuple[str, str, int]] = {
    "ALPHA-01": ("Alpha 甲方服务有限公司", "C", 1_234_567),
    "BRAVO-02": ('=HYPERLINK("http://evil.example/x","click")', "C", 2_345_671),
    "CHARLIE-03": ("+1 Charlie 通信", "C", 3_456_712),
    "DELTA-04": ("-2 Delta 企业服务", "EMP", 456_723),
    "ECHO-05": ("@x Echo", "C", 5_671_234),
    "FOXTROT-06": ("http://x.example/foxtrot", "C", 9_876),
    "../evil/GOLF-07": ("<script>alert('golf')</script> & Co", "C", 7_123_456),
}
HOSTILE_TEXT = [name for name, _, _ in PARTNERS.values()] + ["=cmd|' /C calc'!A0"]


def _m(
    pid: str,
    period: Period,
    *,
    valid: int = 2,
    billed: int = 20_000,
    on_time: int | None = None,
    late: int = 0,
    major: int = 0,
    refund: int = 0,
    conduct: int = 0,
) -> PartnerMetrics:
    name, mode, gross = PARTNERS[pid]
    on_time = valid - late if on_time is None else on_time
    gross += period.month  # distinctive every month too
    return metrics(
        partner_id=pid,
        partner_name=name,
        mode=mode,
        billed_users=billed if mode == "C" else None,
        group_customers=None if mode == "C" else 40,
        valid_complaints=valid,
        major_complaints=major,
        complaint_rate_per_10k=Fraction(valid * 10_000, billed if mode == "C" else 40),
        assessable_tickets=on_time + late,
        on_time_tickets=on_time,
        late_tickets=late,
        on_time_rate=Fraction(on_time, on_time + late) if on_time + late else None,
        refund_total=refund,
        gross_amount=gross,
        service_cost=valid * 3000,
        conduct_events=conduct,
    )


@dataclass(frozen=True, slots=True)
class Month:
    metrics: list[PartnerMetrics]
    refunds: pl.DataFrame
    tickets: pl.DataFrame
    conduct: pl.DataFrame


def _refunds(rows: list[tuple[str, str, str, int, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(rid, pid, amount, kind, customer, i + 2) for i, (rid, pid, kind, amount, customer) in enumerate(rows)],
        schema=polars_schema(TABLES["refunds"]),
        orient="row",
    )


def _tickets(period: Period, ms: list[PartnerMetrics]) -> pl.DataFrame:
    rows = []
    line = 2
    for m in ms:
        states = ["late"] * m.late_tickets + ["on_time"] * m.on_time_tickets
        for i, state in enumerate(states):
            received = datetime(period.year, period.month, 1 + i % 27, 9) + timedelta(minutes=i)  # noqa: DTZ001 - local
            deadline = received + timedelta(hours=24)
            resolved = deadline + (timedelta(hours=5) if state == "late" else -timedelta(hours=20))
            tid = f"TK-{m.partner_id}-{period.month:02d}-{i:03d}"
            rows.append(
                (
                    tid,
                    m.partner_id,
                    received,
                    resolved,
                    "normal",
                    i % 7 == 1,
                    i < m.major_complaints,
                    line,
                    deadline,
                    state,
                    (resolved - received).total_seconds() / 3600,
                )
            )
            line += 1
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "ticket_id": pl.String,
            "partner_id": pl.String,
            "received_at": pl.Datetime("us"),
            "resolved_at": pl.Datetime("us"),
            "category": pl.String,
            "is_repeat": pl.Boolean,
            "is_major": pl.Boolean,
            "_line": pl.Int64,
            "deadline": pl.Datetime("us"),
            "state": pl.String,
            "resolution_hours": pl.Float64,
        },
    )


def _conduct(period: Period, rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(pid, kind, date(period.year, period.month, 3 + i), note, i + 2) for i, (pid, kind, note) in enumerate(rows)],
        schema={
            "partner_id": pl.String,
            "event_type": pl.String,
            "occurred_on": pl.Date,
            "note": pl.String,
            "_line": pl.Int64,
        },
        orient="row",
    )


def months() -> dict[Period, Month]:
    jan = [
        _m("ALPHA-01", JAN),
        _m("BRAVO-02", JAN, valid=12, refund=2 * 100_00 + 50_50),  # rate 6/10k: hold until compliant
        _m("CHARLIE-03", JAN, valid=4, late=2),  # on time 50 %: one-month hold
        _m("DELTA-04", JAN, valid=1, refund=2 * 3000_00, conduct=1),  # refunds above gross: receivable
        _m("ECHO-05", JAN, valid=11),  # streak 1 of 3
        _m("FOXTROT-06", JAN, valid=4, major=3),  # major-complaints hold; cost above revenue: review
        _m("../evil/GOLF-07", JAN, valid=3, late=1, conduct=2),
    ]
    feb = [
        _m("ALPHA-01", FEB),
        _m("BRAVO-02", FEB, valid=1),  # compliant: released
        _m("CHARLIE-03", FEB, valid=2),  # the hold ran through January: released
        _m("DELTA-04", FEB, valid=0),  # receivable carried in
        _m("ECHO-05", FEB, valid=12),  # streak 2
        _m("FOXTROT-06", FEB, valid=1),
        _m("../evil/GOLF-07", FEB, valid=60, billed=200_000, late=5),  # many tickets: page lists late ones only
    ]
    mar = [
        _m("ALPHA-01", MAR, valid=1),
        _m("BRAVO-02", MAR, valid=2, refund=777_77),
        _m("CHARLIE-03", MAR, valid=2, late=0),
        _m("DELTA-04", MAR, valid=6),  # EMP breach: hold until compliant
        _m("ECHO-05", MAR, valid=13),  # streak 3: terminated
        _m("FOXTROT-06", MAR, valid=0),
        _m("../evil/GOLF-07", MAR, valid=2),
    ]
    return {
        JAN: Month(
            jan,
            _refunds(
                [
                    ("RF-B-1", "BRAVO-02", "double", 100_00, '=HYPERLINK("http://x")'),
                    ("RF-B-2", "BRAVO-02", "full", 50_50, None),
                    ("RF-D-1", "DELTA-04", "double", 3000_00, "+86 138"),
                ]
            ),
            _tickets(JAN, jan),
            _conduct(
                JAN,
                [
                    ("DELTA-04", "attitude", "=cmd|' /C calc'!A0"),
                    ("../evil/GOLF-07", "delay", "-late"),
                    ("../evil/GOLF-07", "unreachable", "<b>bold</b>"),
                ],
            ),
        ),
        FEB: Month(feb, _refunds([]), _tickets(FEB, feb), _conduct(FEB, [])),
        MAR: Month(
            mar,
            _refunds([("RF-B-3", "BRAVO-02", "full", 777_77, "@cust")]),
            _tickets(MAR, mar),
            _conduct(MAR, []),
        ),
    }


def _with_refunds(ms: list[PartnerMetrics], refunds: pl.DataFrame) -> list[PartnerMetrics]:
    facts: dict[str, list[RefundFact]] = {}
    for rid, pid, amount, kind, customer, line in refunds.select(
        "refund_id", "partner_id", "amount", "kind", "customer_id", "_line"
    ).iter_rows():
        facts.setdefault(pid, []).append(RefundFact(rid, kind, amount, line, customer))
    out = []
    for m in ms:
        mine = tuple(sorted(facts.get(m.partner_id, ()), key=lambda f: f.refund_id))
        assert refund_deduction(mine) == m.refund_total, m.partner_id
        out.append(dataclasses.replace(m, refunds=mine))
    return out


def _record_tickets(tickets: pl.DataFrame) -> pl.DataFrame:
    return tickets.with_columns(
        first_reply_at=pl.lit(None, dtype=pl.Datetime("us")),
        valid=pl.lit(True),
        reply_deadline=pl.lit(None, dtype=pl.Datetime("us")),
        reply_state=pl.lit(None, dtype=pl.String),
        resolution_seconds=(pl.col("resolved_at") - pl.col("received_at")).dt.total_seconds(),
        line=pl.col("_line"),
        reopen_count=pl.lit(0),
    ).select([pl.col(c).cast(d) for c, d in SCHEMAS["tickets"].items()])


def build(root: Path, *, close_last: bool = False) -> Workspace:
    """A workspace with the default configuration and the three months recorded."""
    ws = init_workspace(root)
    config = load_config(ws.config)
    no_surveys = pl.DataFrame(
        schema={
            "partner_id": pl.String,
            "customer_id": pl.String,
            "score": pl.Int64,
            "state": pl.String,
            "_line": pl.Int64,
        }
    )
    with Ledger(ws.db, create=True) as ledger:
        previous: dict = {}
        for period, month in months().items():
            ruleset = config.config.ruleset_for(period)
            ms = _with_refunds(month.metrics, month.refunds)
            results, states = assess(period, ms, previous, ruleset)
            tables = build_tables(
                results,
                states,
                _record_tickets(month.tickets),
                month.conduct.with_columns(state=pl.lit("counted")),
                no_surveys,
                [],
                [("partners", "partners.csv", "ab" * 32, len(ms))],
                dict(config.config.response.deductions),
            )
            info = PeriodInfo(
                period,
                "draft",
                1,
                ruleset.version,
                config.ruleset_hash(period),
                config.sha256,
                f"inputs-{period}",
                "test",
                now(),
                "tester",
                None,
                None,
                config.text,
                ruleset.model_dump_json(),
                f"{period.end.date()}T00:00:00",
            )
            record = MonthRecord(info, {name: sort(name, f) for name, f in tables.items()})
            with ledger.write() as c:
                store_record(c, record)
            if period != MAR or close_last:
                cycle.close(ledger, period, "tester")
            previous = stored_state(ledger.record(period))
    return ws
