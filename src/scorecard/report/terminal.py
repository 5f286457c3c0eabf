"""Terminal views: run summary, explain, history, issues (rich tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scorecard.assess import PartnerResult
from scorecard.config import MONEY_METRICS, RATE_METRICS, MetricName, RuleSet
from scorecard.i18n import t
from scorecard.issues import Issue
from scorecard.money import format_fen
from scorecard.report.formats import fixed


def print_issues(console: Console, issues: Sequence[Issue], lang: str) -> None:
    errors = [i for i in issues if i.is_error]
    warnings = [i for i in issues if not i.is_error]
    # escaped: a key path such as rules[c-on-time] would be taken as markup
    for w in warnings:
        console.print(
            f"[yellow]{t('warning', lang)}[/]: {escape(str(w))}", markup=True, highlight=False, soft_wrap=True
        )
    for e in errors:
        console.print(f"[red]{t('error', lang)}[/]: {escape(str(e))}", markup=True, highlight=False, soft_wrap=True)
    if errors:
        console.print(f"[red]{len(errors)} {t('errors_found', lang)}[/]", highlight=False)


def money(fen: int) -> str:
    return format_fen(fen)


COUNT_METRICS = frozenset({"valid_complaints", "repeat_complaints", "major_complaints"})


def metric_text(metric: str, value: object) -> str:
    if value is None:
        return "—"
    if metric in MONEY_METRICS:
        return money(int(value))  # type: ignore[call-overload]
    if metric in COUNT_METRICS or isinstance(value, int):
        return str(value)
    if metric in RATE_METRICS:
        return f"{fixed(value * 100, 2)} %"  # type: ignore[operator]
    return fixed(value, 4) if metric == "complaint_rate_per_10k" else fixed(value, 2)  # type: ignore[arg-type]


SHOWN_ROWS = 40  # the terminal lists this many partners; scorecard.csv has them all


def run_summary(console: Console, results: Sequence[PartnerResult], lang: str) -> None:
    """Counts and totals of the month, then the partners that need a look (breach, hold, release)."""
    counts = Table(title=t("run_summary", lang))
    for col in ("status", "partners", "gross_amount", "score_deduction", "held_out", "released", "payout"):
        counts.add_column(t(col, lang), justify="left" if col == "status" else "right")
    for status in ("active", "on_hold", "terminated", None):
        rs = [r for r in results if status is None or r.status == status]
        s = [r.settlement for r in rs]
        counts.add_row(
            t(status, lang) if status else t("totals", lang),
            str(len(rs)),
            *(
                money(sum(getattr(x, f) for x in s))
                for f in ("gross_amount", "score_deduction", "held_out", "released", "payout")
            ),
            style="bold" if status is None else "",
        )
    console.print(counts)
    flagged = [r for r in results if r.breached_rules or r.status != "active" or r.settlement.released]
    if flagged:
        notable(console, [("", r) for r in flagged[:SHOWN_ROWS]], lang)
    if len(flagged) > SHOWN_ROWS:
        console.print(f"… {len(flagged) - SHOWN_ROWS} {t('more', lang)} (scorecard.csv)")


def notable(console: Console, rows: Sequence[tuple[object, PartnerResult]], lang: str) -> None:
    """Every partner-month with a breach, a hold, a termination or a release."""
    table = Table(title=t("notable", lang))
    for col in ("period", "partner_id", "breached_rules", "status", "held_out", "released", "payout"):
        table.add_column(t(col, lang), justify="right" if col in ("held_out", "released", "payout") else "left")
    for period, r in rows:
        s = r.settlement
        style = {"terminated": "red", "on_hold": "yellow"}.get(r.status, "green")
        table.add_row(
            str(period),
            r.partner_id,
            ", ".join(r.breached_rules),
            t(r.status, lang),
            money(s.held_out),
            money(s.released),
            money(s.payout),
            style=style,
        )
    console.print(table)


def explain(console: Console, r: PartnerResult, ruleset: RuleSet, tickets: pl.DataFrame, lang: str) -> None:
    m, s = r.metrics, r.settlement
    console.print(
        f"[bold]{m.partner_id} {m.partner_name}[/]  {t('mode', lang)} {m.mode}  "
        f"{t('rule_version', lang)} {ruleset.version}  {t('status', lang)}: {t(r.status, lang)}"
    )

    metrics = Table(title=t("metrics", lang))
    for col in ("metric", "value", "sub_score", "weight"):
        metrics.add_column(t(col, lang))
    parts = {p.metric: p for p in r.score.parts}
    for name in get_args(MetricName):  # every metric, in the configuration's order
        p = parts.get(name)
        metrics.add_row(
            t(name, lang),
            metric_text(name, m.value(name)),
            fixed(p.sub_score, 2) if p else "",
            fixed(p.weight, 2) if p else "",
        )
    console.print(metrics)
    console.print(
        f"{t('score', lang)}: [bold]{r.score.score}[/]  {t('band', lang)} ≥ {r.score.band_min} → "
        f"{t('deduction', lang)} {fixed(r.score.band_pct * 100, 2)} %"
    )

    rules = Table(title=t("rules", lang))
    for col in ("rule", "value", "threshold", "breached", "streak", "actions"):
        rules.add_column(t(col, lang))
    by_id = {rule.id: rule for rule in ruleset.rules}
    for rr in r.rules:
        rule = by_id[rr.rule_id]
        threshold = f"{rule.op} {metric_text(rule.against or rule.metric, rr.comparand)}"
        why = t("zero_base", lang) if rr.breached and rr.value is None else ""
        rules.add_row(
            f"[bold]{rr.rule_id}[/]\n{rule.description.get(lang)}",
            metric_text(rule.metric, rr.value) + (f" ({why})" if why else ""),
            threshold,
            t("yes", lang) if rr.breached else t("no", lang),
            str(rr.streak),
            ", ".join(t(f.kind, lang) for f in rr.fired),
            style="red" if rr.breached else "",
        )
    console.print(rules)

    money_table = Table(title=t("settlement", lang))
    money_table.add_column(t("item", lang))
    money_table.add_column(t("amount", lang), justify="right")
    for label, fen in (
        ("gross_amount", s.gross_amount),
        ("refund_deduction", -s.refund_deduction),
        ("score_deduction", -s.score_deduction),
        ("receivable_in", -s.receivable_in),
        ("receivable_out", s.receivable_out),
        ("held_in", s.held_in),
        ("held_out", -s.held_out),
        ("payout", s.payout),
    ):
        money_table.add_row(t(label, lang), money(fen))
    console.print(money_table)
    if r.holds:
        console.print(f"{t('holds', lang)}: " + ", ".join(r.holds))

    late = tickets.filter(pl.col("state") != "on_time").sort("received_at")
    if late.height:
        tt = Table(title=f"{t('late_pending_tickets', lang)} ({late.height})")
        for col in ("ticket_id", "received_at", "deadline", "resolved_at", "state"):
            tt.add_column(t(col, lang))
        for row in late.head(50).iter_rows(named=True):
            tt.add_row(
                row["ticket_id"],
                str(row["received_at"]),
                str(row["deadline"]),
                str(row["resolved_at"] or "—"),
                t(row["state"], lang),
            )
        console.print(tt)
        if late.height > 50:
            console.print(f"… {late.height - 50} {t('more', lang)}")


def history(console: Console, partner_id: str, rows: Sequence[dict[str, object]], lang: str) -> None:
    import json
    from fractions import Fraction

    table = Table(title=f"{t('history', lang)}: {partner_id} {rows[-1]['partner_name']}")
    for col in (
        "period",
        "valid_complaints",
        "complaint_rate_per_10k",
        "on_time_rate",
        "score",
        "breached_rules",
        "status",
        "held_out",
        "receivable_out",
        "payout",
    ):
        table.add_column(t(col, lang), justify="left" if col in ("period", "breached_rules", "status") else "right")
    for r in rows:
        m = json.loads(str(r["metrics"]))
        rate = m["complaint_rate_per_10k"]
        on_time = m["on_time_rate"]
        draft = "" if r["period_status"] == "closed" else f" ({t('draft', lang)})"
        table.add_row(
            f"{r['period']}{draft}",
            str(m["valid_complaints"]),
            metric_text("complaint_rate_per_10k", None if rate is None else Fraction(rate)),
            metric_text("on_time_rate", None if on_time is None else Fraction(on_time)),
            str(r["score"]),
            str(r["breached_rules"]).replace(";", ", "),
            t(str(r["status"]), lang),
            money(int(r["held_out"])),  # type: ignore[call-overload]
            money(int(r["receivable_out"])),  # type: ignore[call-overload]
            money(int(r["payout"])),  # type: ignore[call-overload]
        )
    console.print(table)


def simulation(console: Console, sim: object, lang: str, show_all: bool = False) -> None:
    from scorecard.simulate import MONEY_FIELDS, Simulation

    assert isinstance(sim, Simulation)
    table = Table(title=f"{t('simulation', lang)} {sim.period}: {sim.base.ruleset.version} → {sim.alt.ruleset.version}")
    for col in ("partner_id", "score", "band_pct", "breached_rules", "status", "score_deduction", "held_out", "payout"):
        table.add_column(t(col, lang), justify="left" if col in ("partner_id", "breached_rules", "status") else "right")

    def pair(a: object, b: object) -> str:
        return str(a) if a == b else f"{a} → [bold]{b}[/]"

    shown = 0
    for c in sim.changes:
        if not (show_all or c.changed):
            continue
        shown += 1
        b, a = c.base, c.alt
        if b is None or a is None:
            table.add_row(c.partner_id, "", "", "", "only in " + ("simulation" if b is None else "base"), "", "", "")
            continue
        table.add_row(
            c.partner_id,
            pair(b.score.score, a.score.score),
            pair(b.score.band_pct, a.score.band_pct),
            pair(", ".join(b.breached_rules), ", ".join(a.breached_rules)),
            pair(t(b.status, lang), t(a.status, lang)),
            pair(money(b.settlement.score_deduction), money(a.settlement.score_deduction)),
            pair(money(b.settlement.held_out), money(a.settlement.held_out)),
            pair(money(b.settlement.payout), money(a.settlement.payout)),
        )
    console.print(table)
    base, alt = sim.totals("base"), sim.totals("alt")
    totals = Table(title=t("totals", lang))
    for col in ("item", "base", "simulated", "difference"):
        totals.add_column(t(col, lang), justify="left" if col == "item" else "right")
    for f in MONEY_FIELDS:
        totals.add_row(t(f, lang), money(base[f]), money(alt[f]), money(alt[f] - base[f]))
    console.print(totals)
    console.print(f"{shown} / {len(sim.changes)} {t('partners_changed', lang)}")
