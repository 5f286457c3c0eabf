"""The ledger: an SQLite file holding every assessed month's record (docs/ledger.md).

One write transaction per command (``BEGIN IMMEDIATE``), ``synchronous=FULL``,
closed months made immutable by triggers (see ``migrations.py``), and a
deterministic primary key on every derived row, so running a month twice adds
nothing. Reading and writing the record's tables is in ``store.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.ledger.health import check_database, check_file
from scorecard.ledger.migrations import SCHEMA_VERSION, migrate
from scorecard.periods import Period
from scorecard.record import MonthRecord, PeriodInfo


class LedgerError(InputError):
    """A request the ledger refuses (out of order, closed period, …): exit code 1."""

    def __init__(self, message: str) -> None:
        super().__init__([Issue("scorecard.db", None, None, message)], message)


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
    (views, explain, simulate): the file stays byte-for-byte as it was.

    Only ``create=True`` may make a new file; every open checks that the file is
    a whole ledger of a schema this version knows (:mod:`scorecard.ledger.health`)."""

    def __init__(self, path: Path, *, readonly: bool = False, create: bool = False) -> None:
        self.path = path
        check_file(path, create=create and not readonly)
        if readonly:
            roll_back_hot_journal(path)
        mode = "ro" if readonly else "rwc" if create else "rw"
        self.conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode={mode}", uri=True, isolation_level=None, timeout=5.0
        )
        try:
            check_database(self.conn, path, known_schema=SCHEMA_VERSION, whole=not readonly)
        except BaseException:
            self.conn.close()
            raise
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
            raise LedgerError(t("ledger_busy", why=exc)) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- months --------------------------------------------------------------

    def periods(self) -> list[PeriodInfo]:
        from scorecard.ledger.store import period_info

        return [period_info(r) for r in self.conn.execute("SELECT * FROM periods ORDER BY period")]

    def period(self, period: Period) -> PeriodInfo | None:
        return next((p for p in self.periods() if p.period == period), None)

    def last_closed(self) -> Period | None:
        return max((p.period for p in self.periods() if p.status == "closed"), default=None)

    def draft(self) -> PeriodInfo | None:
        """The one draft month, if any (there is never more than one)."""
        return next((p for p in self.periods() if p.status == "draft"), None)

    def record(self, period: Period, partner_id: str | None = None, only: Collection[str] | None = None) -> MonthRecord:
        """The stored record of ``period`` (only one partner's rows with ``partner_id``; only the
        tables named in ``only``, when given: the others are absent from the record)."""
        from scorecard.ledger.store import load_record

        info = self.period(period)
        if info is None:
            raise LedgerError(t("not_been_run", period=period))
        return load_record(self.conn, info, partner_id, only)

    def add_event(
        self, c: sqlite3.Connection, command: str, period: Period | str, user: str, reason: str = "", detail: str = ""
    ) -> int:
        """Append one event to the hash-chained log (docs/sign-off-and-audit.md); returns its id.

        The one place events are written: each event's hash covers its fields and the hash
        of the event before it."""
        from scorecard.ledger.audit import chain_head, event_hash

        eid, prev = chain_head(c)
        fields = (eid, now(), user, command, str(period), reason, detail)
        c.execute(
            "INSERT INTO events (id, at, user, command, period, reason, detail, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, prev, event_hash(fields, prev)),
        )
        return eid

    def events(self, period: Period | None = None) -> list[sqlite3.Row]:
        if period is None:
            return self.conn.execute("SELECT * FROM events ORDER BY id").fetchall()
        return self.conn.execute("SELECT * FROM events WHERE period = ? ORDER BY id", (str(period),)).fetchall()

    # --- reads across months ---------------------------------------------------

    def results(self, period: Period, partner_id: str | None = None) -> list[sqlite3.Row]:
        """The partner rows of ``period`` as stored (money in fen)."""
        sql = "SELECT * FROM partner_results WHERE period = ?"
        args: tuple[str, ...] = (str(period),)
        if partner_id is not None:
            sql += " AND partner_id = ?"
            args += (partner_id,)
        return self.conn.execute(sql + " ORDER BY partner_id", args).fetchall()

    def history(self, partner_id: str, last: int | None = None) -> list[sqlite3.Row]:
        rows = self.conn.execute(
            "SELECT r.*, p.status AS period_status, p.ruleset_version FROM partner_results r"
            " JOIN periods p USING (period) WHERE r.partner_id = ? ORDER BY r.period",
            (partner_id,),
        ).fetchall()
        return rows[-last:] if last else rows

    def trend(self, period: Period, months: int, partner_id: str | None = None) -> list[sqlite3.Row]:
        """Each month's charted rule results (value, comparand, breached) of the ``months`` months
        ending with ``period``: what each month's record says, under that month's rules."""
        sql = (
            "SELECT period, partner_id, rule_id, metric, op, value_num, value_den, comparand_num, comparand_den,"
            " zero_base, breached FROM rule_results WHERE period > ? AND period <= ?"
        )
        args: tuple[str, ...] = (str(period.shift(-months)), str(period))
        if partner_id is not None:
            sql += " AND partner_id = ?"
            args += (partner_id,)
        return self.conn.execute(sql + " ORDER BY partner_id, period, seq", args).fetchall()

    def excluded_partners(self, period: Period) -> dict[str, str]:
        """Partners terminated before ``period``: their later rows are ignored."""
        last = self.last_closed()
        if last is None:
            return {}
        rows = self.conn.execute(
            "SELECT partner_id, terminated_in FROM states WHERE period = ? AND terminated_in IS NOT NULL"
            " AND terminated_in < ?",
            (str(last), str(period)),
        ).fetchall()
        return {r["partner_id"]: t("terminated_in", period=r["terminated_in"]) for r in rows}
