"""What finance pays from: one payment per partner paid, to its payee (docs/sign-off-and-audit.md#payments).

Read from a month's record alone: the payout of each partner and the payee
stored with the month. ``export payments P`` writes the list for a closed
month only — a draft may still change — as ``out/P/payments-P.csv``. The
sign-off of a month (who prepared, approved and closed it) is read here too,
for every sheet of the finance workbook.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from scorecard import approval
from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.ledger import Ledger, LedgerError
from scorecard.money import format_fen
from scorecard.periods import Period
from scorecard.record import MonthRecord, PeriodInfo
from scorecard.report.formats import csv_text
from scorecard.report.outputs import add_to_stamp, render_month
from scorecard.workspace import Workspace

CSV_COLUMNS = ("partner_id", "partner_name", "payee_name", "bank_name", "account_no", "amount", "reference")


@dataclass(frozen=True, slots=True)
class Payment:
    partner_id: str
    partner_name: str
    payee_name: str | None  # None: the month's payees table has no row for the partner
    bank_name: str | None
    account_no: str | None
    amount: int  # fen, > 0
    reference: str  # "P/partner_id": what the bank statement shows, to match the payment back


def payments(record: MonthRecord) -> list[Payment]:
    """One payment per partner with payout > 0, in partner order (payee columns empty when missing)."""
    payees = {p["partner_id"]: p for p in record.rows("payees")}
    out = []
    paid = record["partner_results"].select("partner_id", "partner_name", "payout")
    for pid, name, payout in paid.iter_rows():
        if payout <= 0:
            continue
        p = payees.get(pid, {})
        reference = f"{record.period}/{pid}"
        out.append(Payment(pid, name, p.get("payee_name"), p.get("bank_name"), p.get("account_no"), payout, reference))
    # a terminated partner's final settlement is paid with the month though it is not assessed
    for f in record.rows("final_settlements"):
        if f["amount"] <= 0:
            continue
        p = payees.get(f["partner_id"], {})
        pay = Payment(
            f["partner_id"],
            f["partner_name"],
            p.get("payee_name"),
            p.get("bank_name"),
            p.get("account_no"),
            f["amount"],
            f"{record.period}/{f['partner_id']}",
        )
        out.append(pay)
    return sorted(out, key=lambda x: x.partner_id)


def month_total(record: MonthRecord) -> int:
    """What the month pays: the partners' payouts and the final settlements."""
    return record.totals()["payout"] + sum(int(f["amount"]) for f in record.rows("final_settlements"))


def unpaid_without_payee(record: MonthRecord, rows: list[Payment]) -> list[Issue]:
    """A partner to be paid with no payee: an error of the payment list, naming the partner."""
    source = next((f for name, f, *_ in record["inputs"].iter_rows() if name == "payees" and f), None)
    where = source or t("payees_not_given", period=record.period)
    return [
        Issue(
            where,
            None,
            "partner_id",
            t(
                "paid_without_payee",
                partner=p.partner_id,
                name=p.partner_name,
                amount=format_fen(p.amount),
                period=record.period,
            ),
            t("paid_without_payee_expected"),
        )
        for p in rows
        if p.payee_name is None
    ]


def payments_csv(rows: list[Payment]) -> bytes:
    """UTF-8 with a BOM (so a spreadsheet reads the Chinese names); text cells never run as formulas."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for p in rows:
        writer.writerow(
            [
                csv_text(p.partner_id),
                csv_text(p.partner_name),
                csv_text(p.payee_name),
                csv_text(p.bank_name),
                csv_text(p.account_no),
                format_fen(p.amount),
                csv_text(p.reference),
            ]
        )
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class PaymentsOutcome:
    path: Path
    payments: int
    total: int  # fen


def payments_path(ws: Workspace, period: Period) -> Path:
    return ws.out_for(period) / f"payments-{period}.csv"


def export_payments(ws: Workspace, period: Period, lang: str) -> PaymentsOutcome:
    """Write ``out/P/payments-P.csv`` from a closed month's record; a draft is refused."""
    from scorecard.report.xlsx import atomic_write

    if not ws.db.exists():
        raise LedgerError(t("no_ledger", db=ws.db))
    with ws.lock(), Ledger(ws.db) as ledger:
        info = ledger.period(period)
        if info is None:
            raise LedgerError(t("pay_not_run", period=period))
        if info.draft:
            raise LedgerError(t("pay_draft", period=period, run=info.run_seq))
        record = ledger.record(period)
        rows = payments(record)
        missing = unpaid_without_payee(record, rows)
        if missing:
            raise InputError(missing, f"{len(missing)} partners without a payee")
        total = sum(p.amount for p in rows)
        if total != month_total(record):
            raise LedgerError(t("pay_mismatch", total=total))
        render_month(ws, record, lang)
        path = payments_path(ws, period)
        atomic_write(path, payments_csv(rows))
        add_to_stamp(path.parent, info, [path])
    return PaymentsOutcome(path, len(rows), total)


