"""The dispute register: filing and deciding are checked against the stored record; decided is final."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import new_workspace
from typer.testing import CliRunner

from scorecard import pipeline
from scorecard.cli import app
from scorecard.disputes import register
from scorecard.disputes.register import DisputeError, Settings, window_end
from scorecard.ledger import Ledger, reading
from scorecard.periods import Period
from scorecard.workspace import Workspace

JUL = Period(2026, 7)
IN_WINDOW = datetime(2026, 8, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 5 days after July
AFTER = datetime(2026, 8, 10, 16, 30, tzinfo=UTC)  # 00:30 on 11 August in Shanghai: one day late


def _ticket(ws: Workspace, state: str, period: Period = JUL) -> tuple[str, str]:
    rec = reading.record(ws, period)
    row = next(r for r in rec.rows("tickets") if r["state"] == state)
    return row["ticket_id"], row["partner_id"]


def _rows(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT * FROM disputes ORDER BY dispute_id").fetchall()
    finally:
        conn.close()


def test_window_ends_ten_calendar_days_after_the_month() -> None:
    assert str(window_end(JUL, 10)) == "2026-08-10"
    assert str(window_end(Period(2026, 2), 10)) == "2026-03-10"
    assert str(window_end(Period(2026, 12), 0)) == "2026-12-31"


def test_file_and_decide_a_ticket_of_a_closed_month(demo_ws: Workspace) -> None:
    ticket, owner = _ticket(demo_ws, "late")
    with Ledger(demo_ws.db) as ledger:
        did = register.file(ledger, JUL, "ticket", ticket, "the customer withdrew", "ops", IN_WINDOW)
        assert did == "D-2026-07-0001"
        (d,) = register.list_disputes(ledger)
        assert (d.partner_id, d.record, d.record_id, d.correction, d.status) == (
            owner,
            "ticket",
            ticket,
            "invalid",
            "pending",
        )
        assert (str(d.filed_on), d.filed_by, d.late, d.source) == ("2026-08-05", "ops", False, "cli")
        decided = register.decide(ledger, did, True, "confirmed with the call log", "boss", AFTER)
        assert (decided.status, decided.decided_by, decided.decided_on) == ("accepted", "boss", "2026-08-10T16:30:00Z")
        assert [d.dispute_id for d in register.list_disputes(ledger, "accepted", owner)] == [did]
        assert register.list_disputes(ledger, "pending") == []
        events = [(e["command"], e["period"], e["user"], e["reason"]) for e in ledger.events()][-2:]
        assert events == [
            ("dispute add", "2026-07", "ops", "the customer withdrew"),
            ("dispute decide", "2026-07", "boss", "confirmed with the call log"),
        ]
        assert json.loads(ledger.events()[-1]["detail"]) == {
            "dispute_id": did,
            "partner_id": owner,
            "decision": "accepted",
        }
        # decided is final: once more, or a second accepted dispute of the same record, is refused
        with pytest.raises(DisputeError, match="already accepted"):
            register.decide(ledger, did, False, "changed my mind", "boss", AFTER)
        with pytest.raises(DisputeError, match="already has an accepted dispute"):
            register.file(ledger, JUL, "ticket", ticket, "again", "ops", IN_WINDOW)


def test_the_database_refuses_changing_a_decided_dispute(demo_ws: Workspace) -> None:
    ticket, _ = _ticket(demo_ws, "on_time")
    with Ledger(demo_ws.db) as ledger:
        did = register.file(ledger, JUL, "ticket", ticket, "not ours", "ops", IN_WINDOW)
        # a pending dispute may be decided, but what it disputes is fixed at filing
        with pytest.raises(sqlite3.IntegrityError, match="cannot be changed once filed"):
            ledger.conn.execute("UPDATE disputes SET record_id = 'X' WHERE dispute_id = ?", (did,))
        register.decide(ledger, did, False, "the log shows it was ours", "boss", AFTER)
        for sql in (
            "UPDATE disputes SET status = 'accepted' WHERE dispute_id = ?",
            "UPDATE disputes SET note = 'edited' WHERE dispute_id = ?",
            "DELETE FROM disputes WHERE dispute_id = ?",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="a decided dispute cannot be"):
                ledger.conn.execute(sql, (did,))
        # a rejected dispute leaves the record open to a new one
        again = register.file(ledger, JUL, "ticket", ticket, "new evidence", "ops", IN_WINDOW, correction="invalid")
        assert again == "D-2026-07-0002"
    assert [r[7] for r in _rows(demo_ws.db)] == ["rejected", "pending"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "no ticket 'NOPE' of 2026-07 in the record"),
        ("not_run", "2026-08 has not been assessed"),
        ("invalid", "is invalid: it did not count"),
        ("outside", "of 2026-05 was left out of the month"),
        ("late", "the filing window for 2026-07 ended on 2026-08-10"),
        ("other_partner", "in the record"),
        ("before_received", "is before the ticket was received"),
        ("bad_correction", "not a correction of a ticket: 'resolved_at=yesterday'"),
        ("refund_correction", "not a correction of a refund: 'invalid'"),
        ("no_reason", "a dispute needs a reason"),
        ("pending_twice", "already has a pending dispute (D-2026-07-0001)"),
    ],
)
def test_bad_filings_are_refused_and_write_nothing(demo_ws: Workspace, case: str, message: str) -> None:
    ticket, owner = _ticket(demo_ws, "late")
    rec = reading.record(demo_ws, JUL)
    refund = reading.record(demo_ws, Period(2026, 6)).rows("refunds")[0]["refund_id"]
    args: dict[str, object] = {"period": JUL, "kind": "ticket", "record_id": ticket, "reason": "r", "now": IN_WINDOW}
    kw: dict[str, object] = {}
    if case == "unknown":
        args["record_id"] = "NOPE"
    elif case == "not_run":
        args["period"] = Period(2026, 8)
    elif case == "invalid":
        args["record_id"] = _ticket(demo_ws, case)[0]
    elif case == "outside":  # received before May, delivered with May's export
        args.update(period=Period(2026, 5), record_id=_ticket(demo_ws, case, Period(2026, 5))[0])
    elif case == "late":
        args["now"] = AFTER
    elif case == "other_partner":
        other = next(p for p in rec.partner_ids() if p != owner)
        kw["partner_id"] = other
    elif case == "before_received":
        kw["correction"] = "resolved_at=2026-06-30 23:00"
    elif case == "bad_correction":
        kw["correction"] = "resolved_at=yesterday"
    elif case == "refund_correction":
        args.update(kind="refund", record_id=refund)
        kw["correction"] = "invalid"
    elif case == "no_reason":
        args["reason"] = "  "
    with Ledger(demo_ws.db) as ledger:
        if case == "pending_twice":
            register.file(ledger, JUL, "ticket", ticket, "first", "ops", IN_WINDOW)
        before = _rows(demo_ws.db), len(ledger.events())
        with pytest.raises(DisputeError) as exc:
            register.file(
                ledger, args["period"], args["kind"], args["record_id"], args["reason"], "ops", args["now"], **kw
            )  # type: ignore[arg-type]
        assert message in exc.value.message
        assert exc.value.unknown == (case in ("unknown", "other_partner"))
        assert (_rows(demo_ws.db), len(ledger.events())) == before


def test_late_filing_is_accepted_with_late_and_says_so(demo_ws: Workspace) -> None:
    ticket, _ = _ticket(demo_ws, "late")
    with Ledger(demo_ws.db) as ledger:
        did = register.file(
            ledger,
            JUL,
            "ticket",
            ticket,
            "found late",
            "ops",
            AFTER,
            True,
            correction="resolved_at=2026-07-31 12:00",
            settings=Settings(window_days=10),
        )
        d = register.get(ledger, did)
    assert d is not None and (d.late, str(d.filed_on), d.correction) == (
        True,
        "2026-08-11",
        "resolved_at=2026-07-31 12:00:00",
    )
    # a wider window takes a filing on 11 August of a June refund without --late
    june = Period(2026, 6)
    with Ledger(demo_ws.db) as ledger:
        refund = ledger.record(june).rows("refunds")[0]["refund_id"]
        with pytest.raises(DisputeError, match="ended on 2026-08-10"):
            register.file(ledger, june, "refund", refund, "charged twice", "ops", AFTER, settings=Settings(41))
        did = register.file(ledger, june, "refund", refund, "charged twice", "ops", AFTER, settings=Settings(42))
        assert register.get(ledger, did).correction == "void"  # type: ignore[union-attr]


def test_conduct_events_are_disputed_by_their_event_id(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws", ["2026-01"])
    conduct = ws.inputs_for(Period(2026, 1)) / "conduct.csv"
    lines = conduct.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",event_id"] + [f"{line},{'EV-1' if i == 0 else ''}" for i, line in enumerate(lines[1:])]
    conduct.write_text("\n".join(out) + "\n", encoding="utf-8")
    outcome = pipeline.run(ws, Period(2026, 1))
    stored = outcome.record.rows("conduct")
    assert [r["event_id"] for r in stored][:2] == ["EV-1", None]
    now = datetime(2026, 2, 3, tzinfo=UTC)
    with Ledger(ws.db) as ledger:
        assert ledger.record(Period(2026, 1)).rows("conduct")[0]["event_id"] == "EV-1"
        did = register.file(ledger, Period(2026, 1), "conduct", "EV-1", "the phone was down", "ops", now)
        assert register.get(ledger, did).partner_id == stored[0]["partner_id"]  # type: ignore[union-attr]
        # the draft month is the open month: its records can be disputed too; a row without an id cannot
        with pytest.raises(DisputeError, match="the disputed record's id is empty"):
            register.file(ledger, Period(2026, 1), "conduct", " ", "x", "ops", now)


# --- the command line ----------------------------------------------------------------------------


def test_cli_add_decide_list(demo_ws: Workspace) -> None:
    ticket, owner = _ticket(demo_ws, "late")
    root = str(demo_ws.root)
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str]:
        r = runner.invoke(app, ["-w", root, "--lang", "en", "--user", "ops", *args])
        return r.exit_code, r.output

    # July's window has passed by the real clock: refused without --late, no traceback
    code, text = cli("dispute", "add", "--period", "2026-07", "--ticket", ticket, "--reason", "withdrawn")
    assert code == 1 and "the filing window for 2026-07 ended on 2026-08-10" in text and "Traceback" not in text
    code, text = cli("dispute", "add", "--period", "2026-07", "--ticket", ticket, "--reason", "withdrawn", "--late")
    assert code == 0 and text.startswith("D-2026-07-0001: dispute filed"), text
    code, text = cli("dispute", "add", "--period", "2026-07", "--ticket", ticket, "--refund", "X", "--reason", "r")
    assert code == 1 and "exactly one of --ticket, --refund, --conduct" in text
    code, text = cli("dispute", "decide", "D-2026-07-0001", "--accept", "--reject", "--note", "n")
    assert code == 1 and "exactly one of --accept, --reject" in text
    code, text = cli("dispute", "decide", "D-2026-07-0009", "--accept", "--note", "n")
    assert code == 1 and "no dispute 'D-2026-07-0009'" in text
    code, text = cli("dispute", "decide", "D-2026-07-0001", "--reject", "--note", "the ticket is ours")
    assert code == 0 and "D-2026-07-0001: rejected (ops," in text
    code, text = cli("dispute", "list", "--format", "json")
    assert code == 0
    (row,) = json.loads(text)
    assert (row["partner_id"], row["record_id"], row["status"], row["late"], row["note"]) == (
        owner,
        ticket,
        "rejected",
        True,
        "the ticket is ours",
    )
    code, text = cli("dispute", "list", "--format", "csv", "--status", "rejected", "--partner", owner)
    assert code == 0 and text.splitlines()[0].startswith("dispute_id,partner_id,period,record,record_id")
    assert text.splitlines()[1].startswith(f"D-2026-07-0001,{owner},2026-07,ticket,{ticket},invalid,")
    code, text = cli("dispute", "list", "--status", "pending")
    assert code == 0 and "No disputes" in text
    code, text = cli("dispute", "list", "--status", "maybe")
    assert code == 1 and "not a dispute status: 'maybe'" in text


def test_a_ledger_of_the_earlier_layout_gains_the_register_and_keeps_closed_months(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scorecard.ledger import migrations

    db = tmp_path / "scorecard.db"
    conn = sqlite3.connect(db, isolation_level=None)
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
    migrations.migrate(conn)
    conn.execute(
        "INSERT INTO periods VALUES ('2026-01', 'closed', 1, 'v', 'h', 'h', 'h', 't', 'now', 'u', 'now', 'u', '',"
        " '{}', 'c')"
    )
    conn.execute("DROP TRIGGER conduct_closed_insert")  # only to plant a closed month's row for the test
    conn.execute("INSERT INTO conduct VALUES ('2026-01', 'SI-1', 0, 'delay', '2026-01-05', NULL, '5', 'counted', 2)")
    conn.close()
    monkeypatch.undo()
    with Ledger(db) as ledger:
        assert [r[0] for r in ledger.conn.execute("SELECT id FROM migrations ORDER BY id")] == sorted(
            n for n, _, _ in migrations.MIGRATIONS
        )
        row = ledger.conn.execute("SELECT partner_id, event_id FROM conduct").fetchone()
        assert tuple(row) == ("SI-1", None)
        with pytest.raises(sqlite3.IntegrityError, match="a closed period cannot be changed"):
            ledger.conn.execute("UPDATE conduct SET event_id = 'EV' WHERE period = '2026-01'")
        assert register.list_disputes(ledger) == []
