"""The money movements of one partner in one period, line by line from gross to payout.

The finance workbook lists these lines for every partner; a statement shows
the same lines to the partner. Amounts are signed integer fen (the effect on
the payout) and add up to the payout exactly — checked here, so a report can
never show lines that do not reconcile with the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scorecard.i18n import t
from scorecard.money import format_fen
from scorecard.report.formats import share

# Order in which lines are listed; also the order of the summary by kind.
KINDS = ("gross", "refund", "score", "receivable_in", "receivable_out", "hold", "terminated", "release")


class ReconciliationError(AssertionError):
    """Lines that do not add up to the ledger's amounts: a bug, never an input problem."""


@dataclass(frozen=True, slots=True)
class HoldInfo:
    """Why a partner's money is held this period (from the ledger)."""

    until_compliant: tuple[str, ...] = ()  # rule ids of hold_until_compliant rules breached now
    through: str | None = None  # a hold of n months covers the period up to this one
    through_rules: tuple[str, ...] = ()  # the hold_months rules that set it
    terminated_by: tuple[str, ...] = ()  # rule ids whose terminate action fired

    @classmethod
    def parse(cls, holds: str, through_rules: Sequence[str] = (), terminated_by: Sequence[str] = ()) -> HoldInfo:
        """``results.holds``: "rule-a;through 2026-05" -> until compliant (rule-a), through 2026-05."""
        items = [h for h in holds.split(";") if h]
        through = next((h.removeprefix("through ") for h in items if h.startswith("through ")), None)
        return cls(
            tuple(h for h in items if not h.startswith("through ")),
            through,
            tuple(through_rules) if through else (),
            tuple(terminated_by),
        )

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.until_compliant + self.through_rules + self.terminated_by))


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # one of KINDS
    amount: int  # signed fen: the effect on the payout
    rule_ids: tuple[str, ...] = ()
    basis: str = ""  # i18n key of the basis text
    params: tuple[tuple[str, Any], ...] = ()  # formatted into the basis text

    def basis_text(self, lang: str) -> str:
        params = {k: (t(v, lang) if k == "kind" else v) for k, v in self.params}
        if "reasons" in params:
            params["reasons"] = "; ".join(
                t("hold_reason_through", lang).format(through=r.removeprefix("through "))
                if r.startswith("through ")
                else r
                for r in str(params["reasons"]).split(";")
            )
        return t(self.basis, lang).format(**params) if self.basis else ""


def money_lines(
    r: Mapping[str, Any], refunds: Sequence[Mapping[str, Any]], hold: HoldInfo, *, per_refund: bool
) -> list[Line]:
    """The lines from gross to payout for one ledger ``results`` row.

    ``per_refund``: one line per refund (finance) or one line for all of them
    (a statement, which lists the refunds in their own table).
    """
    lines = [Line("gross", r["gross_amount"], basis="basis_gross")]
    if sum(x["deduction"] for x in refunds) != r["refund_deduction"]:
        raise ReconciliationError(f"{r['partner_id']}: refund lines do not add up to the refund deduction")
    if per_refund:
        lines += [
            Line(
                "refund",
                -x["deduction"],
                basis="basis_refund",
                params=(
                    ("refund_id", x["refund_id"]),
                    ("kind", x["kind"]),
                    ("amount", format_fen(x["amount"])),
                    ("multiplier", x["multiplier"]),
                ),
            )
            for x in refunds
        ]
    elif r["refund_deduction"]:
        lines.append(Line("refund", -r["refund_deduction"], basis="basis_refunds", params=(("count", len(refunds)),)))
    if r["score_deduction"]:
        pct = share(Decimal(r["band_pct"]) * 100) + " %"
        lines.append(
            Line("score", -r["score_deduction"], basis="basis_score", params=(("score", r["score"]), ("pct", pct)))
        )
    if r["receivable_in"]:
        lines.append(Line("receivable_in", -r["receivable_in"], basis="basis_receivable_in"))
    if r["receivable_out"]:
        lines.append(Line("receivable_out", r["receivable_out"], basis="basis_receivable_out"))
    withheld = r["held_out"] - r["held_in"] if r["status"] != "active" else 0
    if withheld:
        if r["status"] == "terminated":
            lines.append(Line("terminated", -withheld, hold.terminated_by, basis="basis_terminated"))
        else:
            reasons = ";".join(hold.until_compliant + ((f"through {hold.through}",) if hold.through else ()))
            lines.append(Line("hold", -withheld, hold.rule_ids, basis="basis_hold", params=(("reasons", reasons),)))
    if r["released"]:
        lines.append(Line("release", r["released"], basis="basis_release"))
    if sum(line.amount for line in lines) != r["payout"]:
        raise ReconciliationError(f"{r['partner_id']}: money lines do not add up to the payout")
    return lines
