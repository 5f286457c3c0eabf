"""The settlement workbook for finance: ``scorecard export finance YYYY-MM``.

Everything comes from the ledger (never recomputed): one line per money
movement, and totals that are sums of those lines in integer fen, checked
against the ledger's own amounts before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scorecard.config import load_config
from scorecard.i18n import t
from scorecard.issues import InputError
from scorecard.ledger import Ledger, LedgerError
from scorecard.money import format_fen
from scorecard.payments import Change, SignOff, changes, payments, sign_off
from scorecard.periods import Period
from scorecard.record import SCHEMAS, MonthRecord, PeriodInfo
from scorecard.report.adjustments import KINDS, PartnerMoney, ReconciliationError, lifts_text, partner_money, worded
from scorecard.report.outputs import add_to_stamp, mismatch, render_month
from scorecard.report.xlsx import Book, Col, columns, run_time, without_cycle_collection
from scorecard.settle import MONEY_FIELDS
from scorecard.status import Balance, balances
from scorecard.workspace import Workspace

TOTAL_FIELDS = MONEY_FIELDS
STATUSES = ("active", "on_hold", "terminated")
NON_MONETARY = ("notice", "review", "sanction")
# The record tables the workbook is made from: the tickets and the metric detail are not read.
TABLES = (
    "partner_results",
    "rule_results",
    "actions",
    "holds",
    "money_lines",
    "refunds",
    "corrections",
    "adjustments",
    "final_settlements",
    "inputs",
    "payees",
)
AUDIT_KEYS = (
    "ruleset_version",
    "ruleset_hash",
    "config_hash",
    "inputs_hash",
    "tool_version",
    "run_by",
    "run_at",
    "closed_by",
    "closed_at",
)


@dataclass(frozen=True, slots=True)
class FinanceData:
    """One month as its record holds it, with its money lines and the balances carried."""

    record: MonthRecord
    money: dict[str, PartnerMoney]
    balances: list[Balance]
    signoff: SignOff | None = None  # who prepared, approved and closed the month (every sheet's header)
    changes: list[Change] | None = None  # payouts changed by a re-run after approval or a reopening
    _results: list[dict[str, Any]] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def period(self) -> Period:
        return self.record.period

    @property
    def info(self) -> PeriodInfo:
        return self.record.info

    @property
    def results(self) -> list[dict[str, Any]]:
        """The partner rows, in the record's order: those the money lines were checked against (one
        per partner row), so they are made once."""
        cached = self._results
        if cached is None:
            cached = [pm.result for pm in self.money.values()]
            object.__setattr__(self, "_results", cached)
        return cached

    @property
    def draft(self) -> bool:
        return self.info.draft

    def totals(self) -> dict[str, int]:
        return self.record.totals()

    def totals_by_kind(self) -> dict[str, tuple[int, int, int]]:
        """kind -> (lines, partners, signed amount), summed from the lines (kinds in ``KINDS`` order)."""
        lines = dict.fromkeys(KINDS, 0)
        partners = dict.fromkeys(KINDS, 0)
        amounts = dict.fromkeys(KINDS, 0)
        for pm in self.money.values():
            kinds = set()
            for x in pm.lines:
                kind = x["kind"]
                if kind in lines:
                    lines[kind] += 1
                    amounts[kind] += x["amount"]
                    kinds.add(kind)
            for kind in kinds:
                partners[kind] += 1
        return {k: (lines[k], partners[k], amounts[k]) for k in KINDS if lines[k]}


def read_finance(ledger: Ledger, period: Period) -> FinanceData:
    record = ledger.record(period, only=TABLES)
    data = FinanceData(
        record,
        partner_money(record),
        balances(ledger, period),
        sign_off(ledger, record.info),
        changes(ledger, period),
    )
    check(data)
    return data


def check(data: FinanceData) -> None:
    """The lines, the totals and the ledger agree to the fen, or nothing is written."""
    tot = data.totals()
    by_kind = {k: v[2] for k, v in data.totals_by_kind().items()}
    expected = {
        "gross": tot["gross_amount"],
        "refund": -tot["refund_deduction"],
        "score": -tot["score_deduction"],
        "fine": -tot["fine_deduction"],
        "receivable_in": -tot["receivable_in"],
        "adjustment": tot["adjustment"],
        "receivable_out": tot["receivable_out"],
        "release": tot["released"],
    }
    for kind, amount in expected.items():
        if by_kind.get(kind, 0) != amount:
            raise ReconciliationError(f"{kind}: lines {by_kind.get(kind, 0)} != ledger {amount}")
    held = by_kind.get("hold", 0) + by_kind.get("terminated", 0)
    if -held != tot["held_out"] - sum(r["held_in"] for r in data.results if r["status"] != "active"):
        raise ReconciliationError("holds: lines do not match the ledger's held balances")
    if sum(by_kind.values()) != tot["payout"]:
        raise ReconciliationError("the lines do not add up to the total payout")


def finance_book(data: FinanceData, lang: str) -> Book:
    title = f"{t('finance_title', lang)} {data.period}"
    if data.draft:
        title += f" — {t('draft_short', lang)}"
    signoff = data.signoff.line(lang) if data.signoff else None
    book = Book(title, t("draft_mark", lang) if data.draft else None, run_time(data.info.run_at), signoff)
    names = {r["partner_id"]: r["partner_name"] for r in data.results}
    _summary(book, data, title, lang)
    _partners(book, data, lang)
    _adjustments(book, data, names, lang)
    _holds(book, data, names, lang)
    _refunds(book, data, names, lang)
    rule_text = {rule.id: rule.description.get(lang) for rule in data.record.ruleset.rules}
    _notices(book, data, names, rule_text, lang)
    _disputes(book, data, names, lang)
    _balances(book, data, lang)
    _payments(book, data, lang)
    if data.record["final_settlements"].height:
        _final_settlements(book, data, lang)
    if data.changes is not None:
        _changes(book, data, names, lang)
    _audit(book, data, lang)
    return book


def _payments(book: Book, data: FinanceData, lang: str) -> None:
    """The payment list (docs/sign-off-and-audit.md#payments): one row per partner paid; its total is the
    month's payout. A partner without a payee shows empty payee cells here; ``export payments`` refuses it."""
    s = book.sheet(t("sheet_payments", lang), f"{t('sheet_payments', lang)} {data.period}")
    cols = columns(
        lang, "partner_id", "partner_name", "payee_name", "bank_name", "account_no", ("amount", "money"), "reference"
    )
    rows = [
        [p.partner_id, p.partner_name, p.payee_name, p.bank_name, p.account_no, p.amount, p.reference]
        for p in payments(data.record)
    ]
    s.table(cols, rows, totals=[t("total", lang), "", "", "", "", sum(r[5] for r in rows), ""])
    s.finish()


def _final_settlements(book: Book, data: FinanceData, lang: str) -> None:
    """Terminated partners settled with the month: one money line of kind final_settlement each."""
    s = book.sheet(t("sheet_final", lang), f"{t('sheet_final', lang)} {data.period}")
    money = ("held", "receivable", "deposit", "set_off", "deposit_used", "deposit_returned", "forfeited")
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        "kind",
        "decision",
        *((f, "money") for f in money),
        ("amount", "money"),
        ("receivable_left", "money"),
        ("reason", "text", 40),
        "decided_by",
    )
    rows = [
        [
            f["partner_id"],
            f["partner_name"],
            t("adj_final_settlement", lang),
            t(f["decision"], lang),
            *(f[m] for m in money),
            f["amount"],
            f["receivable_left"],
            f["reason"],
            f"{f['decided_by']} {f['decided_at']}",
        ]
        for f in data.record.rows("final_settlements")
    ]
    totals = [t("total", lang), "", "", "", *(sum(r[4 + i] for r in rows) for i in range(len(money) + 2)), "", ""]
    s.table(cols, rows, totals=totals)
    s.finish()


