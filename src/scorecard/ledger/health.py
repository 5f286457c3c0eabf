"""Checks made before the ledger is used: is it there, is it a ledger, is it whole, is it ours.

The ledger is the only memory of held money, streaks and closed months, so a
command refuses (exit 1, naming the file and what to do) rather than read a
damaged file, write on it, or quietly start a new history in its place.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.report.shown import shown

_SQLITE_MAGIC = b"SQLite format 3\x00"
# problems of the quick check listed in the message; the rest are counted
_PROBLEMS_SHOWN = 3
_MONTH = re.compile(r"\d{4}-\d{2}")


class LedgerUnusable(InputError):
    """The ledger file is missing, damaged, foreign or too new: nothing is read from it or written to it."""

    def __init__(self, path: Path, what: str, todo: str) -> None:
        message = t("ledger_unusable", what=what)
        super().__init__([Issue(str(path), None, None, message, todo)], message)


def check_file(path: Path, *, create: bool) -> None:
    """Before connecting: SQLite would quietly make a new, empty database of a missing path."""
    if path.is_dir():
        raise LedgerUnusable(path, t("ledger_is_folder"), t("ledger_is_folder_todo"))
    if not path.exists():
        if create:
            return
        raise LedgerUnusable(path, t("ledger_missing"), t("ledger_missing_todo"))
    with path.open("rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if not head:
        raise LedgerUnusable(path, t("ledger_empty"), t("ledger_restore"))
    if head != _SQLITE_MAGIC:
        raise LedgerUnusable(path, t("ledger_not_sqlite"), t("ledger_restore"))
    check_journal(path)


_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


def _counter(header: bytes) -> int:
    """The database header's file change counter (bytes 24–27): SQLite adds one per write transaction."""
    return int.from_bytes(header[24:28], "big")


def check_journal(path: Path) -> None:
    """A rollback journal left beside the ledger is played back by SQLite at the next open. One left by
    a crash of this very file that journaled page 1 (any transaction that grows the file does: the
    file's size is kept on page 1) holds page 1 as it was before the cut transaction, so its change
    counter is the file's, or one less. A journal copied from another copy of the ledger holds another
    counter, and playing it back would write that copy's pages into this file: it is refused instead.
    A journal without page 1 cannot be told apart; SQLite plays it back."""
    journal = Path(f"{path}-journal")
    if not journal.is_file():
        return
    with journal.open("rb") as fh, path.open("rb") as db:
        head = fh.read(28)
        if len(head) < 28 or head[:8] != _JOURNAL_MAGIC:
            return  # not a hot journal: SQLite ignores it
        n_rec = int.from_bytes(head[8:12], "big")
        sector, page_size = int.from_bytes(head[20:24], "big"), int.from_bytes(head[24:28], "big")
        header = db.read(100)
        db_page_size = int.from_bytes(header[16:18], "big")
        if page_size != (65536 if db_page_size == 1 else db_page_size):
            raise LedgerUnusable(path, t("foreign_journal"), t("foreign_journal_todo"))
        if n_rec == 0:
            return  # SQLite plays back no record of a hot journal whose count was never written
        fh.seek(sector)
        for _ in range(n_rec if n_rec != 0xFFFFFFFF else 1 << 31):
            record = fh.read(4 + page_size + 4)
            if len(record) < 4 + page_size + 4:
                return
            if int.from_bytes(record[:4], "big") == 1:
                if _counter(header) - _counter(record[4:]) not in (0, 1):
                    raise LedgerUnusable(path, t("foreign_journal"), t("foreign_journal_todo"))
                return


def check_database(conn: sqlite3.Connection, path: Path, *, known_schema: int, whole: bool = True) -> None:
    """After connecting: SQLite's quick check, and a schema this version of scorecard knows.

    ``whole``: every page of the file (before a command writes); else every table and index but
    the ticket chunks (a command that only reads)."""
    restore = t("ledger_restore_damaged")
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # A command that only reads checks every table and its indexes but the ticket chunks: they
        # are most of the file (a year of 10M-ticket months is gigabytes) and each is checked
        # against its SHA-256 where it is read (store.load_tickets), so a view opens the ledger as
        # fast in its hundredth month as in its first. A command that writes checks every page
        # (the free pages too) before it changes anything
        # (docs/inputs.md#the-ledger-is-checked-before-it-is-used).
        checked = ("",) if whole else ("sqlite_master", *sorted(tables - {"ticket_chunks"}))
        problems = [
            str(row[0])
            for name in checked
            for row in conn.execute(f'PRAGMA quick_check("{name}")' if name else "PRAGMA quick_check")
        ]
        problems = [p for p in problems if p != "ok"] or ["ok"]
    except sqlite3.DatabaseError as exc:
        raise LedgerUnusable(path, t("ledger_damaged", why=shown(exc)), restore) from None
    if problems != ["ok"]:
        listed = "; ".join(shown(p) for p in problems[:_PROBLEMS_SHOWN])
        more = t("and_more", count=len(problems) - _PROBLEMS_SHOWN) if len(problems) > _PROBLEMS_SHOWN else ""
        raise LedgerUnusable(path, t("ledger_damaged_check", listed=listed, more=more), restore)
    if not tables:
        return  # a new database: the migrations make it a ledger
    if "migrations" not in tables:
        some = ", ".join(shown(name) for name in sorted(tables)[:5])
        raise LedgerUnusable(path, t("ledger_foreign", tables=some), t("ledger_foreign_todo"))
    (newest,) = conn.execute("SELECT coalesce(max(id), 0) FROM migrations").fetchone()
    if newest > known_schema:
        raise LedgerUnusable(
            path,
            t("ledger_newer", newest=newest, known=known_schema),
            t("ledger_newer_todo"),
        )


def assessed_months(out: Path) -> list[str]:
    """Months whose outputs are in ``out/`` (a folder YYYY-MM holding manifest.json)."""
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if _MONTH.fullmatch(p.name) and (p / "manifest.json").is_file())


def start_new_ledger(db: Path, out: Path, *, explicit: bool) -> bool:
    """Whether this run makes a new ledger at ``db``; refuses where one must already exist.

    A ledger that is missing while ``out/`` holds assessed months was moved,
    deleted or mistyped (``--db``): a new one would forget every held balance
    and streak of those months, so only ``--new-ledger`` starts it.
    """
    if db.exists():
        if explicit:
            raise LedgerUnusable(db, t("new_ledger_exists"), t("new_ledger_exists_todo"))
        return False
    months = assessed_months(out)
    if months and not explicit:
        listed = ", ".join(months[:6]) + (t("and_more", count=len(months) - 6) if len(months) > 6 else "")
        raise LedgerUnusable(db, t("ledger_lost", out=out, months=listed), t("ledger_lost_todo"))
    return True
