"""metrics.py: ticket deadlines and states (clock hours and working days), and per-partner metrics."""

from __future__ import annotations

import random
import tomllib
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl
import pytest
from conftest import InputsFolder

from scorecard.config import Config, default_config_path, parse_config
from scorecard.engine.record_tables import record_tables
from scorecard.metrics import MetricsFrame, PartnerMetrics, compute, cutoff, metrics_frame, ticket_counts, ticket_status
from scorecard.periods import Period
from scorecard.settle import RefundFact

FEB = Period(2026, 2)  # Spring Festival 2026: 15–23 February off; Saturday 14 and 28 February are working days


def config(completion: str = "24h", reply: str | None = None, **general: Any) -> Config:
    data = tomllib.loads(default_config_path().read_text(encoding="utf-8"))
    data["windows"]["completion"] = dict.fromkeys(("urgent", "normal", "difficult"), completion)
    if reply:
        data["windows"]["reply"] = dict.fromkeys(("urgent", "normal", "difficult"), reply)
    data["general"].update(general)
    return parse_config(data, "scorecard.toml").config


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - naive local time, as in the inputs


def tickets(rows: list[tuple[str, str, str | None]], *, category: str = "normal", reply: bool = False) -> pl.LazyFrame:
    """(ticket_id, received_at, resolved_at) rows of partner P1, valid; with ``reply``, replied at receipt + 1 h."""
    frame = pl.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "partner_id": ["P1"] * len(rows),
            "received_at": [at(r[1]) for r in rows],
            "resolved_at": [at(r[2]) if r[2] else None for r in rows],
            "category": [category] * len(rows),
            "valid": [True] * len(rows),
            "is_repeat": [False] * len(rows),
            "is_major": [i == 0 for i in range(len(rows))],
            "_line": list(range(2, len(rows) + 2)),
        },
        schema_overrides={"received_at": pl.Datetime("us"), "resolved_at": pl.Datetime("us")},
    )
    if reply:
        frame = frame.with_columns(first_reply_at=pl.col("received_at") + pl.duration(hours=1))
    return frame.lazy()


def states(lf: pl.LazyFrame, cfg: Config, period: Period = FEB, with_reply: bool = False) -> dict[str, tuple[Any, ...]]:
    out = ticket_status(lf, period, cfg, with_reply).collect()
    return {r["ticket_id"]: (r["deadline"], r["state"]) for r in out.iter_rows(named=True)}


# --- deadlines ------------------------------------------------------------------------------------


def test_clock_hour_window_includes_its_bound() -> None:
    got = states(
        tickets([("T1", "2026-02-02 09:00", "2026-02-03 09:00"), ("T2", "2026-02-02 09:00", "2026-02-03 09:01")]),
        config("24h"),
    )
    assert got == {"T1": (at("2026-02-03 09:00"), "on_time"), "T2": (at("2026-02-03 09:00"), "late")}


def test_two_working_days_across_a_weekend() -> None:
    """Friday 6 February: Monday 9 is the first working day after it, Tuesday 10 the second."""
    got = states(
        tickets(
            [
                ("T1", "2026-02-06 10:00", "2026-02-10 23:59"),
                ("T2", "2026-02-06 10:00", "2026-02-11 00:00"),  # the end of Tuesday: still on time
                ("T3", "2026-02-06 10:00", "2026-02-11 00:01"),
                ("T4", "2026-02-07 10:00", "2026-02-11 00:00"),  # received on Saturday: counts from Monday too
            ]
        ),
        config("2wd"),
    )
    deadline = at("2026-02-11 00:00")
    assert got == {
        "T1": (deadline, "on_time"),
        "T2": (deadline, "on_time"),
        "T3": (deadline, "late"),
        "T4": (deadline, "on_time"),
    }


def test_two_working_days_across_the_spring_festival_with_adjusted_working_days() -> None:
    """Friday 13 February: Saturday 14 is an adjusted working day (调休), then 15–23 are off, so the
    second working day is Tuesday 24. Without the 调休 it would be Wednesday 25."""
    got = states(
        tickets(
            [
                ("T1", "2026-02-13 10:00", "2026-02-24 18:00"),
                ("T2", "2026-02-13 10:00", "2026-02-25 10:00"),
                ("T3", "2026-02-17 10:00", "2026-02-25 18:00"),  # received on a holiday: 24 and 25 count
                ("T4", "2026-02-14 09:00", "2026-02-25 18:00"),  # received on the 调休 Saturday itself
            ]
        ),
        config("2wd"),
    )
    assert got == {
        "T1": (at("2026-02-25 00:00"), "on_time"),
        "T2": (at("2026-02-25 00:00"), "late"),
        "T3": (at("2026-02-26 00:00"), "on_time"),
        "T4": (at("2026-02-26 00:00"), "on_time"),
    }