def _changes(book: Book, data: FinanceData, names: dict[str, str], lang: str) -> None:
    """Per partner, the payout before and after each re-run that followed an approval or a reopening."""
    s = book.sheet(t("sheet_changes", lang), f"{t('sheet_changes', lang)} {data.period}")
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        ("from_run", "int"),
        ("to_run", "int"),
        ("payout_before", "money"),
        ("payout_after", "money"),
        ("difference", "money"),
        ("why", "text", 60),
    )
    rows = [
        [c.partner_id, names.get(c.partner_id, ""), c.from_run, c.to_run, c.before, c.after, c.after - c.before, c.why]
        for c in data.changes or []
    ]
    s.table(cols, rows)
    s.finish()


def _heading(data: FinanceData, lang: str) -> list[tuple[str, Any, Any]]:
    status = t("draft", lang) if data.draft else t("closed", lang)
    return [(t("period", lang), "text", str(data.period)), (t("period_status", lang), "text", status)]


def _summary(book: Book, data: FinanceData, title: str, lang: str) -> None:
    s = book.sheet(t("sheet_summary", lang), title)
    tot = data.totals()
    s.pairs(
        [
            *_heading(data, lang),
            (t("rule_version", lang), "text", data.info.ruleset_version),
            (t("partners", lang), "int", len(data.results)),
            (t("amounts_in_yuan", lang), "text", ""),
        ]
    )
    s.caption(t("by_status", lang))
    money = ("gross_amount", "held_out", "payout")
    rows = [
        [t(status, lang), len(rs), *(sum(r[f] for r in rs) for f in money)]
        for status in STATUSES
        for rs in [[r for r in data.results if r["status"] == status]]
    ]
    s.table(
        columns(lang, "status", ("partners", "int"), *((f, "money") for f in money)),
        rows,
        totals=[t("total", lang), len(data.results), *(tot[f] for f in money)],
        main=False,
    )
    s.caption(t("by_kind", lang))
    by_kind = data.totals_by_kind()
    s.table(
        columns(lang, "kind", ("lines", "int"), ("partners", "int"), ("amount", "money")),
        [[t(f"adj_{k}", lang), *v] for k, v in by_kind.items()],
        totals=[
            t("payout", lang),
            sum(v[0] for v in by_kind.values()),
            len(data.results),
            sum(v[2] for v in by_kind.values()),
        ],
        main=False,
    )
    s.caption(t("grand_totals", lang))
    check_zero = (
        tot["payout"]
        + tot["held_out"]
        - tot["held_in"]
        + tot["refund_deduction"]
        + tot["score_deduction"]
        + tot["fine_deduction"]
        + tot["receivable_in"]
        - tot["gross_amount"]
        - tot["receivable_out"]
        - tot["adjustment"]
    )
    s.table(
        columns(lang, "item", ("amount", "money")),
        [[t(f, lang), tot[f]] for f in TOTAL_FIELDS] + [[t("check_zero", lang), check_zero]],
        main=False,
    )
    s.widths[0] = min(max(s.widths.get(0, 0), 24), 40)
    s.finish()


