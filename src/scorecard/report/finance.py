"""The settlement workbook for finance: ``scorecard export finance YYYY-MM``.

Everything comes from the ledger (never recomputed): one line per money
movement, and totals that are sums of those lines in integer fen, checked
against the ledger's own amounts before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scorecard.config import LoadedConfig, load_config
from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError, PeriodInfo
from scorecard.money import format_fen
from scorecard.periods import Period
from scorecard.report.adjustments import KINDS, HoldInfo, Line, ReconciliationError, money_lines
from scorecard.report.xlsx import Book, Col, columns
from scorecard.settle import MONEY_FIELDS
from scorecard.workspace import Workspace

TOTAL_FIELDS = MONEY_FIELDS
STATUSES = ("active", "on_hold", "terminated")
NON_MONETARY = ("notice", "review", "sanction")
AUDIT_KEYS = ("ruleset_version", "ruleset_hash", "config_hash", "inputs_hash", "tool_version", "run_at", "closed_at")


@dataclass(frozen=True, slots=True)
class FinanceData:
    """One period as the ledger holds it, with its money lines."""

    period: Period
    info: PeriodInfo
    record: dict[str, Any]
    results: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    inputs: list[dict[str, Any]]
    holds: dict[str, HoldInfo]
    lines: dict[str, list[Line]]

    @property
    def draft(self) -> bool:
        return self.info.status == "draft"

    def totals(self) -> dict[str, int]:
        return {f: sum(r[f] for r in self.results) for f in TOTAL_FIELDS}

    def totals_by_kind(self) -> dict[str, tuple[int, int, int]]:
        """kind -> (lines, partners, signed amount), summed from the lines."""
        out: dict[str, tuple[int, int, int]] = {}
        for kind in KINDS:
            per_partner = [[x.amount for x in lines if x.kind == kind] for lines in self.lines.values()]
            amounts = [a for p in per_partner for a in p]
            if amounts:
                out[kind] = (len(amounts), sum(1 for p in per_partner if p), sum(amounts))
        return out


def read_finance(ledger: Ledger, period: Period) -> FinanceData:
    info, record = ledger.period(period), ledger.period_record(period)
    if info is None or record is None:
        raise LedgerError(f"{period} has not been run: nothing to export")
    results = [dict(r) for r in ledger.results(period)]
    refunds = [dict(r) for r in ledger.refunds(period)]
    notices = [dict(r) for r in ledger.notices(period)]
    by_partner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for x in refunds:
        by_partner[x["partner_id"]].append(x)
    terminated_by: dict[str, list[str]] = defaultdict(list)
    for n in notices:
        if n["kind"] == "terminate":
            terminated_by[n["partner_id"]].append(n["rule_id"])
    through = ledger.hold_month_rules(period)
    holds, lines = {}, {}
    for r in results:
        pid = r["partner_id"]
        holds[pid] = HoldInfo.parse(r["holds"], through.get(pid, ()), terminated_by[pid])
        lines[pid] = money_lines(r, by_partner[pid], holds[pid], per_refund=True)
    inputs = [dict(r) for r in ledger.inputs(period)]
    data = FinanceData(period, info, dict(record), results, refunds, notices, inputs, holds, lines)
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
        "receivable_in": -tot["receivable_in"],
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


def lifts_text(hold: HoldInfo, status: str, lang: str) -> str:
    """What ends each hold, in words."""
    if status == "terminated":
        return t("lift_terminated", lang)
    parts = [t("lift_until_compliant", lang).format(rule=rule) for rule in hold.until_compliant]
    if hold.through:
        through = Period.parse(hold.through)
        parts.append(t("lift_through", lang).format(through=through, next=through.next()))
    return "; ".join(parts)


def descriptions(config: LoadedConfig, info: PeriodInfo, lang: str) -> dict[str, str]:
    """Rule descriptions of the rule set the period was assessed with."""
    same = [r for r in config.config.rulesets if r.version == info.ruleset_version]
    ruleset = same[0] if same else config.config.ruleset_for(info.period)
    return {rule.id: rule.description.get(lang) for rule in ruleset.rules}


def finance_book(data: FinanceData, lang: str, rule_text: dict[str, str] | None = None) -> Book:
    title = f"{t('finance_title', lang)} {data.period}"
    if data.draft:
        title += f" — {t('draft_short', lang)}"
    created = datetime.strptime(data.info.run_at, "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007 - stored in UTC
    book = Book(title, t("draft_mark", lang) if data.draft else None, created)
    names = {r["partner_id"]: r["partner_name"] for r in data.results}
    _summary(book, data, title, lang)
    _partners(book, data, lang)
    _adjustments(book, data, names, lang)
    _holds(book, data, names, lang)
    _refunds(book, data, names, lang)
    _notices(book, data, names, rule_text or {}, lang)
    _audit(book, data, lang)
    return book


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
        + tot["receivable_in"]
        - tot["gross_amount"]
        - tot["receivable_out"]
    )
    s.table(
        columns(lang, "item", ("amount", "money")),
        [[t(f, lang), tot[f]] for f in TOTAL_FIELDS] + [[t("check_zero", lang), check_zero]],
        main=False,
    )
    s.widths[0] = min(max(s.widths.get(0, 0), 24), 40)
    s.finish()


def _partners(book: Book, data: FinanceData, lang: str) -> None:
    s = book.sheet(t("sheet_partners", lang), f"{t('sheet_partners', lang)} {data.period}")
    cols = columns(
        lang,
        "partner_id",
        "partner_name",
        "mode",
        "status",
        ("score", "dec2"),
        ("band_pct", "pct"),
        "breached_rules",
        *((f, "money") for f in TOTAL_FIELDS),
    )
    rows = [
        [
            r["partner_id"],
            r["partner_name"],
            r["mode"],
            t(r["status"], lang),
            r["score"],
            r["band_pct"],
            r["breached_rules"].replace(";", ", "),
            *(r[f] for f in TOTAL_FIELDS),
        ]
        for r in data.results
    ]
    tot = data.totals()
    s.table(cols, rows, totals=[t("total", lang), "", "", "", None, None, "", *(tot[f] for f in TOTAL_FIELDS)])
    s.finish()


def _adjustments(book: Book, data: FinanceData, names: dict[str, str], lang: str) -> None:
    s = book.sheet(t("sheet_adjustments", lang), f"{t('sheet_adjustments', lang)} {data.period}")
    cols = columns(lang, "partner_id", "partner_name", "kind", "basis", "rule_id", ("amount", "money"))
    rows = [
        [pid, names[pid], t(f"adj_{x.kind}", lang), x.basis_text(lang), ", ".join(x.rule_ids), x.amount]
        for pid, lines in data.lines.items()
        for x in lines
    ]
    s.table(cols, rows, totals=[t("payout", lang), "", "", "", "", sum(r[-1] for r in rows)])
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
        hold = data.holds[r["partner_id"]]
        rows.append(
            [
                r["partner_id"],
                names[r["partner_id"]],
                t(r["status"], lang),
                ", ".join(hold.rule_ids),
                r["held_in"],
                r["held_out"] - r["held_in"] if held else 0,
                r["released"],
                r["held_out"],
                lifts_text(hold, r["status"], lang) if held else "",
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
        for x in data.refunds
    ]
    amount, deduction = sum(x["amount"] for x in data.refunds), sum(x["deduction"] for x in data.refunds)
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
        for n in data.notices
        if n["kind"] in NON_MONETARY
    ]
    s.table(cols, rows)
    s.finish()


def _audit(book: Book, data: FinanceData, lang: str) -> None:
    """The rule version and the hashes that identify exactly what was assessed."""
    s = book.sheet(t("sheet_audit", lang), f"{t('sheet_audit', lang)} {data.period}")
    s.pairs([*_heading(data, lang), *((t(key, lang), "text", data.record[key] or "") for key in AUDIT_KEYS)])
    s.caption(t("inputs", lang))
    s.table(
        [*columns(lang, "table", "file"), Col("SHA-256"), *columns(lang, ("rows", "int"))],
        [[x["table_name"], x["file"], x["sha256"], x["rows"]] for x in data.inputs],
    )
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
    config = load_config(ws.config)
    lang = lang or config.config.general.language
    if not ws.db.exists():
        raise LedgerError(f"no ledger at {ws.db}: run a period first")
    with ws.lock(), Ledger(ws.db) as ledger:
        data = read_finance(ledger, period)
        path = workbook_path(ws, period)
        finance_book(data, lang, descriptions(config, data.info, lang)).save(path)
    return FinanceOutcome(path, len(data.results), data.totals(), data.draft)


def summary_lines(outcome: FinanceOutcome, lang: str) -> list[str]:
    """What the terminal shows after an export."""
    tot = outcome.totals
    mark = f" ({t('draft', lang)})" if outcome.draft else ""
    amounts = "  ".join(f"{t(f, lang)} {format_fen(tot[f])}" for f in ("gross_amount", "held_out", "payout"))
    return [
        f"{t('workbook_written', lang)}{mark}: {outcome.path}",
        f"{t('partners', lang)} {outcome.partners}  {amounts}",
    ]
