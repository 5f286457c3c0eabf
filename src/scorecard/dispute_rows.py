"""The open month's `disputes` table: disputes filed and decided in the operator's own system.

Each row names one record of the open month or of a closed month; the record
must exist in the stored record (or the open month's own inputs), belong to
the disputing partner, and have counted. Bad rows are input errors like any
other (file:line: column: …); accepted rows become corrections of the run, a
rejected row's correction is ignored with a warning (docs/disputes.md#the-disputes-table).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from scorecard.corrections import Correction
from scorecard.disputes.register import DisputeError, parse_correction, window_end
from scorecard.i18n import t
from scorecard.issues import Issue, Severity
from scorecard.ledger import Ledger
from scorecard.periods import Period

KEY = {"ticket": "ticket_id", "refund": "refund_id", "conduct": "event_id"}


@dataclass(frozen=True, slots=True)
class Facts:
    """The records a dispute may name in one month: id -> (partner, counted?, received_at)."""

    records: dict[str, dict[str, tuple[str, bool, datetime | None]]]


def facts_of_record(ledger: Ledger, period: Period) -> Facts:
    record = ledger.record(period)
    return Facts(
        {
            "ticket": {
                tid: (pid, state in ("on_time", "late", "pending"), received)
                for tid, pid, state, received in record["tickets"]
                .select("ticket_id", "partner_id", "state", "received_at")
                .iter_rows()
            },
            "refund": {
                rid: (pid, True, None) for rid, pid in record["refunds"].select("refund_id", "partner_id").iter_rows()
            },
            "conduct": {
                eid: (pid, state == "counted", None)
                for eid, pid, state in (
                    record["conduct"].select("event_id", "partner_id", "state").iter_rows()
                    if "event_id" in record["conduct"].columns
                    else []
                )
                if eid
            },
        }
    )


def facts_of_inputs(tables: dict[str, pl.DataFrame], left_out: dict[str, pl.DataFrame]) -> Facts:
    """The open month's own records, from its loaded tables (tickets left out of the month do not count)."""
    complaints = tables["complaints"]
    tickets = {
        tid: (pid, bool(valid), received)
        for tid, pid, valid, received in complaints.select(
            "ticket_id", "partner_id", "valid", "received_at"
        ).iter_rows()
    }
    outside = left_out.get("complaints")
    if outside is not None:
        tickets.update({tid: (pid, False, None) for tid, pid in outside.select("ticket_id", "partner_id").iter_rows()})
    conduct = tables["conduct"]
    return Facts(
        {
            "ticket": tickets,
            "refund": {
                rid: (pid, True, None) for rid, pid in tables["refunds"].select("refund_id", "partner_id").iter_rows()
            },
            "conduct": {
                eid: (pid, True, None)
                for eid, pid in (
                    conduct.select("event_id", "partner_id").iter_rows() if "event_id" in conduct.columns else []
                )
                if eid
            },
        }
    )


def check(
    rows: pl.DataFrame,
    source: str,
    period: Period,
    ledger: Ledger | None,
    own: Facts,
    *,
    window_days: int,
    taken: Iterable[str],
    accepted_records: Iterable[tuple[str, str, str]],
) -> tuple[list[Correction], list[Issue]]:
    """The accepted rows as corrections, and every problem of the table (errors and warnings).

    ``taken``: dispute ids already in the ledger (a row may not reuse one); ``accepted_records``:
    (period, record, id) of records an earlier accepted dispute already corrected."""
    issues: list[Issue] = []
    corrections: list[Correction] = []
    used = set(taken)
    corrected = set(accepted_records)
    facts: dict[Period, Facts] = {period: own}
    for r in rows.iter_rows(named=True):
        line = r["_line"]

        def error(column: str, message: str, expected: str | None = None, line: int = line) -> None:
            issues.append(Issue(source, line, column, message, expected))

        did, pid, kind, rid = r["dispute_id"], r["partner_id"], r["record"], r["record_id"]
        if did in used:
            error("dispute_id", t("row_dispute_id_used", dispute=did), t("row_dispute_id_used_expected"))
            continue
        used.add(did)
        try:
            disputed = Period.parse(r["period"])
        except ValueError:
            error("period", t("not_a_month", value=r["period"]), "YYYY-MM")
            continue
        closed = ledger is not None and (info := ledger.period(disputed)) is not None and info.status == "closed"
        if disputed != period and not closed:
            error(
                "period",
                t("row_period_not_open", disputed=disputed, period=period),
                t("row_period_expected", period=period),
            )
            continue
        if disputed not in facts:
            assert ledger is not None
            facts[disputed] = facts_of_record(ledger, disputed)
        found = facts[disputed].records[kind].get(rid)
        if found is None:
            error(
                "record_id",
                t("row_no_record", kind=kind, id=rid, disputed=disputed),
                t("row_no_record_expected", key=KEY[kind], disputed=disputed),
            )
            continue
        owner, counted, received = found
        if owner != pid:
            error(
                "record_id",
                t("row_other_partner", kind=kind, id=rid, owner=owner, partner=pid),
                t("row_other_partner_expected", kind=kind, partner=pid),
            )
            continue
        if not counted:
            error(
                "record_id",
                t("row_did_not_count", kind=kind, id=rid, disputed=disputed),
                t("row_did_not_count_expected"),
            )
            continue
        try:
            _, resolved = parse_correction(kind, r["correction"])
        except DisputeError as exc:  # read by the register's own parser, worded for a table row
            error(
                "correction",
                t("row_not_a_correction", value=(r["correction"] or "").strip()),
                exc.issues.errors[0].expected,
            )
            continue
        if resolved is not None and received is not None and resolved < received:
            error("correction", t("row_resolved_before", resolved=resolved, received=received))
            continue
        filed = r["filed_on"]
        if filed is not None and filed > window_end(disputed, window_days) and not r["late"]:
            error(
                "filed_on",
                t("row_filed_late", filed=filed, disputed=disputed, last=window_end(disputed, window_days)),
                t("row_filed_late_expected"),
            )
            continue
        decision = (r["decision"] or "").strip().lower()
        if decision == "rejected":
            if r["correction"]:
                issues.append(
                    Issue(
                        source,
                        line,
                        "correction",
                        t("row_rejected_correction"),
                        None,
                        Severity.WARNING,
                        key=did,
                    )
                )
            continue
        if decision != "accepted":
            issues.append(Issue(source, line, "decision", t("row_pending"), None, Severity.WARNING, key=did))
            continue
        if (str(disputed), kind, rid) in corrected:
            error(
                "record_id",
                t("row_already_accepted", kind=kind, id=rid, disputed=disputed),
                t("row_already_accepted_expected"),
            )
            continue
        corrected.add((str(disputed), kind, rid))
        corrections.append(Correction(did, pid, disputed, kind, rid, resolved))
    return corrections, issues
