"""Maker–checker and the tamper-evident audit trail (docs/sign-off-and-audit.md)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import CHECKER, approve_and_close
from test_pipeline import assert_reported, cli

from scorecard import pipeline
from scorecard.ledger import Ledger, LedgerError, reading
from scorecard.periods import Period
from scorecard.status import ledger_status
from scorecard.workspace import Workspace

JAN, FEB, MAR = Period(2026, 1), Period(2026, 2), Period(2026, 3)


def _run_by(ws: Workspace, period: Period) -> str:
    with Ledger(ws.db, readonly=True) as ledger:
        info = ledger.period(period)
        assert info is not None
        return info.run_by


def _month(ws: Workspace, period: Period) -> object:
    return next(m for m in ledger_status(ws).months if m.info.period == period)


# --- maker–checker -------------------------------------------------------------------------------


def test_self_approval_is_refused(feb_ws: Workspace) -> None:
    maker = _run_by(feb_ws, FEB)
    with pytest.raises(LedgerError, match=f"{maker} ran 2026-02's draft .* cannot approve it; anyone but {maker}"):
        pipeline.approve(feb_ws, FEB, user=maker)
    with Ledger(feb_ws.db, readonly=True) as ledger:
        assert ledger.conn.execute("SELECT count(*) FROM approvals WHERE period = '2026-02'").fetchone()[0] == 0


def test_close_without_approval_is_refused_naming_who_may_approve(feb_ws: Workspace) -> None:
    maker = _run_by(feb_ws, FEB)
    with pytest.raises(LedgerError, match=f"not approved.*anyone but {maker}, who ran it"):
        pipeline.close(feb_ws, FEB, user=CHECKER)
    assert _month(feb_ws, FEB).info.status == "draft"  # type: ignore[attr-defined]
    ok = pipeline.approve(feb_ws, FEB, user=CHECKER)
    info = pipeline.close(feb_ws, FEB, user=CHECKER)
    assert info.status == "closed"
    month = _month(feb_ws, FEB)
    assert (month.approved_by, month.approved_at) == (CHECKER, ok.approved_at)  # type: ignore[attr-defined]
    with Ledger(feb_ws.db, readonly=True) as ledger:
        close = [e for e in ledger.events(FEB) if e["command"] == "close"][-1]
        assert json.loads(close["detail"])["approved_by"] == CHECKER


def test_a_rerun_voids_the_approval(feb_ws: Workspace) -> None:
    first = pipeline.approve(feb_ws, FEB, user=CHECKER)
    assert first.run_seq == 1
    assert _month(feb_ws, FEB).approved_by == CHECKER  # type: ignore[attr-defined]
    pipeline.run(feb_ws, FEB)
    assert _month(feb_ws, FEB).approved_by is None  # type: ignore[attr-defined]
    with pytest.raises(LedgerError, match="was of run 1, voided by a later run"):
        pipeline.close(feb_ws, FEB, user=CHECKER)
    second = pipeline.approve(feb_ws, FEB, user=CHECKER)
    assert second.run_seq == 2
    assert pipeline.close(feb_ws, FEB, user=CHECKER).status == "closed"


def test_a_reopening_voids_the_approval(feb_ws: Workspace) -> None:
    pipeline.run(feb_ws, FEB, discard_draft=False)
    approve_and_close(feb_ws, FEB)
    pipeline.reopen(feb_ws, FEB, "late refund file")
    with pytest.raises(LedgerError, match="not approved"):
        pipeline.close(feb_ws, FEB, user=CHECKER)
    approve_and_close(feb_ws, FEB)
    assert reading.verify(feb_ws)[0] == []


def test_approval_can_be_turned_off(feb_ws: Workspace) -> None:
    config = feb_ws.config.read_text(encoding="utf-8")
    feb_ws.config.write_text(config + "\n[approval]\nrequired = false\n", encoding="utf-8")
    assert pipeline.close(feb_ws, FEB).status == "closed"


# --- the audit log and verify ------------------------------------------------------------------------


def _tamper(db: Path, *sql: str) -> None:
    """Drop every trigger of the ledger, then edit it behind scorecard's back."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 0
        for statement in sql:
            assert conn.execute(statement).rowcount >= 1, statement
    finally:
        conn.close()


def _verify_fails(ws: Workspace, *expected: str) -> str:
    result = cli("--lang", "en", "-w", str(ws.root), "verify")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output
    return result.output