# Money columns a month without fines or disputes leaves at zero for everyone: the Partners sheet
# shows them only in a month that has them, so it still prints on one page across.
WHEN_USED = ("fine_deduction", "adjustment", "held_restated", "receivable_restated")


def _partners(book: Book, data: FinanceData, lang: str) -> None:
    s = book.sheet(t("sheet_partners", lang), f"{t('sheet_partners', lang)} {data.period}")
    tot = data.totals()
    shown = [f for f in TOTAL_FIELDS if f not in WHEN_USED or any(r[f] for r in data.results)]
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        "mode",
        "status",
        ("score", "dec2"),
        ("band_pct", "pct"),
        "breached_rules",
        *((f, "money") for f in shown),
    )
    breached = data.record.breached_rules()
    rows = [
        [
            r["partner_id"],
            r["partner_name"],
            r["mode"],
            t(r["status"], lang),
            r["score"],
            r["band_pct"],
            ", ".join(breached.get(r["partner_id"], [])),
            *(r[f] for f in shown),
        ]
        for r in data.results
    ]
    s.table(cols, rows, totals=[t("total", lang), "", "", "", None, None, "", *(tot[f] for f in shown)])
    s.finish()


def _adjustments(book: Book, data: FinanceData, names: dict[str, str], lang: str) -> None:
    s = book.sheet(t("sheet_adjustments", lang), f"{t('sheet_adjustments', lang)} {data.period}")
    cols = columns(
        lang, "partner_id", "partner_name", "kind", "basis", "rule_id", ("amount", "money"), ("uncapped", "money")
    )
    rows = [
        [pid, names[pid], t(f"adj_{x.kind}", lang), x.basis, ", ".join(x.rule_ids), x.amount, x.uncapped]
        for pid, pm in data.money.items()
        for x in worded(pm, lang, per_refund=True)
    ]
    s.table(cols, rows, totals=[t("payout", lang), "", "", "", "", sum(r[5] for r in rows), None])
    s.finish()