def test_unresolved_tickets_are_late_or_pending_by_the_cut_off() -> None:
    """Cut-off 4 March (3 grace days). Friday 27 February + 2wd: Saturday 28 (调休) and Monday 2 March."""
    lf = tickets([("T1", "2026-02-27 10:00", None), ("T2", "2026-02-28 10:00", None)])
    cfg = config("2wd")
    assert cutoff(FEB, cfg) == at("2026-03-04 00:00").date()
    assert states(lf, cfg) == {
        "T1": (at("2026-03-03 00:00"), "late"),
        "T2": (at("2026-03-04 00:00"), "late"),  # the deadline at the cut-off itself is late
    }
    no_grace = config("2wd", cutoff_grace_days=0)  # cut-off 1 March: both deadlines are still ahead
    assert {k: v[1] for k, v in states(lf, no_grace).items()} == {"T1": "pending", "T2": "pending"}


def test_reply_window_in_working_days() -> None:
    lf = tickets([("T1", "2026-02-13 10:00", "2026-02-13 12:00")], reply=True)
    out = ticket_status(lf, FEB, config("24h", reply="1wd"), True).collect()
    assert out["reply_deadline"].to_list() == [at("2026-02-15 00:00")]  # the 调休 Saturday is the first
    assert out["reply_state"].to_list() == ["on_time"]


# --- per-partner metrics ---------------------------------------------------------------------------


def partner_metrics(inputs: InputsFolder, cfg: Config) -> dict[str, PartnerMetrics]:
    loaded = inputs.load()
    assert loaded.issues.errors == []
    t = loaded.tables
    with_reply = "first_reply_at" in t["complaints"].given
    lf = ticket_status(t["complaints"].frame.lazy(), loaded.period, cfg, with_reply)
    counts = ticket_counts(lf, with_reply).collect()
    ruleset = cfg.ruleset_for(loaded.period)
    out = compute(
        t["partners"].frame,
        t["billing"].frame,
        t["settlement"].frame,
        counts,
        t["conduct"].frame,
        t["surveys"].frame,
        t["refunds"].frame,
        cfg,
        ruleset,
        with_reply,
    )
    return {m.partner_id: m for m in out}