def test_the_demo_ledger_verifies(demo_ws: Workspace) -> None:
    found, (last, head) = reading.verify(demo_ws)
    assert found == []
    with Ledger(demo_ws.db, readonly=True) as ledger:
        events = ledger.events()
    assert last == events[-1]["id"] and head == events[-1]["hash"]
    assert [e["prev_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
    closes = [json.loads(e["detail"]) for e in events if e["command"] == "close"]
    assert len(closes) == 7 and all(len(c["digest"]) == 64 and "partner_results" in c["tables"] for c in closes)
    result = cli("--lang", "en", "-w", str(demo_ws.root), "verify")
    assert result.exit_code == 0 and f"head {head}" in result.output


def test_verify_finds_an_update_of_a_closed_month(demo_ws: Workspace) -> None:
    _tamper(
        demo_ws.db,
        "UPDATE partner_results SET payout = payout + 100, gross_amount = gross_amount + 100"
        " WHERE period = '2026-03' AND partner_id = 'SI-0005'",
    )
    _verify_fails(demo_ws, '2026-03: partner_results row ["SI-0005"]: was changed after the month was closed')


def test_verify_finds_a_delete_from_a_closed_month(demo_ws: Workspace) -> None:
    _tamper(demo_ws.db, "DELETE FROM money_lines WHERE period = '2026-04' AND partner_id = 'SI-0005' AND seq = 0")
    _verify_fails(demo_ws, '2026-04: money_lines row ["SI-0005",0]: was deleted after the month was closed')


def test_verify_finds_an_insert_into_a_closed_month(demo_ws: Workspace) -> None:
    _tamper(
        demo_ws.db,
        "INSERT INTO money_lines (period, partner_id, seq, kind, amount)"
        " VALUES ('2026-02', 'SI-0005', 99, 'release', 100)",
    )
    _verify_fails(demo_ws, '2026-02: money_lines row ["SI-0005",99]: was inserted after the month was closed')


def test_verify_finds_an_edited_event(demo_ws: Workspace) -> None:
    _tamper(demo_ws.db, "UPDATE events SET user = 'someone-else' WHERE command = 'approve' AND period = '2026-05'")
    text = _verify_fails(demo_ws, "2026-05: events: event", "(approve,", "was changed after it was written")
    assert "someone-else" in text


def test_run_and_close_refuse_on_a_broken_chain(feb_ws: Workspace) -> None:
    _tamper(feb_ws.db, "UPDATE events SET reason = 'edited' WHERE command = 'run' AND period = '2026-01'")
    before = feb_ws.db.read_bytes()
    assert_reported(
        cli("--lang", "en", "-w", str(feb_ws.root), "run", "2026-02"), 1, "the event log is broken", "scorecard verify"
    )
    assert_reported(
        cli("--lang", "en", "-w", str(feb_ws.root), "--user", CHECKER, "approve", "2026-02"),
        1,
        "the event log is broken",
    )
    assert_reported(
        cli("--lang", "en", "-w", str(feb_ws.root), "close", "2026-02"), 1, "the event log is broken", "2026-01: events"
    )
    assert feb_ws.db.read_bytes() == before


def test_log_lists_every_change_with_who_and_why(feb_ws: Workspace) -> None:
    pipeline.approve(feb_ws, FEB, user=CHECKER)
    result = cli("-w", str(feb_ws.root), "log", "--period", "2026-02", "--format", "json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)
    assert [e["command"] for e in events] == ["run", "approve"]
    assert events[-1]["user"] == CHECKER and len(events[-1]["hash"]) == 64
    every = json.loads(cli("-w", str(feb_ws.root), "log", "--format", "json").output)
    assert [e["command"] for e in every] == ["run", "approve", "close", "run", "approve"]


def test_verify_finds_the_last_events_removed_and_a_changed_periods_row(demo_ws: Workspace) -> None:
    _tamper(
        demo_ws.db,
        # July's close and what came after it (the demo's portal accounts)
        "DELETE FROM events WHERE id >= (SELECT max(id) FROM events WHERE command = 'close')",
        "UPDATE periods SET closed_by = 'nobody' WHERE period = '2026-06'",
    )
    text = _verify_fails(demo_ws, "the last were removed", '2026-06: periods row ["2026-06"]: was changed')
    # the removed events began with July's close: July now reads as closed without one
    assert "2026-07: periods: the month is closed but no close event" in text


def test_a_ledger_from_before_the_chain_is_chained_when_migrated(tmp_path: Path) -> None:
    from scorecard.ledger import migrations

    db = tmp_path / "scorecard.db"
    conn = sqlite3.connect(db, isolation_level=None)
    saved = list(migrations.MIGRATIONS)
    try:
        migrations.MIGRATIONS[:] = saved[:2]
        migrations.migrate(conn)
        for command in ("run", "discard"):
            conn.execute(
                "INSERT INTO events (at, user, command, period, reason, detail)"
                " VALUES ('t', 'u', ?, '2026-01', '', '{}')",
                (command,),
            )
    finally:
        migrations.MIGRATIONS[:] = saved
        conn.close()
    with Ledger(db) as ledger:
        events = ledger.events()
        assert [e["prev_hash"] for e in events] == ["0" * 64, events[0]["hash"]]
        with ledger.write() as c:
            ledger.add_event(c, "run", "2026-02", "u")
        from scorecard.ledger.audit import verify

        assert verify(ledger.conn) == []
        assert ledger.events()[-1]["prev_hash"] == events[-1]["hash"]
