"""Terminal views: run summary, explain, history, issues (rich tables)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, get_args

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scorecard.config import MONEY_METRICS, RATE_METRICS, MetricName
from scorecard.i18n import speaking, t, tn
from scorecard.issues import Issue, grouped
from scorecard.money import format_fen
from scorecard.record import MonthRecord, day_text, exact
from scorecard.report.formats import fixed
from scorecard.report.shown import visible


def print_issues(console: Console, issues: Sequence[Issue], lang: str, *, wrote_nothing: bool = False) -> None:
    """One line per issue. The issue text is data (cells, headers, file names): it is printed as
    plain text, never as markup or emoji codes, with control characters written out, so a value
    can neither break the output nor forge a line of its own."""
    errors = [i for i in issues if i.is_error]
    warnings = [i for i in issues if not i.is_error]
    with speaking(lang):  # an issue words its "expected" part when it is printed
        lines = [("warning", "yellow", w) for w in grouped(warnings)] + [("error", "red", str(e)) for e in errors]
    for label, style, text in lines:
        line = Text.assemble((t(label, lang), style), ": ", visible(text))
        console.print(line, highlight=False, soft_wrap=True, emoji=False, markup=False)
    if errors:
        found = tn("errors_found", len(errors), lang) + (t("nothing_written", lang) if wrote_nothing else "")
        console.print(Text(found, style="red"), highlight=False)


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
SUMMARY_MONEY = ("gross_amount", "score_deduction", "held_out", "released", "payout")


def run_summary(console: Console, record: MonthRecord, lang: str) -> None:
    """Counts and totals of the month, then the partners that need a look (breach, hold, release)."""
    rows = record.rows("partner_results")
    counts = Table(title=t("run_summary", lang))
    for col in ("status", "partners", *SUMMARY_MONEY):
        counts.add_column(t(col, lang), justify="left" if col == "status" else "right")
    for status in ("active", "on_hold", "terminated", None):
        rs = [r for r in rows if status is None or r["status"] == status]
        counts.add_row(
            t(status, lang) if status else t("totals", lang),
            str(len(rs)),
            *(money(sum(r[f] for r in rs)) for f in SUMMARY_MONEY),
            style="bold" if status is None else "",
        )
    console.print(counts)
    breached = record.breached_rules()
    flagged = [r for r in rows if breached.get(r["partner_id"]) or r["status"] != "active" or r["released"]]
    if flagged:
        notable(console, [(record.period, r, breached.get(r["partner_id"], [])) for r in flagged[:SHOWN_ROWS]], lang)
    if len(flagged) > SHOWN_ROWS:
        console.print(f"… {len(flagged) - SHOWN_ROWS} {t('more', lang)} (scorecard.csv)")
    if record["watch"].height:
        watch(console, record, lang, limit=SHOWN_ROWS)


def watch(console: Console, record: MonthRecord, lang: str, limit: int | None = None) -> None:
    """The watch list: who one breaching month would escalate, or who is near a threshold."""
    from scorecard.report.watchlist import watch_rows

    rows = watch_rows(record, lang)
    if not rows:
        console.print(t("watch_none", lang))
        return
    table = Table(title=f"{t('watch_title', lang)} {record.period}")
    for col in ("partner_id", "rule_id", "watch_reason", "value", "threshold", "streak", "next_action"):
        table.add_column(t(col, lang), justify="right" if col in ("value", "threshold", "streak") else "left")
    for w in rows[:limit]:
        table.add_row(
            Text(w.partner_id),
            w.rule_id,
            t(f"{w.reason}_trigger", lang),
            w.value_text,
            f"{w.op} {w.threshold_text}",
            str(w.streak),
            t(w.next_action, lang),
            style="red" if w.next_action == "terminate" else "yellow",
        )
    console.print(table)
    if limit is not None and len(rows) > limit:
        console.print(f"… {len(rows) - limit} {t('more', lang)} (watch.csv)")


def notable(console: Console, rows: Sequence[tuple[object, dict[str, Any], list[str]]], lang: str) -> None:
    """Every partner-month with a breach, a hold, a termination or a release."""
    table = Table(title=t("notable", lang))
    for col in ("period", "partner_id", "breached_rules", "status", "held_out", "released", "payout"):
        table.add_column(t(col, lang), justify="right" if col in ("held_out", "released", "payout") else "left")
    for period, r, breached in rows:
        style = {"terminated": "red", "on_hold": "yellow"}.get(r["status"], "green")
        table.add_row(
            str(period),
            Text(r["partner_id"]),
            ", ".join(breached),
            t(r["status"], lang),
            money(r["held_out"]),
            money(r["released"]),
            money(r["payout"]),
            style=style,
        )
    console.print(table)


def hold_text(h: dict[str, Any], lang: str) -> str:
    """A hold in words: its kind, rule and end month."""
    if h["kind"] == "until_compliant":
        return f"{h['rule_id']}: {t('hold_until', lang)}"
    return t("hold_months_through", lang).format(ends=h["ends"], rule=h["rule_id"])


def explain(console: Console, record: MonthRecord, lang: str) -> None:
    r = record.rows("partner_results")[0]
    ruleset = record.ruleset
    console.print(
        Text(
            f"{r['partner_id']} {r['partner_name']}  {t('mode', lang)} {r['mode']}  "
            f"{t('rule_version', lang)} {record.info.ruleset_version}  {t('status', lang)}: {t(r['status'], lang)}",
            style="bold",
        )
    )
    values = partner_metrics(r)
    parts = {p["metric"]: p for p in record.rows("sub_scores")}
    metrics = Table(title=t("metrics", lang))
    for col in ("metric", "value", "sub_score", "weight"):
        metrics.add_column(t(col, lang))
    for name in get_args(MetricName):  # every metric, in the configuration's order
        p = parts.get(name)
        metrics.add_row(
            t(name, lang),
            metric_text(name, values.get(name)),
            fixed(exact(p["sub_score_num"], p["sub_score_den"]), 2) if p else "",
            fixed(exact(p["weight_num"], p["weight_den"]), 2) if p else "",
        )
    console.print(metrics)
    console.print(
        f"{t('score', lang)}: {r['score']}  {t('band', lang)} ≥ {r['band_min']} → "
        f"{t('deduction', lang)} {fixed(Decimal(r['band_pct']) * 100, 2)} %",
        markup=False,
    )
    rules = Table(title=t("rules", lang))
    for col in ("rule", "value", "threshold", "breached", "streak", "actions"):
        rules.add_column(t(col, lang))
    by_id = {rule.id: rule for rule in ruleset.rules}
    fired: dict[str, list[str]] = {}
    for a in record.rows("actions"):
        fired.setdefault(a["rule_id"], []).append(action_text(a, lang))
    for rr in record.rows("rule_results"):
        rule = by_id[rr["rule_id"]]
        value = exact(rr["value_num"], rr["value_den"])
        threshold = (
            f"{rule.op} {metric_text(rule.against or rule.metric, exact(rr['comparand_num'], rr['comparand_den']))}"
        )
        why = t("zero_base", lang) if rr["breached"] and value is None else ""
        rules.add_row(
            Text(f"{rr['rule_id']}\n{rule.description.get(lang)}"),
            metric_text(rule.metric, value) + (f" ({why})" if why else ""),
            threshold,
            t("yes", lang) if rr["breached"] else t("no", lang),
            str(rr["streak"]),
            ", ".join(fired.get(rr["rule_id"], [])),
            style="red" if rr["breached"] else "",
        )
    console.print(rules)

    money_table = Table(title=t("settlement", lang))
    money_table.add_column(t("item", lang))
    money_table.add_column(t("amount", lang), justify="right")
    for line in record.rows("money_lines"):
        money_table.add_row(line_label(line, lang), money(line["amount"]))
    money_table.add_row(t("payout", lang), money(r["payout"]), style="bold")
    for balance in ("held_in", "held_out", "receivable_out"):  # the balances behind the lines
        money_table.add_row(t(balance, lang), money(r[balance]), style="dim")
    console.print(money_table)
    corrections = record.rows("corrections")
    if corrections:
        ct = Table(title=t("disputes_applied", lang))
        for col in ("dispute_id", "disputed_period", "record", "record_id", "correction"):
            ct.add_column(t(col, lang))
        for c in corrections:
            ct.add_row(
                Text(c["dispute_id"]), c["disputed_period"], t(c["record"], lang), Text(c["record_id"]), c["correction"]
            )
        console.print(ct)
        for a in record.rows("adjustments"):
            console.print(
                Text(f"  {a['corrected_period']} {t('component_' + a['component'], lang)}: {money(a['amount'])}")
            )
    holds = record.rows("holds")
    if holds:
        console.print(Text(f"{t('holds', lang)}: " + "; ".join(hold_text(h, lang) for h in holds)))

    tickets = record["tickets"]
    late = tickets.filter(pl.col("state").is_in(["late", "pending"])).sort("received_at")
    if late.height:
        tt = Table(title=f"{t('late_pending_tickets', lang)} ({late.height})")
        for col in ("ticket_id", "received_at", "deadline", "resolved_at", "state"):
            tt.add_column(t(col, lang))
        for row in late.head(50).iter_rows(named=True):
            tt.add_row(
                Text(row["ticket_id"]),
                day_text(row["received_at"]),
                day_text(row["deadline"]),
                day_text(row["resolved_at"]) or "—",
                t(row["state"], lang),
            )
        console.print(tt)
        if late.height > 50:
            console.print(f"… {late.height - 50} {t('more', lang)}")


def action_text(a: dict[str, Any], lang: str) -> str:
    """A fired action in words, with its number of months and its deadline when it has them."""
    text = t(a["kind"], lang)
    if a["kind"] == "hold_months" and a["months"]:
        text += f" ({a['months']}: → {a['hold_end']})"
    if a["deadline"]:
        text += f" ({t('deadline', lang)} {a['deadline']})"
    return text


def line_label(line: dict[str, Any], lang: str) -> str:
    label = t(f"adj_{line['kind']}", lang)
    if line["kind"] == "refund" and line["source_id"]:
        label += f" {line['source_id']} ({money(line['base_amount'])} × {line['multiplier']})"
    elif line["kind"] == "score" and line["share"]:
        label += f" ({fixed(Decimal(line['share']) * 100, 2)} %)"
    elif line["kind"] == "fine" and line["rule_id"]:
        label += f" {line['rule_id']}"
    if line.get("uncapped") is not None:
        label += t("basis_capped", lang).format(uncapped=money(line["uncapped"]))
    return label


def partner_metrics(r: dict[str, Any]) -> dict[str, object]:
    """Every metric of a stored partner row, exact (for display)."""
    avg = exact(r["resolution_seconds"], 3600 * r["resolved_tickets"]) if r["resolved_tickets"] else None
    return {
        "valid_complaints": r["valid_complaints"],
        "repeat_complaints": r["repeat_complaints"],
        "major_complaints": r["major_complaints"],
        "complaint_rate_per_10k": exact(r["complaint_rate_num"], r["complaint_rate_den"]),
        "on_time_rate": exact(r["on_time_rate_num"], r["on_time_rate_den"]),
        "reply_on_time_rate": exact(r["reply_on_time_rate_num"], r["reply_on_time_rate_den"]),
        "avg_resolution_hours": avg,
        "p90_resolution_hours": exact(r["p90_resolution_hours_num"], r["p90_resolution_hours_den"]),
        "response_score": Decimal(r["response_score"]),
        "satisfaction": exact(r["survey_total"], 100 * r["survey_count"]) if r["survey_count"] else None,
        "refund_total": r["refund_total"],
        "service_cost": r["service_cost"],
        "gross_amount": r["gross_amount"],
    }


def history(console: Console, partner_id: str, rows: Sequence[dict[str, Any]], lang: str) -> None:
    table = Table(title=Text(f"{t('history', lang)}: {partner_id} {rows[-1]['partner_name']}"))
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
        draft = "" if r["period_status"] == "closed" else f" ({t('draft', lang)})"
        table.add_row(
            f"{r['period']}{draft}",
            str(r["valid_complaints"]),
            metric_text("complaint_rate_per_10k", exact(r["complaint_rate_num"], r["complaint_rate_den"])),
            metric_text("on_time_rate", exact(r["on_time_rate_num"], r["on_time_rate_den"])),
            str(r["score"]),
            ", ".join(r["breached_rules"]),
            t(str(r["status"]), lang),
            money(int(r["held_out"])),
            money(int(r["receivable_out"])),
            money(int(r["payout"])),
        )
    console.print(table)


def status(console: Console, st: Any, lang: str) -> None:
    table = Table(title=t("status_title", lang))
    for col in ("period", "period_status", "rule_version", "partners", "on_hold_count", "terminated_count", "payout"):
        table.add_column(t(col, lang), justify="right" if col in ("partners", "payout") else "left")
    table.add_column(t("run_by", lang))
    table.add_column(t("approved_by", lang))
    table.add_column(t("closed_by", lang))
    table.add_column(t("outputs_match", lang))
    for m in st.months:
        i = m.info
        table.add_row(
            str(i.period),
            t(i.status, lang),
            i.ruleset_version,
            str(m.partners),
            str(m.on_hold),
            str(m.terminated),
            money(m.payout),
            Text(f"{i.run_by}\n{i.run_at}"),
            Text(f"{m.approved_by}\n{m.approved_at}" if m.approved_by else ""),
            Text(f"{i.closed_by}\n{i.closed_at}" if i.closed_by else ""),
            t("yes", lang) if m.outputs is None else t("no", lang),
        )
    console.print(table)
    for m in st.months:  # said in full below the table: a reason is never cut to fit a column
        if m.outputs is not None:
            console.print(Text(f"out/{m.info.period}: {m.outputs}"), soft_wrap=True)
    if st.deposits:
        dep = Table(title=f"{t('deposits_held', lang)} ({st.as_of})")
        dep.add_column(t("partner_id", lang))
        dep.add_column(t("deposit", lang), justify="right")
        for pid, amount in sorted(st.deposits.items()):
            dep.add_row(Text(pid), money(amount))
        dep.add_row(t("total", lang), money(sum(st.deposits.values())), style="bold")
        console.print(dep)
    if not st.balances:
        console.print(t("no_balances", lang))
        return
    bal = Table(title=f"{t('balances_carried', lang)} ({st.as_of})")
    for col in ("partner_id", "partner_name", "balance_kind", "since", "held", "receivable"):
        bal.add_column(t(col, lang), justify="right" if col in ("held", "receivable") else "left")
    for b in st.balances:
        bal.add_row(
            Text(b.partner_id),
            Text(b.partner_name),
            t(b.kind, lang),
            str(b.since or ""),
            money(b.held),
            money(b.receivable),
        )
    held, receivable = sum(b.held for b in st.balances), sum(b.receivable for b in st.balances)
    bal.add_row(t("total", lang), "", "", "", money(held), money(receivable), style="bold")
    console.print(bal)


def simulation(console: Console, sim: object, lang: str, show_all: bool = False) -> None:
    from scorecard.simulate import MONEY_FIELDS, Simulation

    assert isinstance(sim, Simulation)
    table = Table(
        title=f"{t('simulation', lang)} {sim.period}: {sim.base.info.ruleset_version} → {sim.alt.info.ruleset_version}"
    )
    shown_cols = ("partner_id", "score", "band_pct", "breached_rules", "status", "score_deduction", "fine_deduction")
    for col in (*shown_cols, "held_out", "payout"):
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
            table.add_row(
                c.partner_id, "", "", "", t("only_in_simulation" if b is None else "only_in_base", lang), "", "", "", ""
            )
            continue
        table.add_row(
            c.partner_id,
            pair(b.score, a.score),
            pair(b.band_pct, a.band_pct),
            pair(", ".join(b.breached_rules), ", ".join(a.breached_rules)),
            pair(t(b.status, lang), t(a.status, lang)),
            pair(money(b.money["score_deduction"]), money(a.money["score_deduction"])),
            pair(money(b.money["fine_deduction"]), money(a.money["fine_deduction"])),
            pair(money(b.money["held_out"]), money(a.money["held_out"])),
            pair(money(b.money["payout"]), money(a.money["payout"])),
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


def events(console: Console, rows: Sequence[dict[str, Any]], lang: str, fmt: str = "table") -> None:
    """The event log (``scorecard log``): table, csv or json."""
    import csv
    import io
    import json

    keys = ("id", "at", "user", "command", "period", "reason", "detail", "hash")
    if fmt == "json":
        console.print_json(json.dumps([{k: r.get(k) for k in keys} for r in rows], ensure_ascii=False))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(keys)
        writer.writerows([[r.get(k) for k in keys] for r in rows])
        console.print(buf.getvalue(), end="", markup=False, highlight=False)
        return
    table = Table(title=t("event_log", lang))
    for col in ("event_id", "event_at", "user", "command", "period", "reason", "detail", "hash"):
        table.add_column(t(col, lang), justify="right" if col == "event_id" else "left", overflow="fold")
    for r in rows:
        detail = str(r.get("detail") or "")
        table.add_row(
            str(r["id"]),
            r["at"],
            Text(r["user"]),
            r["command"],
            r["period"],
            Text(r.get("reason") or ""),
            Text(detail if len(detail) <= 80 else detail[:77] + "..."),
            (r.get("hash") or "")[:12],
        )
    console.print(table)