def _holds(book: Book, data: FinanceData, names: dict[str, str], lang: str) -> None:
    s = book.sheet(t("sheet_holds", lang), f"{t('sheet_holds', lang)} {data.period}")
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        "status",
        "rule_id",
        ("held_in", "money"),
        ("held_this_period", "money"),
        ("released", "money"),
        ("held_out", "money"),
        ("lifts_when", "text", 60),
    )
    rows = []
    for r in data.results:
        held = r["status"] != "active"
        if not (held or r["held_in"] or r["held_out"] or r["released"]):
            continue
        pm = data.money[r["partner_id"]]
        rows.append(
            [
                r["partner_id"],
                names[r["partner_id"]],
                t(r["status"], lang),
                ", ".join(pm.terminated_by if r["status"] == "terminated" else pm.hold_rules),
                r["held_in"],
                r["held_out"] - r["held_in"] if held else 0,
                r["released"],
                r["held_out"],
                lifts_text(pm, lang) if held else "",
            ]
        )
    money = [sum(r[i] for r in rows) for i in range(4, 8)]
    s.table(cols, rows, totals=[t("total", lang), "", "", "", *money, ""])
    s.finish()


def _refunds(book: Book, data: FinanceData, names: dict[str, str], lang: str) -> None:
    s = book.sheet(t("sheet_refunds", lang), f"{t('sheet_refunds', lang)} {data.period}")
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        "refund_id",
        "customer_id",
        "refund_kind",
        ("refund_amount", "money"),
        ("multiplier", "int"),
        ("refund_deduction", "money"),
        ("source_line", "int"),
    )
    rows = [
        [
            x["partner_id"],
            names.get(x["partner_id"], ""),
            x["refund_id"],
            x["customer_id"],
            t(x["kind"], lang),
            x["amount"],
            x["multiplier"],
            x["deduction"],
            x["line"],
        ]
        for x in data.record.rows("refunds")
    ]
    refunds = data.record.rows("refunds")
    amount, deduction = sum(x["amount"] for x in refunds), sum(x["deduction"] for x in refunds)
    s.table(cols, rows, totals=[t("total", lang), "", "", "", "", amount, None, deduction, None])
    s.finish()


def _notices(book: Book, data: FinanceData, names: dict[str, str], rule_text: dict[str, str], lang: str) -> None:
    s = book.sheet(t("sheet_notices", lang), f"{t('sheet_notices', lang)} {data.period}")
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        "rule_id",
        ("description", "text", 40),
        "kind",
        ("text", "text", 40),
        ("streak", "int"),
        "deadline",
    )
    rows = [
        [
            n["partner_id"],
            names.get(n["partner_id"], ""),
            n["rule_id"],
            rule_text.get(n["rule_id"], ""),
            t(n["kind"], lang),
            n["label_zh"] if lang == "zh" else n["label_en"],
            n["streak"],
            n["deadline"],
        ]
        for n in data.record.rows("actions")
        if n["kind"] in NON_MONETARY
    ]
    s.table(cols, rows)
    s.finish()


def _audit(book: Book, data: FinanceData, lang: str) -> None:
    """The rule version and the hashes that identify exactly what was assessed."""
    s = book.sheet(t("sheet_audit", lang), f"{t('sheet_audit', lang)} {data.period}")
    s.pairs([*_heading(data, lang), *((t(key, lang), "text", getattr(data.info, key) or "") for key in AUDIT_KEYS)])
    s.caption(t("inputs", lang))
    s.table(
        [*columns(lang, "table", "file"), Col("SHA-256"), *columns(lang, ("rows", "int"))],
        [list(row) for row in data.record["inputs"].iter_rows()],
    )
    s.finish()


