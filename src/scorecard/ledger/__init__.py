"""The period ledger: an SQLite file that remembers every assessed period.

One write transaction per command (``BEGIN IMMEDIATE``), ``synchronous=FULL``,
closed periods made immutable by triggers (see ``migrations.py``), and a
deterministic primary key on every derived row, so running a month twice adds
nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

from scorecard.issues import InputError, Issue
from scorecard.ledger.migrations import PERIOD_TABLES, migrate
from scorecard.periods import Period
from scorecard.state import PartnerState


class LedgerError(InputError):
    """A request the ledger refuses (out of order, closed period, …): exit code 1."""

    def __init__(self, message: str) -> None:
        super().__init__([Issue("scorecard.db", None, None, message)], message)


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    period: Period
    status: str
    ruleset_version: str
    ruleset_hash: str
    config_hash: str
    inputs_hash: str
    run_at: str
    closed_at: str | None


def exact_text(value: Fraction | None) -> str | None:
    """An exact rational as text ("7/3"), so nothing is lost in the ledger."""
    if value is None:
        return None
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def parse_exact(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def roll_back_hot_journal(path: Path) -> None:
    """A writer killed inside a big transaction leaves a hot journal that only a read-write
    connection may roll back: a read-only open then fails ("attempt to write a readonly
    database"). Let SQLite roll it back first: the file returns to its last committed bytes."""
    if not Path(f"{path}-journal").exists():
        return
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        pass  # not writable: the read-only open below reports it


class Ledger:
    """The ledger file. ``readonly=True`` opens it so that nothing can be written
    (views, explain, simulate): the file stays byte-for-byte as it was."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            roll_back_hot_journal(path)
            self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        else:
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        self.conn.row_factory = sqlite3.Row
        if not readonly:
            # A rollback journal (not WAL) keeps the ledger one self-contained
            # file that can be opened read-only without side files.
            self.conn.execute("PRAGMA journal_mode=DELETE")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            migrate(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken immediately so a concurrent writer fails fast."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"the ledger is busy (another scorecard command is writing): {exc}") from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- periods -------------------------------------------------------------

    def periods(self) -> list[PeriodInfo]:
        rows = self.conn.execute("SELECT * FROM periods ORDER BY period").fetchall()
        return [
            PeriodInfo(
                Period.parse(r["period"]),
                r["status"],
                r["ruleset_version"],
                r["ruleset_hash"],
                r["config_hash"],
                r["inputs_hash"],
                r["run_at"],
                r["closed_at"],
            )
            for r in rows
        ]

    def period(self, period: Period) -> PeriodInfo | None:
        return next((p for p in self.periods() if p.period == period), None)

    def period_record(self, period: Period) -> sqlite3.Row | None:
        """The period's row as stored (with the tool version), for audit sheets."""
        row: sqlite3.Row | None = self.conn.execute("SELECT * FROM periods WHERE period = ?", (str(period),)).fetchone()
        return row

    def last_closed(self) -> Period | None:
        closed = [p.period for p in self.periods() if p.status == "closed"]
        return max(closed, default=None)

    def check_can_run(self, period: Period) -> None:
        last = self.last_closed()
        info = self.period(period)
        if info is not None and info.status == "closed":
            raise LedgerError(
                f"{period} is closed and cannot be run again (reopen it first: scorecard reopen {period})"
            )
        if last is not None and period != last.next():
            raise LedgerError(
                f"cannot run {period}: the last closed period is {last}, so the next to run is {last.next()}"
            )

    def states_before(self, period: Period) -> dict[str, PartnerState]:
        """The states after the last closed period (the one right before ``period``)."""
        last = self.last_closed()
        return {} if last is None else self.states_at(last)

    def states_at(self, period: Period) -> dict[str, PartnerState]:
        """The states every known partner carried out of ``period`` (empty if not assessed)."""
        rows = self.conn.execute("SELECT * FROM states WHERE period = ?", (str(period),)).fetchall()
        return {
            r["partner_id"]: PartnerState(
                partner_id=r["partner_id"],
                streaks=json.loads(r["streaks"]),
                hold_through=Period.parse(r["hold_through"]) if r["hold_through"] else None,
                held=r["held"],
                receivable=r["receivable"],
                terminated_in=Period.parse(r["terminated_in"]) if r["terminated_in"] else None,
                last_assessed=Period.parse(r["last_assessed"]) if r["last_assessed"] else None,
            )
            for r in rows
        }

    def close_period(self, period: Period) -> None:
        with self.write() as c:
            info = self.period(period)
            if info is None:
                raise LedgerError(f"{period} has not been run: nothing to close")
            if info.status == "closed":
                raise LedgerError(f"{period} is already closed")
            last = self.last_closed()
            if last is not None and period != last.next():
                raise LedgerError(f"cannot close {period}: the next period to close is {last.next()}")
            c.execute(
                "INSERT INTO events (at, command, period, detail) VALUES (?, 'close', ?, '')", (now(), str(period))
            )
            c.execute("UPDATE periods SET status = 'closed', closed_at = ? WHERE period = ?", (now(), str(period)))

    def reopen_period(self, period: Period, reason: str) -> None:
        with self.write() as c:
            last = self.last_closed()
            if last != period:
                where = f"the last closed period is {last}" if last else "no period is closed"
                raise LedgerError(f"cannot reopen {period}: {where}; only the last closed period can be reopened")
            if not reason.strip():
                raise LedgerError("a reopening needs a reason (--reason)")
            c.execute(
                "INSERT INTO events (at, command, period, detail) VALUES (?, 'reopen', ?, ?)",
                (now(), str(period), reason),
            )
            c.execute("UPDATE periods SET status = 'draft', closed_at = NULL WHERE period = ?", (str(period),))

    def replace_draft(self, c: sqlite3.Connection, period: Period) -> None:
        """Remove every draft (any period after the last closed one) before writing ``period``."""
        drafts = [str(p.period) for p in self.periods() if p.status == "draft"]
        for d in drafts:
            for table in PERIOD_TABLES:
                c.execute(f"DELETE FROM {table} WHERE period = ?", (d,))
            c.execute("DELETE FROM periods WHERE period = ?", (d,))

    def events(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM events ORDER BY id").fetchall()

    # --- reads for reports ---------------------------------------------------

    def results(self, period: Period, partner_id: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM results WHERE period = ?"
        args: tuple[str, ...] = (str(period),)
        if partner_id is not None:
            sql += " AND partner_id = ?"
            args += (partner_id,)
        return self.conn.execute(sql + " ORDER BY partner_id", args).fetchall()

    def rule_results(self, period: Period, partner_id: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM rule_results WHERE period = ?"
        args: tuple[str, ...] = (str(period),)
        if partner_id is not None:
            sql += " AND partner_id = ?"
            args += (partner_id,)
        return self.conn.execute(sql + " ORDER BY partner_id, rule_id", args).fetchall()

    def notices(self, period: Period, partner_id: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM notices WHERE period = ?"
        args: tuple[str, ...] = (str(period),)
        if partner_id is not None:
            sql += " AND partner_id = ?"
            args += (partner_id,)
        return self.conn.execute(sql + " ORDER BY partner_id, rule_id, seq", args).fetchall()

    def refunds(self, period: Period, partner_id: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM refunds WHERE period = ?"
        args: tuple[str, ...] = (str(period),)
        if partner_id is not None:
            sql += " AND partner_id = ?"
            args += (partner_id,)
        return self.conn.execute(sql + " ORDER BY partner_id, refund_id", args).fetchall()

    def inputs(self, period: Period) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM inputs WHERE period = ? ORDER BY table_name", (str(period),)).fetchall()

    def history(self, partner_id: str, last: int | None = None) -> list[sqlite3.Row]:
        rows = self.conn.execute(
            "SELECT r.*, p.status AS period_status, p.ruleset_version FROM results r JOIN periods p USING (period)"
            " WHERE r.partner_id = ? ORDER BY r.period",
            (partner_id,),
        ).fetchall()
        return rows[-last:] if last else rows

    def hold_month_rules(self, period: Period) -> dict[str, tuple[str, ...]]:
        """Per partner, the rules of its latest ``hold_months`` action at or before ``period``
        (what set a "through YYYY-MM" hold, which may have started in an earlier period)."""
        rows = self.conn.execute(
            "SELECT partner_id, rule_id, period FROM notices WHERE kind = 'hold_months' AND period <= ?"
            " ORDER BY partner_id, period, rule_id",
            (str(period),),
        ).fetchall()
        latest: dict[str, tuple[str, list[str]]] = {}
        for r in rows:
            when, rules = latest.get(r["partner_id"], ("", []))
            if r["period"] != when:
                latest[r["partner_id"]] = (r["period"], [r["rule_id"]])
            elif r["rule_id"] not in rules:
                rules.append(r["rule_id"])
        return {pid: tuple(rules) for pid, (_, rules) in latest.items()}

    def trend(self, period: Period, months: int = 12) -> list[sqlite3.Row]:
        """The charted metrics of every partner over the ``months`` periods ending with ``period``."""
        return self.conn.execute(
            "SELECT period, partner_id, mode,"
            " json_extract(metrics, '$.complaint_rate_per_10k') AS complaint_rate_per_10k,"
            " json_extract(metrics, '$.valid_complaints') AS valid_complaints,"
            " json_extract(metrics, '$.on_time_rate') AS on_time_rate"
            " FROM results WHERE period > ? AND period <= ? ORDER BY partner_id, period",
            (str(period.shift(-months)), str(period)),
        ).fetchall()

    def excluded_partners(self, period: Period) -> dict[str, str]:
        """Partners terminated before ``period``: their later rows are ignored."""
        return {
            pid: f"terminated in {s.terminated_in}"
            for pid, s in self.states_before(period).items()
            if s.terminated_in is not None and s.terminated_in < period
        }
