"""Write a month's record into the ledger and read it back, table for table.

Each record table (scorecard.record.SCHEMAS) is one SQLite table with the
same columns plus ``period``. Dates and datetimes are ISO text, booleans 0/1.
Tickets are Parquet chunks of whole partners (docs/ledger.md#record), so that
a month of millions of tickets is written in seconds and one partner's tickets
are read from one chunk.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import sqlite3
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import polars as pl

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.ledger.migrations import RECORD_TABLES
from scorecard.periods import Period
from scorecard.record import SCHEMAS, MonthRecord, PeriodInfo

# The order rows are kept in, in the record and when read back (a view's order is the record's).
ORDER: dict[str, tuple[str, ...]] = {
    "partner_results": ("partner_id",),
    "sub_scores": ("partner_id", "seq"),
    "rule_results": ("partner_id", "seq"),
    "actions": ("partner_id", "seq"),
    "holds": ("partner_id", "kind", "rule_id", "started"),
    "money_lines": ("partner_id", "seq"),
    "tickets": ("partner_id", "received_at", "ticket_id"),
    "refunds": ("partner_id", "refund_id"),
    "conduct": ("seq",),
    "surveys": ("seq",),
    "states": ("partner_id",),
    "state_streaks": ("partner_id", "rule_id"),
    "state_holds": ("partner_id", "rule_id", "started"),
    "warnings": ("seq",),
    "inputs": ("table_name",),
    "payees": ("partner_id",),
    "deposits": ("partner_id",),
    "final_settlements": ("partner_id",),
    "corrections": ("partner_id", "disputed_period", "dispute_id"),
    "adjustments": ("partner_id", "corrected_period", "component"),
    "watch": ("partner_id", "seq"),
}
CHUNK_ROWS = 200_000  # tickets per stored chunk (whole partners; a bigger partner gets its own)
# Chunks are encoded on threads (polars lets go of the GIL while it writes Parquet) while this one
# inserts the chunks before them, in order; a few wait encoded at most (docs/scale.md#storing-the-record).
ENCODERS = 2
_AHEAD = 2 * ENCODERS
_TEMPORAL = (pl.Date, pl.Datetime)


def period_info(row: sqlite3.Row) -> PeriodInfo:
    return PeriodInfo(
        Period.parse(row["period"]),
        row["status"],
        row["run_seq"],
        row["ruleset_version"],
        row["ruleset_hash"],
        row["config_hash"],
        row["inputs_hash"],
        row["tool_version"],
        row["run_at"],
        row["run_by"],
        row["closed_at"],
        row["closed_by"],
        row["config_text"],
        row["ruleset_json"],
        row["cutoff"],
    )


def sort(name: str, frame: pl.DataFrame, *, release: bool = False) -> pl.DataFrame:
    """``frame`` in the table's order (nulls last; rows equal on every key keep their order).

    Polars sorts a million tickets on several keys at once slowly (it encodes
    whole rows), so the order is found one key at a time instead, last key
    first, each sort stable: that gives the same rows. The first key is
    sorted as its rank among its distinct values (a partner id is compared
    once per partner, not once per ticket). A frame already in order is
    returned as it is, and the text keys after the first are sorted on (by
    polars' own sort) only when the order on the keys before them leaves ties
    out of order. ``release``: the caller hands the frame over; its columns are
    moved out of it as they are sorted (it is left empty), so sorting 10M tickets
    holds one extra column at a time, not a second copy of the frame.
    """
    keys = ORDER[name]
    if frame.height < 2 or in_order(frame, keys):
        return frame
    cheap = _leading_cheap(frame, keys)
    index = _stable_order(frame, cheap)
    done = pl.DataFrame()  # the key columns, once gathered to check the order: not gathered twice
    if len(cheap) < len(keys):
        done = _gathered(frame.select(keys), index)
        if not in_order(done, keys):
            # ties on the cheap keys out of order on a text key: polars' own sort on every key
            index = frame.select(pl.arg_sort_by(list(keys), nulls_last=True, maintain_order=True)).to_series()
            done = pl.DataFrame()
    return _gathered(frame, index, release=release, done=done)


def merged(name: str, frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Frames each in the table's order, as one frame in order.

    Two frames whose keys have no nulls are merged in one pass over them (polars'
    ``merge_sorted`` on the keys as one struct, compared field by field), not sorted again:
    the month's tickets and the few received outside it are merged so."""
    frames = [f for f in frames if f.height] or frames[:1]
    if len(frames) == 1:
        return sort(name, frames[0])
    keys = list(ORDER[name])
    if len(frames) > 2 or any(f.select(pl.any_horizontal(pl.col(keys).is_null().any())).item() for f in frames):
        return sort(name, pl.concat(frames))
    a, b = (sort(name, f).with_columns(pl.struct(keys).alias("_key")) for f in frames)
    return a.merge_sorted(b, key="_key").drop("_key")


def in_order(frame: pl.DataFrame, keys: tuple[str, ...]) -> bool:
    """Whether every row is ≤ the next on ``keys`` in turn (a null after every value).

    Key by key, only the rows still tied with the row before them on the keys so far are
    compared on the next key. While most rows are tied (10M tickets tie on partner in all but
    10,000 rows) the whole column is compared at once on two zero-copy slices, a bitmap each;
    once few are (partner and time tie in a handful of rows), only those rows are gathered,
    so the ticket ids, long text, are compared only there."""
    height = frame.height
    if height < 2:
        return True
    tied: pl.Series | None = None  # bitmap over rows 1..height-1, while dense
    rows: pl.Series | None = None  # the tied rows' positions, once sparse
    for key in keys:
        column = frame.get_column(key)
        if rows is None:
            cur, prev = column.slice(1), column.slice(0, height - 1)
        else:
            cur, prev = column.gather(rows), column.gather(rows - 1)
        less = (prev.is_not_null() & cur.is_null()) | (prev < cur).fill_null(False)
        equal = (prev.is_null() & cur.is_null()) | (prev == cur).fill_null(False)
        fine = less | equal
        if tied is not None:
            fine, equal = fine | ~tied, equal & tied
        if not fine.all():
            return False
        if rows is not None:
            rows = rows.filter(equal)
            left = rows.len()
        else:
            tied, left = equal, int(equal.sum())
            if left * 8 < height:
                rows, tied = pl.Series(range(1, height), dtype=pl.UInt32).filter(equal), None
        if left == 0:
            return True
    return True


def _leading_cheap(frame: pl.DataFrame, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The first key, then the keys up to the next text one."""
    out = [keys[0]]
    for key in keys[1:]:
        if frame.schema[key] == pl.String:
            break
        out.append(key)
    return tuple(out)


def _stable_order(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.Series:
    """The rows' order on ``keys`` (nulls last) by one stable sort per key, the last key first
    (a key already in order, as the time received usually is, needs no sort)."""
    index: pl.Series | None = None
    for key in reversed(keys):
        values = _ranks(frame.get_column(key)) if key == keys[0] else frame.get_column(key)
        if index is not None:
            values = values.rechunk().gather(index)
        if in_order(values.to_frame("v"), ("v",)):
            continue
        order = values.to_frame("v").select(pl.arg_sort_by("v", nulls_last=True, maintain_order=True)).to_series()
        index = order if index is None else index.gather(order)
    return pl.int_range(frame.height, dtype=pl.UInt32, eager=True) if index is None else index


def _ranks(column: pl.Series) -> pl.Series:
    """A text key as each value's rank among its distinct values (UInt32; null stays null), so
    10M rows are sorted on integers. The distinct values are found through a categorical's codes
    (hashing 10M ids once, a quarter of ``unique`` and a lookup per row), then ranked."""
    if column.dtype != pl.String:
        return column
    if column.null_count():
        distinct = column.drop_nulls().unique().sort()
        rank = pl.Series(range(distinct.len()), dtype=pl.UInt32)
        return column.replace_strict(distinct, rank, default=None, return_dtype=pl.UInt32)
    codes = column.cast(pl.Categorical)
    present = codes.unique()
    n = present.len()
    rank = pl.Series([0] * n, dtype=pl.UInt32)  # of each present value, in its place
    rank.scatter(present.cast(pl.String).arg_sort(), pl.Series(range(n), dtype=pl.UInt32))
    physical = present.to_physical()
    top = physical.max()
    assert isinstance(top, int)
    by_code = pl.Series([0] * (top + 1), dtype=pl.UInt32)
    return by_code.scatter(physical, rank).gather(codes.to_physical())


def _gathered(
    frame: pl.DataFrame, index: pl.Series, *, release: bool = False, done: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``frame[index]``, one column at a time, each made one contiguous chunk first: gathering 10M
    rows spread over a reader's chunks is about ten times slower than over one, and a column at a
    time holds one extra column, not a second copy of the frame (bench/stages.py). With
    ``release`` each column is taken out of ``frame`` first, so its unsorted copy goes as soon as
    its sorted one is made; ``done`` holds columns already gathered by ``index``."""
    take = frame.drop_in_place if release else frame.get_column
    made = set(done.columns) if done is not None else set()
    columns = []
    for c in frame.columns:
        if c in made:
            assert done is not None
            columns.append(done.get_column(c))
            if release:
                frame.drop_in_place(c)
        else:
            columns.append(take(c).rechunk().gather(index))
    return pl.DataFrame(columns)


def _sql_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and datetimes as ISO text, as SQLite keeps them."""
    return frame.with_columns(
        pl.col(name).dt.to_string("%Y-%m-%d" if dtype == pl.Date else "%Y-%m-%dT%H:%M:%S%.f")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, _TEMPORAL)
    )


def store_record(c: sqlite3.Connection, record: MonthRecord) -> None:
    """Insert the record's rows (the month's earlier draft must be deleted first)."""
    i = record.info
    c.execute(
        "INSERT INTO periods (period, status, run_seq, ruleset_version, ruleset_hash, config_hash, inputs_hash,"
        " tool_version, run_at, run_by, closed_at, closed_by, config_text, ruleset_json, cutoff)"
        " VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
        (
            str(i.period),
            i.run_seq,
            i.ruleset_version,
            i.ruleset_hash,
            i.config_hash,
            i.inputs_hash,
            i.tool_version,
            i.run_at,
            i.run_by,
            i.config_text,
            i.ruleset_json,
            i.cutoff,
        ),
    )
    p = str(i.period)
    for name, frame in record.tables.items():
        if name == "tickets":
            _store_tickets(c, p, frame)
            continue
        if frame.height == 0:
            continue
        cols = list(SCHEMAS[name])
        names = ", ".join(f'"{x}"' for x in ["period", *cols])
        marks = ", ".join("?" * (len(cols) + 1))
        # one executemany per table, its rows zipped from whole columns polars makes into Python
        # values (faster than polars' rows) and the period repeated: SQLite's own per-row work
        # (the closed-month trigger, the period's foreign key, keys) is what is left. A bulk Arrow
        # path (ADBC) would open a second connection, outside this write's one transaction.
        columns = (s.to_list() for s in _sql_frame(frame.select(cols)).iter_columns())
        c.executemany(f"INSERT INTO {name} ({names}) VALUES ({marks})", zip(itertools.repeat(p), *columns))


def _store_tickets(c: sqlite3.Connection, period: str, tickets: pl.DataFrame) -> None:
    """Parquet chunks of whole partners, in partner order."""
    frame = sort("tickets", tickets.select(list(SCHEMAS["tickets"])))
    if frame.height == 0:
        return
    chunks: list[list[Any]] = []  # [offset, rows, first partner, last partner]
    # each partner's run of rows, from where the partner changes (a group-by would hash 10M ids)
    change = pl.col("partner_id") != pl.col("partner_id").shift()
    starts = frame.select(change.fill_null(True).arg_true()).to_series()
    ends = starts.slice(1).append(pl.Series([frame.height], dtype=starts.dtype))
    runs = zip(frame.get_column("partner_id").gather(starts).to_list(), (ends - starts).to_list(), strict=True)
    for pid, n in runs:
        if chunks and chunks[-1][1] + n <= CHUNK_ROWS:
            chunks[-1][1] += n
            chunks[-1][3] = pid
        else:
            offset = chunks[-1][0] + chunks[-1][1] if chunks else 0
            chunks.append([offset, n, pid, pid])

    def encode(chunk: list[Any]) -> tuple[bytes, str]:
        buf = io.BytesIO()
        # zstd's fastest level: a third of the default's time for 15 % more bytes (measured on 10M tickets)
        frame.slice(chunk[0], chunk[1]).write_parquet(buf, compression="zstd", compression_level=1, statistics=False)
        data = buf.getvalue()
        return data, hashlib.sha256(data).hexdigest()

    with ThreadPoolExecutor(ENCODERS, thread_name_prefix="ticket-chunk") as pool:
        encoded = _in_order(pool, encode, chunks, _AHEAD)
        for seq, ((_, n, lo, hi), (data, digest)) in enumerate(zip(chunks, encoded, strict=True)):
            c.execute("INSERT INTO ticket_chunks VALUES (?, ?, ?, ?, ?, ?, ?)", (period, seq, lo, hi, n, digest, data))


_T = TypeVar("_T")
_R = TypeVar("_R")


def _in_order(pool: ThreadPoolExecutor, fn: Callable[[_T], _R], items: Iterable[_T], ahead: int) -> Iterator[_R]:
    """``fn`` of each item, in the items' order, computed on ``pool`` at most ``ahead`` items ahead."""
    pending: deque[Future[_R]] = deque()
    rest = iter(items)
    pending.extend(pool.submit(fn, item) for item in itertools.islice(rest, ahead))
    while pending:
        done = pending.popleft().result()
        pending.extend(pool.submit(fn, item) for item in itertools.islice(rest, 1))
        yield done


def load_record(
    conn: sqlite3.Connection,
    info: PeriodInfo,
    partner_id: str | None = None,
    only: Collection[str] | None = None,
) -> MonthRecord:
    """The month's record; with ``only``, just those tables (a view that needs neither the tickets
    nor the other tables reads much less)."""
    p = str(info.period)
    tables: dict[str, pl.DataFrame] = {}
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name, schema in SCHEMAS.items():
        if only is not None and name not in only:
            continue
        if name == "tickets":
            tables[name] = load_tickets(conn, info.period, partner_id)
            continue
        if name not in present:  # a table a later migration adds: empty for a ledger opened read-only before it
            tables[name] = pl.DataFrame(schema=schema)
            continue
        cols = list(schema)
        where = "period = ?"
        args: tuple[Any, ...] = (p,)
        if partner_id is not None and "partner_id" in schema:
            where += " AND partner_id = ?"
            args += (partner_id,)
        if partner_id is not None and name == "warnings":
            where += " AND key = ?"
            args += (partner_id,)
        order = ", ".join(f'"{x}"' for x in ORDER[name])
        names = ", ".join(f'"{x}"' for x in cols)
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples, handed to polars as they are
        rows = cursor.execute(f"SELECT {names} FROM {name} WHERE {where} ORDER BY {order}", args).fetchall()
        text = {k: (pl.String() if isinstance(v, _TEMPORAL) else v) for k, v in schema.items()}
        frame = pl.DataFrame(rows, schema=text, orient="row")
        tables[name] = frame.with_columns(
            pl.col(k).str.to_date("%Y-%m-%d") if v == pl.Date else pl.col(k).str.to_datetime(time_unit="us")
            for k, v in schema.items()
            if isinstance(v, _TEMPORAL)
        )
    return MonthRecord(info, tables)


def load_tickets(conn: sqlite3.Connection, period: Period, partner_id: str | None = None) -> pl.DataFrame:
    """The month's tickets (or one partner's), each chunk checked against its SHA-256 first."""
    sql = "SELECT chunk, sha256, data FROM ticket_chunks WHERE period = ?"
    args: tuple[str, ...] = (str(period),)
    if partner_id is not None:
        sql += " AND first_partner <= ? AND last_partner >= ?"
        args += (partner_id, partner_id)
    frames = []
    try:
        rows = conn.execute(sql + " ORDER BY chunk", args).fetchall()
    except sqlite3.DatabaseError as exc:  # a damaged page of the chunks' table
        raise DamagedChunk(t("ledger_damaged", why=exc)) from None
    for n, (chunk, digest, data) in enumerate(rows):
        if partner_id is None and chunk != n:  # a whole month's chunks are numbered 0, 1, 2, …
            raise DamagedChunk(t("ticket_chunk_missing", chunk=n, period=period))
        if hashlib.sha256(data).hexdigest() != digest:  # a read-only open's quick check leaves them to this
            raise DamagedChunk(t("ticket_chunk_damaged", chunk=chunk, period=period))
        frames.append(_with_every_column(pl.read_parquet(io.BytesIO(data))))
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMAS["tickets"])
    if partner_id is not None:
        frame = frame.filter(pl.col("partner_id") == partner_id)
    return frame


class DamagedChunk(InputError):
    """A stored ticket chunk whose bytes no longer match their SHA-256: nothing is read from it."""

    def __init__(self, message: str) -> None:
        super().__init__([Issue("scorecard.db", None, None, message, t("ledger_restore_damaged"))], message)


def _with_every_column(chunk: pl.DataFrame) -> pl.DataFrame:
    """A chunk stored before a ticket column was added reads with that column empty."""
    schema = SCHEMAS["tickets"]
    missing = [pl.lit(None, dtype=d).alias(c) for c, d in schema.items() if c not in chunk.columns]
    return chunk.with_columns(missing).select(list(schema)) if missing else chunk


def delete_month(c: sqlite3.Connection, period: Period) -> None:
    """Remove a draft month's record (the triggers refuse it for a closed month)."""
    # the record's first tables, then those later migrations added (every SCHEMAS table but tickets)
    later = tuple(t for t in SCHEMAS if t not in RECORD_TABLES and t != "tickets")
    for table in (*RECORD_TABLES, *later):
        c.execute(f"DELETE FROM {table} WHERE period = ?", (str(period),))
    c.execute("DELETE FROM periods WHERE period = ?", (str(period),))