def _disputes(book: Book, data: FinanceData, names: dict[str, str], lang: str) -> None:
    """Every dispute decision the month's run applied, and the adjustment it made by corrected month
    and component (refund, score, fine, hold timing)."""
    s = book.sheet(t("sheet_disputes", lang), f"{t('sheet_disputes', lang)} {data.period}")
    s.table(
        columns(
            lang, "dispute_id", "partner_id", "partner_name", "disputed_period", "record", "record_id", "correction"
        ),
        [
            [
                c["dispute_id"],
                c["partner_id"],
                names.get(c["partner_id"], ""),
                c["disputed_period"],
                t(c["record"], lang),
                c["record_id"],
                c["correction"],
            ]
            for c in data.record.rows("corrections")
        ],
    )
    parts = data.record.rows("adjustments")
    s.caption(t("adjustment_parts", lang))
    s.table(
        columns(lang, "partner_id", "partner_name", "corrected_period", "component", ("amount", "money")),
        [
            [
                a["partner_id"],
                names.get(a["partner_id"], ""),
                a["corrected_period"],
                t(f"component_{a['component']}", lang),
                a["amount"],
            ]
            for a in parts
        ],
        totals=[t("total", lang), "", "", "", sum(a["amount"] for a in parts)],
        main=False,
    )
    s.finish()


def _balances(book: Book, data: FinanceData, lang: str) -> None:
    """Every balance no payout of this month settles: terminated partners' held money pending final
    settlement, absent partners' held balances and receivables."""
    s = book.sheet(t("balances_carried", lang), f"{t('balances_carried', lang)} {data.period}")
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        "balance_kind",
        "since",
        ("held", "money"),
        ("receivable", "money"),
    )
    rows = [
        [b.partner_id, b.partner_name, t(b.kind, lang), str(b.since or ""), b.held, b.receivable] for b in data.balances
    ]
    held, receivable = sum(b.held for b in data.balances), sum(b.receivable for b in data.balances)
    s.table(cols, rows, totals=[t("total", lang), "", "", "", held, receivable])
    s.finish()


@dataclass(frozen=True, slots=True)
class FinanceOutcome:
    path: Path
    partners: int
    totals: dict[str, int]
    draft: bool


def workbook_path(ws: Workspace, period: Period) -> Path:
    return ws.out_for(period) / f"settlement-{period}.xlsx"


def export_finance(ws: Workspace, period: Period, lang: str | None = None) -> FinanceOutcome:
    """Write ``out/YYYY-MM/settlement-YYYY-MM.xlsx`` from the ledger, atomically."""
    lang = lang or language(ws)
    if not ws.db.exists():
        raise LedgerError(t("no_ledger", db=ws.db))
    with ws.lock(), Ledger(ws.db) as ledger, without_cycle_collection():
        data = read_finance(ledger, period)
        folder = ws.out_for(period)
        if not folder.exists() or mismatch(folder, data.info) is not None:
            # the month's files are made from the whole record (all but the tickets)
            render_month(ws, ledger.record(period, only=[n for n in SCHEMAS if n != "tickets"]), lang)
        path = workbook_path(ws, period)
        finance_book(data, lang).save(path)
        add_to_stamp(path.parent, data.info, [path])
        outcome = FinanceOutcome(path, len(data.results), data.totals(), data.draft)
        del data  # freed before the cycle collector resumes, so it does not walk the month's rows once more
    return outcome


def language(ws: Workspace) -> str:
    """The configured language; a view of a closed month still renders when the file is gone."""
    try:
        return load_config(ws.config).config.general.language
    except InputError:
        return "zh"


def summary_lines(outcome: FinanceOutcome, lang: str) -> list[str]:
    """What the terminal shows after an export."""
    tot = outcome.totals
    mark = f" ({t('draft', lang)})" if outcome.draft else ""
    amounts = "  ".join(f"{t(f, lang)} {format_fen(tot[f])}" for f in ("gross_amount", "held_out", "payout"))
    return [
        f"{t('workbook_written', lang)}{mark}: {outcome.path}",
        f"{t('partners', lang)} {outcome.partners}  {amounts}",
    ]
