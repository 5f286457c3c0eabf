"""The tamper-evident audit trail: a hash-chained event log and closed months' digests.

Each event's hash covers its fields and the hash of the event before it, so an
event that is changed, removed or slipped in breaks the chain from there on.
A close event carries the digest of the month's whole record (every record
table's rows, in key order, and the periods row as closed), one digest per
table, and the table digests cover per-row digests kept in
``record_digests``: so ``verify`` can name the table *and* the row that differs
— even when the database's triggers were dropped first. The rules are in
docs/sign-off-and-audit.md.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scorecard.i18n import t
from scorecard.ledger.migrations import RECORD_TABLES
from scorecard.record import SCHEMAS

GENESIS = "0" * 64  # the "previous hash" of the first event
# Every table of a month's record the close digest covers: the record's first tables (tickets as their
# stored chunks), every table later migrations added to the record, the approvals and the final
# settlement decisions applied with the month (the periods row comes on top).
DIGESTED_TABLES: tuple[str, ...] = tuple(
    dict.fromkeys([*RECORD_TABLES, *(t for t in SCHEMAS if t != "tickets"), "approvals", "final_decisions"])
)
EVENT_FIELDS = ("id", "at", "user", "command", "period", "reason", "detail")
ROW_DIGEST_HEX = 32  # 128 bits per row: enough to tell rows apart, half the size of a full sha256


def _canonical(values: Sequence[Any]) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, bytes | memoryview):
            return "sha256:" + hashlib.sha256(bytes(v)).hexdigest()  # ticket chunks: by their stored bytes
        if isinstance(v, float):
            return repr(v)
        return v

    return json.dumps([plain(v) for v in values], ensure_ascii=False, separators=(",", ":"))


def event_hash(fields: Sequence[Any], prev_hash: str) -> str:
    """The hash of one event: its fields (id, at, user, command, period, reason, detail) and the previous hash."""
    return hashlib.sha256(_canonical([*fields, prev_hash]).encode()).hexdigest()


def chain_head(c: sqlite3.Connection) -> tuple[int, str]:
    """The id the next event gets and the hash it must follow."""
    last = c.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    seq = c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    top = max(last[0] if last else 0, seq[0] if seq else 0)
    return top + 1, (last[1] if last and last[1] else GENESIS)


# --- digests of a month's record -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableDigest:
    table: str
    rows: int
    digest: str
    body: bytes  # the text the digest is of: the columns, then one "key<TAB>row digest" line per row

    def entries(self) -> tuple[list[str], list[tuple[str, str]]]:
        return _parse(self.body)


def _parse(body: bytes) -> tuple[list[str], list[tuple[str, str]]]:
    lines = body.decode().split("\n")
    cols = json.loads(lines[0])
    return cols, [tuple(line.split("\t", 1)) for line in lines[1:] if line]  # type: ignore[misc]


def _columns(c: sqlite3.Connection, table: str) -> tuple[list[str], list[str]]:
    """The table's columns (without period) and its key columns, in key order."""
    info = c.execute(f"PRAGMA table_info({table})").fetchall()
    own = table == "periods"  # its key is the month itself; every other table is keyed within the month
    cols = [r[1] for r in info if own or r[1] != "period"]
    key = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5] and (own or r[1] != "period")]
    return cols, key or cols


def table_digest(
    c: sqlite3.Connection,
    table: str,
    period: str,
    columns: list[str] | None = None,
    override: dict[str, Any] | None = None,
) -> TableDigest:
    """The digest of ``table``'s rows of ``period`` in key order; ``columns`` as at close (when verifying)."""
    present, key = _columns(c, table)
    cols = columns if columns is not None else present
    missing = [x for x in cols if x not in present]
    if missing:
        raise MissingColumns(table, missing)
    names = ", ".join(f'"{x}"' for x in cols)
    order = ", ".join(f'"{x}"' for x in key)
    lines = [json.dumps(cols)]
    at = {x: i for i, x in enumerate(cols)}
    for row in c.execute(f'SELECT {names} FROM "{table}" WHERE period = ? ORDER BY {order}', (period,)):
        values = list(row)
        for name, v in (override or {}).items():
            if name in at:
                values[at[name]] = v
        row_key = _canonical([values[at[k]] for k in key if k in at])
        lines.append(f"{row_key}\t{hashlib.sha256(_canonical(values).encode()).hexdigest()[:ROW_DIGEST_HEX]}")
    body = "\n".join(lines).encode()
    return TableDigest(table, len(lines) - 1, hashlib.sha256(body).hexdigest(), body)


class MissingColumns(Exception):
    def __init__(self, table: str, columns: list[str]) -> None:
        super().__init__(f"{table}: columns {', '.join(columns)} are gone")
        self.table = table
        self.columns = columns


def month_digests(c: sqlite3.Connection, period: str, closed_at: str, closed_by: str) -> list[TableDigest]:
    """Every digested table of the month, and its periods row as it will read once closed."""
    closed = {"status": "closed", "closed_at": closed_at, "closed_by": closed_by}
    tables = [table_digest(c, name, period) for name in DIGESTED_TABLES]
    return [*tables, table_digest(c, "periods", period, override=closed)]


def month_digest(tables: Sequence[TableDigest]) -> str:
    """One digest of the month's whole record: of its tables' digests, by table name."""
    pairs = sorted((t.table, t.digest) for t in tables)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()


