"""The register's commands on a workspace: `scorecard dispute add|decide|list` (docs/disputes.md)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime

from scorecard.config import load_config
from scorecard.disputes import register
from scorecard.disputes.register import Dispute
from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError
from scorecard.periods import Period
from scorecard.report.formats import csv_text
from scorecard.workspace import Workspace

COLUMNS = (
    "dispute_id",
    "partner_id",
    "period",
    "record",
    "record_id",
    "correction",
    "reason",
    "status",
    "source",
    "filed_by",
    "filed_at",
    "filed_on",
    "late",
    "decided_by",
    "decided_on",
    "note",
)


def _ledger(ws: Workspace, *, write: bool) -> Ledger:
    if not ws.db.exists():
        raise LedgerError(t("no_ledger", db=ws.db))
    return Ledger(ws.db, readonly=not write)


def file_in(
    ws: Workspace,
    period: Period,
    kind: str,
    record_id: str,
    reason: str,
    user: str,
    now: datetime,
    *,
    late: bool = False,
    correction: str | None = None,
) -> str:
    settings = register.settings_from(load_config(ws.config))
    with ws.lock(), _ledger(ws, write=True) as ledger:
        return register.file(
            ledger, period, kind, record_id, reason, user, now, late, correction=correction, settings=settings
        )


def decide_in(ws: Workspace, dispute_id: str, accept: bool, note: str, user: str, now: datetime) -> Dispute:
    with ws.lock(), _ledger(ws, write=True) as ledger:
        return register.decide(ledger, dispute_id, accept, note, user, now)


def list_in(ws: Workspace, status: str | None = None, partner: str | None = None) -> list[Dispute]:
    with _ledger(ws, write=False) as ledger:
        if not register.has_register(ledger):
            return []
        return register.list_disputes(ledger, status, partner)


def render_list(rows: Sequence[Dispute], fmt: str) -> str:
    """The register as CSV (UTF-8, one header line) or JSON (a list of objects)."""
    if fmt == "json":
        return json.dumps([d.as_dict() for d in rows], ensure_ascii=False, indent=2) + "\n"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for d in rows:
        data = d.as_dict()
        w.writerow([_cell(data[c]) for c in COLUMNS])
    return buf.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_text(None if value is None else str(value))
