"""The ledger: closed periods are immutable in the database itself; order of periods."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from factories import default_config, metrics

from scorecard.assess import assess
from scorecard.ledger import Ledger, LedgerError, cycle, now
from scorecard.ledger.store import delete_month, store_record
from scorecard.periods import Period
from scorecard.record import SCHEMAS, MonthRecord, PeriodInfo, build_tables

RS = default_config().config.ruleset_for(Period(2026, 1))
EMPTY = {"partner_id": pl.String, "event_type": pl.String, "occurred_on": pl.Date, "note": pl.String}


def record(ledger: Ledger, period: Period, **over: object) -> None:
    """Run ``period`` for one partner, as `run` does: on the state after the last closed month."""
    plan = cycle.plan_run(ledger, period, discard_draft=False)
    results, states = assess(period, [metrics(**over)], plan.previous, RS)
    tables = build_tables(
        results,
        states,
        pl.DataFrame(schema=SCHEMAS["tickets"]),
        pl.DataFrame(schema={**EMPTY, "state": pl.String, "_line": pl.Int64}),
        pl.DataFrame(
            schema={
                "partner_id": pl.String,
                "customer_id": pl.String,
                "score": pl.Int64,
                "state": pl.String,
                "_line": pl.Int64,
            }
        ),
        [],
        [("partners", "partners.csv", "abc", 1)],
        {},
    )
    info = PeriodInfo(
        period,
        "draft",
        plan.run_seq,
        RS.version,
        "rh",
        "ch",
        "ih",
        "t",
        now(),
        "u",
        None,
        None,
        "",
        RS.model_dump_json(),
        "",
    )
    with ledger.write() as c:
        if plan.replaces is not None:
            delete_month(c, period)
        store_record(c, MonthRecord(info, tables))


def close(ledger: Ledger, period: Period) -> None:
    cycle.close(ledger, period, "u")


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "scorecard.db", create=True)


def test_run_close_next(ledger: Ledger) -> None:
    jan, feb = Period(2026, 1), Period(2026, 2)
    record(ledger, jan)
    record(ledger, jan)  # a re-run replaces the draft: nothing added
    assert len(ledger.results(jan)) == 1
    close(ledger, jan)
    with pytest.raises(LedgerError, match="closed"):
        record(ledger, jan)
    with pytest.raises(LedgerError, match="next to run is 2026-02"):
        record(ledger, Period(2026, 3))
    record(ledger, feb)
    assert [p.status for p in ledger.periods()] == ["closed", "draft"]


def test_close_twice_and_unknown(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="has not been run"):
        close(ledger, Period(2026, 1))
    record(ledger, Period(2026, 1))
    close(ledger, Period(2026, 1))
    with pytest.raises(LedgerError, match="already closed"):
        close(ledger, Period(2026, 1))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE partner_results SET payout = payout + 1 WHERE period = '2026-01'",
        "DELETE FROM partner_results WHERE period = '2026-01'",
        "INSERT INTO actions VALUES ('2026-01', 'P1', 99, 'x', 'notice', 1, NULL, NULL, NULL, NULL, NULL)",
        "DELETE FROM money_lines WHERE period = '2026-01'",
        "UPDATE states SET held = 0 WHERE period = '2026-01'",
        "DELETE FROM periods WHERE period = '2026-01'",
        "UPDATE periods SET ruleset_version = 'x' WHERE period = '2026-01'",
        "UPDATE periods SET status = 'draft' WHERE period = '2026-01'",  # reopening without a recorded reason
        "DELETE FROM events",
    ],
)
def test_database_refuses_changes_to_a_closed_period(ledger: Ledger, sql: str) -> None:
    record(ledger, Period(2026, 1))
    close(ledger, Period(2026, 1))
    with pytest.raises(sqlite3.DatabaseError):
        ledger.conn.execute(sql)


def test_reopen_only_last_closed_and_recorded(ledger: Ledger) -> None:
    for p in (Period(2026, 1), Period(2026, 2)):
        record(ledger, p)
        close(ledger, p)
    with pytest.raises(LedgerError, match="only the last closed"):
        cycle.reopen(ledger, Period(2026, 1), "typo in January", "u", discard_draft=False)
    cycle.reopen(ledger, Period(2026, 2), "billing file corrected", "u", discard_draft=False)
    assert ledger.period(Period(2026, 2)).status == "draft"  # type: ignore[union-attr]
    assert [e["command"] for e in ledger.events()][-1] == "reopen"
    assert ledger.events()[-1]["reason"] == "billing file corrected"
    record(ledger, Period(2026, 2))  # the reopened month can be run again


def test_invariant_enforced_by_check_constraint(ledger: Ledger) -> None:
    record(ledger, Period(2026, 1))
    with pytest.raises(sqlite3.IntegrityError):
        ledger.conn.execute("UPDATE partner_results SET payout = payout + 1")
