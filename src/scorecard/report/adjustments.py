"""The money lines of a month's record, as finance and partners read them.

The lines are computed once, by the settlement, and stored in the record
(``money_lines``); this module only words them: what each line is based on,
which rules caused it, and what lifts a hold. It checks that the lines add up
to the stored payout (and the refund lines to the refund deduction) before
any report shows them.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scorecard.i18n import t
from scorecard.money import format_fen
from scorecard.periods import Period
from scorecard.record import MonthRecord
from scorecard.report.formats import share

# Order of the summary by kind (the lines themselves keep the record's order).
KINDS = (
    "gross",
    "refund",
    "score",
    "fine",
    "receivable_in",
    "adjustment",
    "receivable_out",
    "hold",
    "terminated",
    "release",
)


class ReconciliationError(AssertionError):
    """Lines that do not add up to the ledger's amounts: a bug, never an input problem."""


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    amount: int  # signed fen: the effect on the payout
    rule_ids: tuple[str, ...]
    basis: str  # in words, in the view's language
    uncapped: int | None = None  # signed like ``amount``: the line before the month's cap


@dataclass(frozen=True, slots=True)
class PartnerMoney:
    """One partner's lines, holds and terminating rules, from the record."""

    result: dict[str, Any]
    lines: list[dict[str, Any]]
    holds: list[dict[str, Any]]
    terminated_by: tuple[str, ...]
    corrections: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    adjustments: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def hold_rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h["rule_id"] for h in self.holds))


def partner_money(record: MonthRecord) -> dict[str, PartnerMoney]:
    """Every partner's money from the record, checked to add up to its payout."""
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for x in record["money_lines"].iter_rows(named=True):
        lines[x["partner_id"]].append(x)
    holds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for h in record["holds"].iter_rows(named=True):
        holds[h["partner_id"]].append(h)
    corrections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in record["corrections"].iter_rows(named=True):
        corrections[c["partner_id"]].append(c)
    parts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for x in record["adjustments"].iter_rows(named=True):
        parts[x["partner_id"]].append(x)
    terminated: dict[str, list[str]] = defaultdict(list)
    for a in record["actions"].iter_rows(named=True):
        if a["kind"] == "terminate":
            terminated[a["partner_id"]].append(a["rule_id"])
    out = {}
    for r in record["partner_results"].iter_rows(named=True):
        pid = r["partner_id"]
        mine = lines.get(pid, [])
        if sum(x["amount"] for x in mine) != r["payout"]:
            raise ReconciliationError(f"{pid}: money lines do not add up to the payout")
        if -sum(x["amount"] for x in mine if x["kind"] == "refund") != r["refund_deduction"]:
            raise ReconciliationError(f"{pid}: refund lines do not add up to the refund deduction")
        out[pid] = PartnerMoney(
            r, mine, holds.get(pid, []), tuple(terminated.get(pid, ())), corrections.get(pid, []), parts.get(pid, [])
        )
    return out


def _capped(line: dict[str, Any], lang: str) -> str:
    """A capped line names what it was before the month's cap (docs/settlement.md#caps)."""
    if line.get("uncapped") is None:
        return ""
    return t("basis_capped", lang).format(uncapped=format_fen(line["uncapped"]))


def _uncapped(line: dict[str, Any]) -> int | None:
    return None if line.get("uncapped") is None else -line["uncapped"]


def hold_reasons(holds: list[dict[str, Any]], lang: str) -> str:
    parts = []
    for h in holds:
        if h["kind"] == "until_compliant":
            parts.append(h["rule_id"])
        else:
            parts.append(f"{h['rule_id']}: " + t("hold_reason_through", lang).format(through=h["ends"]))
    return "; ".join(parts)


def worded(pm: PartnerMoney, lang: str, *, per_refund: bool) -> list[Line]:
    """The partner's lines in words; ``per_refund=False`` folds the refunds into one line (a
    statement lists them in their own table)."""
    r = pm.result
    out: list[Line] = []
    refunds = [x for x in pm.lines if x["kind"] == "refund"]
    for x in pm.lines:
        kind = x["kind"]
        if kind == "refund":
            if not per_refund:
                if x is refunds[0]:
                    total = sum(y["amount"] for y in refunds)
                    out.append(Line(kind, total, (), t("basis_refunds", lang).format(count=len(refunds))))
                continue
            basis = t("basis_refund", lang).format(
                refund_id=x["source_id"],
                kind=t(x["refund_kind"], lang),
                amount=format_fen(x["base_amount"]),
                multiplier=x["multiplier"],
            )
            out.append(Line(kind, x["amount"], (), basis))
        elif kind == "score":
            pct = share(Decimal(x["share"]) * 100) + " %"
            basis = t("basis_score", lang).format(score=r["score"], pct=pct) + _capped(x, lang)
            out.append(Line(kind, x["amount"], (), basis, _uncapped(x)))
        elif kind == "fine":
            if x["share"] is not None:
                what = t("fine_pct", lang).format(pct=share(Decimal(x["share"]) * 100) + " %")
            else:
                what = t("fine_amount", lang).format(amount=format_fen(x["base_amount"] or 0))
            basis = t("basis_fine", lang).format(rule=x["rule_id"], what=what) + _capped(x, lang)
            out.append(Line(kind, x["amount"], (x["rule_id"],), basis, _uncapped(x)))
        elif kind == "hold":
            basis = t("basis_hold", lang).format(reasons=hold_reasons(pm.holds, lang))
            out.append(Line(kind, x["amount"], pm.hold_rules, basis))
        elif kind == "adjustment":
            months = sorted({a["corrected_period"] for a in pm.adjustments})
            disputes = sorted({c["dispute_id"] for c in pm.corrections if c["disputed_period"] in months})
            basis = t("basis_adjustment", lang).format(disputes=", ".join(disputes), months=", ".join(months))
            out.append(Line(kind, x["amount"], (), basis))
        elif kind == "terminated":
            out.append(Line(kind, x["amount"], pm.terminated_by, t("basis_terminated", lang)))
        else:
            out.append(Line(kind, x["amount"], (x["rule_id"],) if x["rule_id"] else (), t(f"basis_{kind}", lang)))
    return out


def lifts_text(pm: PartnerMoney, lang: str) -> str:
    """What ends each hold, in words."""
    if pm.result["status"] == "terminated":
        return t("lift_terminated", lang)
    parts = []
    for h in pm.holds:
        if h["kind"] == "until_compliant":
            parts.append(t("lift_until_compliant", lang).format(rule=h["rule_id"]))
        else:
            through = Period.parse(h["ends"])
            parts.append(t("lift_through", lang).format(through=through, next=through.next()))
    return "; ".join(parts)