def seal(c: sqlite3.Connection, period: str, closed_at: str, closed_by: str) -> dict[str, Any]:
    """Store the month's per-row digests and return what its close event carries."""
    tables = month_digests(c, period, closed_at, closed_by)
    c.execute("DELETE FROM record_digests WHERE period = ?", (period,))
    c.executemany(
        "INSERT INTO record_digests (period, table_name, rows, digest, body) VALUES (?, ?, ?, ?, ?)",
        [(period, t.table, t.rows, t.digest, zlib.compress(t.body, 6)) for t in tables],
    )
    return {"digest": month_digest(tables), "tables": {t.table: {"rows": t.rows, "digest": t.digest} for t in tables}}


# --- verify ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """The first difference found in one place: a month's table, or the event log."""

    period: str
    table: str
    message: str
    key: str | None = None  # the row's key, when the row can be named

    def __str__(self) -> str:
        row = t("finding_row", key=self.key) if self.key is not None else ""
        return f"{self.period}: {self.table}{row}: {self.message}"


def check_chain(c: sqlite3.Connection) -> Finding | None:
    """The event log's first break, if any: an event changed, removed or inserted."""
    prev = GENESIS
    last_id = 0
    for row in c.execute(f"SELECT {', '.join(EVENT_FIELDS)}, prev_hash, hash FROM events ORDER BY id"):
        fields = tuple(row[: len(EVENT_FIELDS)])
        eid, command, period = row[0], row[3], row[4]
        what = t("event_what", id=eid, command=command, at=row[1], by=row[2])
        if row[-2] != prev:
            return Finding(period, "events", t("event_out_of_chain", what=what))
        if row[-1] != event_hash(fields, row[-2]):
            return Finding(period, "events", t("event_changed", what=what))
        prev, last_id = row[-1], eid
    seq = c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    if seq and seq[0] > last_id:
        return Finding(
            "-",
            "events",
            t("log_truncated", last=last_id, written=seq[0]),
        )
    return None


def close_event(c: sqlite3.Connection, period: str) -> dict[str, Any] | None:
    """What the month's last close event carries, unless a reopening came after it."""
    rows = c.execute(
        "SELECT command, detail FROM events WHERE period = ? AND command IN ('close', 'reopen') ORDER BY id", (period,)
    ).fetchall()
    if not rows or rows[-1][0] != "close":
        return None
    detail = json.loads(rows[-1][1] or "{}")
    return detail if "tables" in detail else None


def check_month(c: sqlite3.Connection, period: str) -> Finding | None:
    """The first difference between a closed month's record and its close event's digests."""
    sealed = close_event(c, period)
    if sealed is None:
        return Finding(period, "periods", t("closed_without_seal"))
    kept_rows = c.execute("SELECT table_name, digest, body FROM record_digests WHERE period = ?", (period,))
    stored = {r[0]: (r[1], r[2]) for r in kept_rows}
    for table in sorted(sealed["tables"], key=lambda t: (t != "periods", t)):
        want = sealed["tables"][table]["digest"]
        kept = stored.get(table)
        body = zlib.decompress(kept[1]) if kept else None
        authentic = body is not None and hashlib.sha256(body).hexdigest() == want
        columns = _parse(body)[0] if authentic and body else None
        try:
            now = table_digest(c, table, period, columns)
        except MissingColumns as exc:
            return Finding(period, table, t("columns_removed", columns=", ".join(exc.columns)))
        except sqlite3.OperationalError:
            return Finding(period, table, t("table_gone"))
        if now.digest == want:
            continue
        if not authentic or body is None:
            return Finding(period, table, t("table_differs"))
        return _first_row(period, table, _parse(body)[1], now.entries()[1])
    return None


def _first_row(period: str, table: str, then: list[tuple[str, str]], now: list[tuple[str, str]]) -> Finding:
    current = dict(now)
    for key, digest in then:
        if key not in current:
            return Finding(period, table, t("row_deleted"), key)
        if current[key] != digest:
            return Finding(period, table, t("row_changed"), key)
    known = {k for k, _ in then}
    for key, _ in now:
        if key not in known:
            return Finding(period, table, t("row_inserted"), key)
    return Finding(period, table, t("rows_reordered"))


def verify(c: sqlite3.Connection, *, quick: bool = False) -> list[Finding]:
    """The chain's first break, then each closed month's first difference (the chain only when ``quick``)."""
    found = [f for f in [check_chain(c)] if f is not None]
    if quick:
        return found
    closed = [r[0] for r in c.execute("SELECT period FROM periods WHERE status = 'closed' ORDER BY period")]
    sealed = [r[0] for r in c.execute("SELECT DISTINCT period FROM events WHERE command = 'close' ORDER BY period")]
    for period in sorted(set(closed) | {p for p in sealed if close_event(c, p) is not None}):
        if period not in closed:
            gone = t("no_longer_closed")
            found.append(Finding(period, "periods", gone, _key(period)))
            continue
        finding = check_month(c, period)
        if finding is not None:
            found.append(finding)
    return found


def _key(period: str) -> str:
    return _canonical([period])


def head(c: sqlite3.Connection) -> tuple[int, str]:
    """The newest event's id and hash: write it down elsewhere to anchor the chain."""
    row = c.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)