# --- sign-off and changes, for the workbook -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignOff:
    period: Period
    draft: bool
    prepared_by: str
    prepared_at: str
    approved_by: str | None
    approved_at: str | None
    closed_by: str | None
    closed_at: str | None

    def line(self, lang: str) -> str:
        state = t("draft", lang) if self.draft else t("closed", lang)
        approved = (
            f"{t('approved_by', lang)} {self.approved_by} {self.approved_at}"
            if self.approved_by
            else f"{t('approved_by', lang)} — ({t('not_approved', lang)})"
        )
        closed = f"{t('closed_by', lang)} {self.closed_by} {self.closed_at}" if self.closed_by else ""
        parts = [str(self.period), state, f"{t('prepared_by', lang)} {self.prepared_by} {self.prepared_at}", approved]
        return " · ".join(p for p in [*parts, closed] if p)


def sign_off(ledger: Ledger, info: PeriodInfo) -> SignOff:
    ok = approval.current(ledger, info)
    return SignOff(
        info.period,
        info.draft,
        info.run_by,
        info.run_at,
        ok.approved_by if ok else None,
        ok.approved_at if ok else None,
        info.closed_by,
        info.closed_at,
    )


@dataclass(frozen=True, slots=True)
class Change:
    """A partner's payout changed by a re-run after an approval, or of a reopened month."""

    partner_id: str
    before: int
    after: int
    from_run: int
    to_run: int
    why: str


def change_detail(ledger: Ledger, replaced: PeriodInfo, record: MonthRecord) -> dict[str, object]:
    """What the run event keeps about the run it replaces, when that run had been approved or the
    month was reopened: why, and each partner whose payout changed (before, after). Empty otherwise."""
    ok = approval.current(ledger, replaced)
    marks = ledger.conn.execute(
        "SELECT command, user, at, reason FROM events WHERE period = ? AND command IN ('close', 'reopen')"
        " ORDER BY id DESC LIMIT 1",
        (str(replaced.period),),
    ).fetchone()
    if marks is not None and marks["command"] == "reopen":
        why = f"reopened by {marks['user']} at {marks['at']}: {marks['reason']}"
    elif ok is not None:
        why = f"re-run after the approval by {ok.approved_by} at {ok.approved_at}"
    else:
        return {}
    before = {r["partner_id"]: r["payout"] for r in ledger.results(replaced.period)}
    after = {r["partner_id"]: r["payout"] for r in record.rows("partner_results")}
    changed = {
        pid: [before.get(pid, 0), after.get(pid, 0)]
        for pid in sorted(set(before) | set(after))
        if before.get(pid, 0) != after.get(pid, 0)
    }
    return {"why": why, "payout_changes": changed}


def changes(ledger: Ledger, period: Period) -> list[Change] | None:
    """The payout changes of the month's re-runs after an approval or a reopening; None when there was none."""
    events = [dict(e) for e in ledger.events(period)]
    out: list[Change] = []
    seen = False
    for e in events:
        if e["command"] != "run":
            continue
        detail = json.loads(e["detail"] or "{}")
        if "payout_changes" not in detail:
            continue
        seen = True
        why = detail.get("why", "")
        for pid, (before, after) in detail["payout_changes"].items():
            out.append(Change(pid, before, after, detail.get("replaced_run", 0), detail.get("run_seq", 0), why))
    return out if seen else None