def test_metrics_are_exact(inputs: InputsFolder) -> None:
    inputs.csv("partners", "partner_id,partner_name,mode\nP1,Alpha,C\nP2,Beta,EMP\nP3,Gamma,C\nP4,Delta,C\n")
    inputs.csv("billing", "partner_id,billed_users,group_customers\nP1,6000,\nP2,,12\nP3,0,\nP4,0,\n")
    inputs.csv("settlement", "partner_id,gross_amount\nP1,10000.00\nP2,5000\nP3,100\nP4,100\n")
    rows = ["ticket_id,partner_id,received_at,resolved_at,valid,is_repeat,is_major"]
    # P1: 3 valid tickets (one late) and an invalid one; P2 and P3: one each
    rows += [
        "T1,P1,2026-03-02 09:00,2026-03-02 21:00,true,false,false",  # 12 h: on time
        "T2,P1,2026-03-03 09:00,2026-03-05 09:00,true,true,true",  # 48 h: late
        "T3,P1,2026-03-04 09:00,2026-03-04 10:00,true,false,false",  # 1 h: on time
        "T4,P1,2026-03-05 09:00,,false,false,false",  # invalid: does not count
        "T5,P2,2026-03-06 09:00,2026-03-06 09:30,true,false,false",
        "T6,P3,2026-03-06 09:00,2026-03-06 09:30,true,false,false",  # complaints on a base of 0
    ]
    inputs.csv("complaints", "\n".join(rows) + "\n")
    inputs.csv("conduct", "partner_id,event_type,occurred_on\nP1,attitude,2026-03-03\nP1,delay,2026-03-04\n")
    inputs.csv("surveys", "partner_id,customer_id,score\nP2,C1,90\nP2,C2,85.5\n")
    inputs.csv("refunds", "refund_id,partner_id,amount,kind\nR1,P1,10.50,double\nR2,P1,3,full\n")
    m = partner_metrics(inputs, config("24h"))

    p1 = m["P1"]
    assert (p1.valid_complaints, p1.repeat_complaints, p1.major_complaints) == (3, 1, 1)
    assert p1.complaint_rate_per_10k == Fraction(3 * 10_000, 6000) == 5  # exactly 5: no binary rounding
    assert (p1.on_time_tickets, p1.late_tickets, p1.pending_tickets, p1.assessable_tickets) == (2, 1, 0, 3)
    assert p1.on_time_rate == Fraction(2, 3)
    assert p1.avg_resolution_hours == Fraction(12 + 48 + 1, 3)
    assert p1.p90_resolution_hours == Fraction(12 * 3600 + (48 - 12) * 3600 * 8 // 10, 3600)  # linear, 80 % of the way
    assert (p1.conduct_events, p1.response_score) == (2, Decimal(90))  # 100 − 5 (attitude) − 5 (delay)
    assert p1.refund_total == 2 * 10_50 + 3_00  # double refunds count twice
    assert p1.gross_amount == 10_000_00
    assert p1.service_cost == 3 * 30_00  # unit cost 30.00 yuan per valid complaint
    assert p1.reply_on_time_rate is None  # no first_reply_at column

    p2 = m["P2"]
    assert p2.complaint_rate_per_10k == Fraction(10_000, 12)  # EMP: per group customer
    assert (p2.survey_count, p2.satisfaction) == (2, Fraction(90_00 + 85_50, 2 * 100))
    assert p2.response_score == Decimal(100)

    p3 = m["P3"]
    assert p3.complaint_rate_per_10k is None and p3.zero_base  # a base of 0 with complaints: empty, counts
    p4 = m["P4"]
    assert p4.complaint_rate_per_10k == 0 and not p4.zero_base  # a base of 0 without complaints
    assert p4.on_time_rate is None and p4.avg_resolution_hours is None  # no assessable ticket: empty


def test_response_score_is_floored_at_zero(inputs: InputsFolder) -> None:
    events = "\n".join(f"P1,attitude,2026-03-{d:02d}" for d in range(1, 25))  # 24 × 5 points
    inputs.csv("conduct", "partner_id,event_type,occurred_on\n" + events + "\n")
    assert partner_metrics(inputs, config())["P1"].response_score == Decimal(0)


@pytest.mark.parametrize(("window", "late"), [("24h", 1), ("2wd", 0)])
def test_the_window_decides_the_on_time_rate(inputs: InputsFolder, window: str, late: int) -> None:
    """A ticket of Friday 6 March resolved on Monday 9 March: late in 24 h, on time in 2 working days."""
    inputs.csv(
        "complaints",
        "ticket_id,partner_id,received_at,resolved_at\nT1,P1,2026-03-06 17:00,2026-03-09 10:00\n",
    )
    p1 = partner_metrics(inputs, config(window))["P1"]
    assert (p1.late_tickets, p1.on_time_rate) == (late, Fraction(1 - late, 1))
    assert timedelta(hours=float(p1.avg_resolution_hours or 0)) == timedelta(hours=65)


# --- the metrics frame against the per-partner loop it replaced -------------------------------------


def _loop_metrics(
    t: dict[str, pl.DataFrame], counts: pl.DataFrame, cfg: Config, with_reply: bool, stages: list[str]
) -> list[PartnerMetrics]:
    """The metrics formed one partner at a time with Fraction and Decimal, as they were before the frame."""
    deductions = cfg.response.deductions
    events: dict[str, list[str]] = {}
    for pid, event in t["conduct"].select("partner_id", "event_type").iter_rows():
        events.setdefault(pid, []).append(event)
    scores: dict[str, list[int]] = {}
    for pid, score in t["surveys"].select("partner_id", "score").iter_rows():
        scores.setdefault(pid, []).append(score)
    facts: dict[str, list[RefundFact]] = {}
    for rid, pid, kind, amount, line, customer in (
        t["refunds"]
        .sort("refund_id")
        .select("refund_id", "partner_id", "kind", "amount", "_line", "customer_id")
        .iter_rows()
    ):
        facts.setdefault(pid, []).append(RefundFact(rid, kind, amount, line, customer))
    bill = {r["partner_id"]: r for r in t["billing"].to_dicts()}
    gross = {r["partner_id"]: r for r in t["settlement"].to_dicts()}
    count = {r["partner_id"]: r for r in counts.to_dicts()}
    out = []
    for p in t["partners"].sort("partner_id").iter_rows(named=True):
        pid, mode = p["partner_id"], p["mode"]
        c = count.get(pid, {})
        valid, on_time, late = c.get("valid_complaints", 0), c.get("on_time_tickets", 0), c.get("late_tickets", 0)
        base = bill[pid]["billed_users"] if mode == "C" else bill[pid]["group_customers"]
        rate = Fraction(valid * 10_000, base) if base else (Fraction(0) if valid == 0 else None)
        reply = None
        if with_reply and c.get("reply_on_time", 0) + c.get("reply_late", 0):
            reply = Fraction(c["reply_on_time"], c["reply_on_time"] + c["reply_late"])
        p90 = c.get("p90_resolution_seconds")
        n_surveys, total = len(scores.get(pid, [])), sum(scores.get(pid, []))
        out.append(
            PartnerMetrics(
                partner_id=pid,
                partner_name=p["partner_name"],
                mode=mode,
                billed_users=bill[pid]["billed_users"],
                group_customers=bill[pid]["group_customers"],
                valid_complaints=valid,
                repeat_complaints=c.get("repeat_complaints", 0),
                major_complaints=c.get("major_complaints", 0),
                complaint_rate_per_10k=rate,
                zero_base=rate is None,
                assessable_tickets=on_time + late,
                on_time_tickets=on_time,
                late_tickets=late,
                pending_tickets=c.get("pending_tickets", 0),
                on_time_rate=Fraction(on_time, on_time + late) if on_time + late else None,
                reply_on_time_rate=reply,
                avg_resolution_hours=(
                    Fraction(c["resolution_seconds"], 3600 * c["resolved_tickets"])
                    if c.get("resolved_tickets")
                    else None
                ),
                p90_resolution_hours=None if p90 is None else Fraction(str(p90)) / 3600,
                conduct_events=len(events.get(pid, [])),
                response_score=max(
                    Decimal(100) - sum((deductions[e] for e in events.get(pid, [])), Decimal(0)), Decimal(0)
                ),
                survey_count=n_surveys,
                satisfaction=Fraction(total, 100 * n_surveys) if n_surveys else None,
                refund_total=sum(f.deduction for f in facts.get(pid, [])),
                gross_amount=gross[pid]["gross_amount"],
                service_cost=valid * int(cfg.ruleset_for(FEB).unit_cost * 100),
                refunds=tuple(facts.get(pid, [])),
                settlement_line=gross[pid]["_line"],
                survey_total=total,
                invalid_tickets=c.get("invalid_tickets", 0),
                resolved_tickets=c.get("resolved_tickets", 0),
                resolution_seconds=c.get("resolution_seconds", 0),
                stages=tuple(
                    (s, c.get(f"on_time:{s}", 0), c.get(f"late:{s}", 0), c.get(f"pending:{s}", 0)) for s in stages
                ),
            )
        )
    return out


def _random_month(rnd: random.Random, n: int, with_reply: bool) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Partners with every kind of base, counts (some partners without any), odd p90 floats, events,
    surveys and refunds."""
    ids = [f"P{i:04d}" for i in range(n)]
    rnd.shuffle(ids)
    base = [None, 0, 1, 7, 6000, 123_457]
    t = {
        "partners": pl.DataFrame(
            {"partner_id": ids, "partner_name": [f"N{p}" for p in ids], "mode": [rnd.choice(["C", "EMP"]) for _ in ids]}
        ),
        "billing": pl.DataFrame(
            {
                "partner_id": ids,
                "billed_users": [rnd.choice(base) for _ in ids],
                "group_customers": [rnd.choice(base) for _ in ids],
            },
            schema={"partner_id": pl.String, "billed_users": pl.Int64, "group_customers": pl.Int64},
        ),
        "settlement": pl.DataFrame(
            {"partner_id": ids, "gross_amount": [rnd.randint(0, 10**9) for _ in ids], "_line": list(range(2, n + 2))}
        ),
        "conduct": pl.DataFrame(
            [(rnd.choice(ids), rnd.choice(["a", "b", "c", "d"])) for _ in range(3 * n)],
            schema={"partner_id": pl.String, "event_type": pl.String},
            orient="row",
        ),
        "surveys": pl.DataFrame(
            [(rnd.choice(ids), rnd.randint(0, 10_000)) for _ in range(2 * n)],
            schema={"partner_id": pl.String, "score": pl.Int64},
            orient="row",
        ),
        "refunds": pl.DataFrame(
            [
                (
                    f"R{i:05d}",
                    rnd.choice([*ids, "GONE"]),
                    rnd.choice(["full", "double"]),
                    rnd.randint(1, 10**6),
                    i + 2,
                    rnd.choice([None, "C1"]),
                )
                for i in range(n)
            ],
            schema={
                "refund_id": pl.String,
                "partner_id": pl.String,
                "kind": pl.String,
                "amount": pl.Int64,
                "_line": pl.Int64,
                "customer_id": pl.String,
            },
            orient="row",
        ),
    }
    rows = []
    for pid in [*rnd.sample(ids, n * 4 // 5), "GONE"]:
        on_time, late = rnd.choice([0, 3, 50]), rnd.choice([0, 1, 17])
        resolved = rnd.choice([0, 1, 2, 9])
        p90 = (
            None
            if not resolved
            else rnd.choice([2 + 0.2999999999999998, 1e16 + 2.0, 86400.0, rnd.randint(0, 10**6) + rnd.random()])
        )
        row = {
            "partner_id": pid,
            "invalid_tickets": rnd.randint(0, 2),
            "valid_complaints": on_time + late + 1,
            "repeat_complaints": rnd.randint(0, 2),
            "major_complaints": rnd.randint(0, 2),
            "on_time_tickets": on_time,
            "late_tickets": late,
            "pending_tickets": 1,
            "resolution_seconds": resolved * rnd.randint(0, 10**6),
            "resolved_tickets": resolved,
            "p90_resolution_seconds": p90,
        }
        if with_reply:
            row |= {"reply_on_time": rnd.choice([0, 4]), "reply_late": rnd.choice([0, 6])}
        row |= {f"{s}:x": rnd.randint(0, 5) for s in ("on_time", "late", "pending")}
        rows.append(row)
    return t, pl.DataFrame(rows).with_columns(
        pl.exclude("partner_id", "p90_resolution_seconds", "resolution_seconds").cast(pl.UInt32)
    )


@pytest.mark.parametrize("with_reply", [False, True])
def test_the_metrics_frame_forms_what_the_per_partner_loop_formed(with_reply: bool) -> None:
    data = tomllib.loads(default_config_path().read_text(encoding="utf-8"))
    data["response"]["deductions"] = {"a": "2.5", "b": "40", "c": "1.50", "d": "0.125"}  # d: finer than hundredths
    cfg = parse_config(data, "scorecard.toml").config
    t, counts = _random_month(random.Random(7 + with_reply), 400, with_reply)
    stages = ["x"]
    frame = metrics_frame(
        *(t[k] for k in ("partners", "billing", "settlement")),
        counts,
        *(t[k] for k in ("conduct", "surveys", "refunds")),
        cfg,
        cfg.ruleset_for(FEB),
        with_reply,
        stages,
    )
    want = _loop_metrics(t, counts, cfg, with_reply, stages)
    got = frame.objects()
    assert [m.partner_id for m in got] == sorted(t["partners"]["partner_id"])
    for g, w in zip(got, want, strict=True):
        assert g == w, g.partner_id
        assert str(g.response_score) == str(w.response_score)  # the record keeps the text: "97.50", not "97.5"
    assert frame.partners["response_hundredths"].null_count() > 0  # some partners had a "d"
    # the frame made from the objects is the frame
    again = MetricsFrame.of(got)
    assert again.partners.equals(frame.partners) and again.refunds.equals(frame.refunds)


def test_the_record_from_the_frame_is_the_record_from_its_objects() -> None:
    """record_tables takes the frame as it is (the run) or PartnerMetrics (turned into a frame): the same tables."""
    data = tomllib.loads(default_config_path().read_text(encoding="utf-8"))
    data["response"]["deductions"] = {"a": "2.5", "b": "40", "c": "1.50", "d": "3"}
    cfg = parse_config(data, "scorecard.toml").config
    t, counts = _random_month(random.Random(3), 300, True)
    ruleset = cfg.ruleset_for(FEB)
    frame = metrics_frame(
        *(t[k] for k in ("partners", "billing", "settlement")),
        counts,
        *(t[k] for k in ("conduct", "surveys", "refunds")),
        cfg,
        ruleset,
        True,
        ["x"],
    )
    direct = record_tables(FEB, frame, {}, ruleset).tables
    formed = record_tables(FEB, frame.objects(), {}, ruleset).tables
    assert direct["partner_results"].height == 300
    assert set(direct["partner_results"]["response_score"]) >= {"100", "97.5", "98.50", "60"}
    for name, table in direct.items():
        assert table.equals(formed[name]), name
