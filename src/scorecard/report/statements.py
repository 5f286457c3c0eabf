"""Partner statements: ``scorecard statements YYYY-MM`` -> ``out/YYYY-MM/statements/``.

One HTML page and one workbook per partner, rendered in parallel: the main
process reads the month's record from the ledger once (the inputs are never
read again) and cuts it into chunks of partners; worker processes format and
write. Each worker gets only
its partners' rows, and each statement only its own partner's.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from scorecard.i18n import t, tn
from scorecard.ledger import Ledger, LedgerError
from scorecard.periods import Period
from scorecard.report.csvfiles import _csv
from scorecard.report.finance import language
from scorecard.report.formats import csv_text
from scorecard.report.outputs import add_to_stamp, render_month
from scorecard.report.statement_data import Context, PartnerPack, gather, ticket_frame, trend
from scorecard.report.statement_html import render_html
from scorecard.report.statement_view import build_view, prepare_tickets
from scorecard.report.statement_xlsx import statement_book
from scorecard.report.xlsx import atomic_write
from scorecard.workspace import Workspace, staged_dir

Progress = Callable[[int, int], None]
INLINE_UP_TO = 150  # below this many partners, rendering here beats starting worker processes
_SLUG_RE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_stem(partner_id: str) -> str:
    """A file name stem for any partner id: an ASCII slug plus a short hash of the exact id.

    No separators, no dots, no leading dash, no reserved device name (the hash
    suffix makes "CON" "CON-…"), bounded length; the hash keeps apart ids that
    slug alike ("a/b" and "a b").
    """
    slug = _SLUG_RE.sub("_", unicodedata.normalize("NFKC", partner_id)).strip("_-")[:40].strip("_-")
    digest = hashlib.sha256(partner_id.encode("utf-8")).hexdigest()[:10]
    return f"{slug or 'partner'}-{digest}"


@dataclass(frozen=True, slots=True)
class Written:
    partner_id: str
    partner_name: str
    html: str
    xlsx: str


@dataclass(frozen=True, slots=True)
class Job:
    """A chunk of partners for one worker: the context, their packs and only their tickets."""

    ctx: Context
    packs: list[PartnerPack]
    tickets: pl.DataFrame
    folder: str
    atomic: bool  # write each file atomically (one partner into an existing folder)


def render_job(job: Job) -> list[Written]:
    rows = prepare_tickets(job.tickets, job.ctx.lang)
    folder = Path(job.folder)
    write = atomic_write if job.atomic else _plain_write
    out = []
    for pack in job.packs:
        start, n = pack.tickets
        view = build_view(job.ctx, pack, rows.slice(start, n))
        stem = safe_stem(pack.partner_id)
        write(folder / f"{stem}.html", render_html(view).encode("utf-8"))
        write(folder / f"{stem}.xlsx", statement_book(view).to_bytes())
        out.append(Written(pack.partner_id, view.partner_name, f"{stem}.html", f"{stem}.xlsx"))
    return out


def _plain_write(path: Path, data: bytes) -> None:
    """Inside a staged folder, which is fsynced and swapped in as a whole."""
    path.write_bytes(data)


def chunks(
    ctx: Context, packs: list[PartnerPack], tickets: pl.DataFrame, folder: Path, *, size: int, atomic: bool
) -> list[Job]:
    """Cut the partners (sorted like the tickets) into jobs, each with only its partners' tickets."""
    jobs = []
    for i in range(0, len(packs), size):
        part = packs[i : i + size]
        spans = [p.tickets for p in part if p.tickets[1]]
        lo = min((s for s, _ in spans), default=0)
        hi = max((s + n for s, n in spans), default=0)
        for p in part:
            p.tickets = (p.tickets[0] - lo, p.tickets[1]) if p.tickets[1] else (0, 0)
        jobs.append(Job(ctx, part, tickets.slice(lo, hi - lo), str(folder), atomic))
    return jobs


def render_all(jobs: list[Job], workers: int, progress: Progress | None = None) -> list[Written]:
    total = sum(len(j.packs) for j in jobs)
    done: list[Written] = []
    if workers <= 1:
        for job in jobs:
            done += render_job(job)
            if progress:
                progress(len(done), total)
        return done
    # spawn, not fork: polars' thread pool does not survive a fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for future in as_completed([pool.submit(render_job, job) for job in jobs]):
            done += future.result()
            if progress:
                progress(len(done), total)
    return sorted(done, key=lambda w: w.partner_id)


def index_csv(written: list[Written]) -> bytes:
    """Which file is whose, for whoever sends the statements out. It lists every partner, so it is
    written beside the statements folder, never in it: the folder holds only partners' own files."""
    rows = [[csv_text(x.partner_id), csv_text(x.partner_name), x.html, x.xlsx] for x in written]
    return _csv(rows, ["partner_id", "partner_name", "html", "xlsx"])


def write_statements(
    folder: Path,
    ctx: Context,
    packs: list[PartnerPack],
    tickets: pl.DataFrame,
    *,
    single: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[Written]:
    """Render ``packs`` into ``folder``: the whole folder swapped in at the end, or (``single``) one
    partner's two files replaced in place."""
    if workers is None:
        workers = 1 if len(packs) < INLINE_UP_TO else (os.cpu_count() or 1)
    workers = max(1, min(workers, len(packs)))  # a bounded pool: never more processes than partners
    size = max(1, min(400, -(-len(packs) // (workers * 4)))) if workers > 1 else max(1, len(packs))
    if single:
        return render_all(chunks(ctx, packs, tickets, folder, size=size, atomic=True), 1, progress)
    with staged_dir(folder) as tmp:
        written = render_all(chunks(ctx, packs, tickets, tmp, size=size, atomic=False), workers, progress)
    atomic_write(index_path(folder), index_csv(written))
    return written


def index_path(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-index.csv"


@dataclass(frozen=True, slots=True)
class StatementsOutcome:
    folder: Path
    written: list[Written]
    draft: bool


def statements(
    ws: Workspace,
    period: Period,
    lang: str | None = None,
    partner: str | None = None,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> StatementsOutcome:
    """``scorecard statements``: every partner's (or one partner's) statement for ``period``."""
    lang = lang or language(ws)
    if not ws.db.exists():
        raise LedgerError(t("no_ledger", db=ws.db))
    with ws.lock(), Ledger(ws.db) as ledger:
        info = ledger.period(period)
        if info is None:
            raise LedgerError(t("not_been_run", period=period))
        record = ledger.record(period, partner)
        if partner is not None and record["partner_results"].height == 0:
            raise LedgerError(t("partner_not_assessed", partner=partner, period=period))
        render_month(ws, ledger.record(period) if partner is not None else record, lang)
        ctx, packs = gather(record, trend(ledger, period, partner), lang=lang)
        tickets = ticket_frame(record["tickets"], packs)
        folder = ws.out_for(period) / "statements"
        written = write_statements(
            folder, ctx, packs, tickets, single=partner is not None, workers=workers, progress=progress
        )
        if partner is None:
            add_to_stamp(folder.parent, info, [index_path(folder)])
    return StatementsOutcome(folder, written, ctx.draft)


def summary_line(outcome: StatementsOutcome, lang: str) -> str:
    mark = f" ({t('draft', lang)})" if outcome.draft else ""
    return tn("n_statements_written", len(outcome.written), lang, mark=mark, folder=outcome.folder)
