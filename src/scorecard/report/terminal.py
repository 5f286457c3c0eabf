"""Terminal views: run summary, explain, history, status, simulate, watch, issues; each as a table
(fitted to a terminal, plain in a pipe: report/tables.py) or as CSV / JSON data (docs/terminal.md)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, get_args

import polars as pl
from rich.console import Console
from rich.text import Text

from scorecard.config import MONEY_METRICS, RATE_METRICS, MetricName
from scorecard.i18n import speaking, t, tn
from scorecard.issues import Issue, grouped
from scorecard.money import format_fen
from scorecard.record import MonthRecord, day_text, exact
from scorecard.report.csvfiles import CSV_MONEY, CSV_MONEY_LATER
from scorecard.report.formats import fixed, share
from scorecard.report.shown import visible
from scorecard.report.tables import Column, Grid, Kind, Rows, emit, show


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


SHOWN_ROWS = 40  # the terminal lists this many partners; scorecard.csv (and --format csv/json) has them all
SUMMARY_MONEY = ("gross_amount", "score_deduction", "held_out", "released", "payout")


def _opt(text: str) -> str | None:
    return text or None


def scorecard_fields(period: object, r: dict[str, Any], breached: Sequence[str], version: str) -> dict[str, object]:
    """A stored partner row as scorecard.csv writes it (same names, same text; counts as integers,
    money as yuan text with 2 decimals, an empty value as None, breached_rules as a list), for the
    views' --format csv and json."""
    avg = exact(r["resolution_seconds"], 3600 * r["resolved_tickets"]) if r["resolved_tickets"] else None
    return {
        "period": str(period),
        "partner_id": r["partner_id"],
        "partner_name": r["partner_name"],
        "mode": r["mode"],
        "valid_complaints": r["valid_complaints"],
        "billed_users": r["billed_users"],
        "group_customers": r["group_customers"],
        "complaint_rate_per_10k": _opt(fixed(exact(r["complaint_rate_num"], r["complaint_rate_den"]), 4)),
        "on_time_rate": _opt(fixed(exact(r["on_time_rate_num"], r["on_time_rate_den"]), 4)),
        "response_score": fixed(Decimal(r["response_score"]), 2),
        "satisfaction": _opt(
            fixed(exact(r["survey_total"], 100 * r["survey_count"]) if r["survey_count"] else None, 2)
        ),
        "score": fixed(Decimal(r["score"]), 2),
        "band_pct": share(Decimal(r["band_pct"])),
        "breached_rules": list(breached),
        "status": r["status"],
        **{f: money(r[f]) for f in (*CSV_MONEY, *CSV_MONEY_LATER)},
        "repeat_complaints": r["repeat_complaints"],
        "major_complaints": r["major_complaints"],
        "late_tickets": r["late_tickets"],
        "pending_tickets": r["pending_tickets"],
        "reply_on_time_rate": _opt(fixed(exact(r["reply_on_time_rate_num"], r["reply_on_time_rate_den"]), 4)),
        "avg_resolution_hours": _opt(fixed(avg, 2)),
        "p90_resolution_hours": _opt(fixed(exact(r["p90_resolution_hours_num"], r["p90_resolution_hours_den"]), 2)),
        "conduct_events": r["conduct_events"],
        "rule_version": version,
    }


def _columns(lang: str, *spec: tuple[str, Kind]) -> list[Column]:
    return [Column(key, t(key, lang), kind) for key, kind in spec]


def run_summary(console: Console, record: MonthRecord, lang: str, fmt: str = "table") -> None:
    """Counts and totals of the month, then the partners that need a look (breach, hold, release)."""
    # sums and the flagged partners in polars; only the rows shown become Python dicts
    frame = record["partner_results"]
    counts = Grid(
        t("run_summary", lang),
        _columns(lang, ("status", "text"), ("partners", "num"), *((f, "num") for f in SUMMARY_MONEY)),
    )
    count_rows: Rows = []
    for status in ("active", "on_hold", "terminated", None):
        rs = frame if status is None else frame.filter(pl.col("status") == status)
        sums = {
            f: money(int(v))
            for f, v in zip(SUMMARY_MONEY, rs.select(pl.col(f).sum() for f in SUMMARY_MONEY).row(0), strict=True)
        }
        count_rows.append({"period": str(record.period), "status": status or "total", "partners": rs.height, **sums})
        counts.add(
            t(status, lang) if status else t("totals", lang),
            str(rs.height),
            *sums.values(),
            style="bold" if status is None else "",
        )
    breached = record.breached_rules()
    hit = pl.Series(list(breached), dtype=pl.String).implode()
    flagged = frame.filter(pl.col("partner_id").is_in(hit) | (pl.col("status") != "active") | (pl.col("released") != 0))
    if fmt != "table":
        from scorecard.report.watchlist import watch_rows

        every = [(record.period, r, breached.get(r["partner_id"], [])) for r in flagged.to_dicts()]
        sections: dict[str, Rows] = {"totals": count_rows, "notable": notable_data(every)}
        sections["watch"] = [watch_data(w) for w in watch_rows(record, lang)]
        emit(console, sections, fmt)
        return
    show(console, counts)
    if flagged.height:
        shown = flagged.head(SHOWN_ROWS).to_dicts()
        notable(console, [(record.period, r, breached.get(r["partner_id"], [])) for r in shown], lang)
    if flagged.height > SHOWN_ROWS:
        console.print(f"… {flagged.height - SHOWN_ROWS} {t('more', lang)} (scorecard.csv)")
    if record["watch"].height:
        watch(console, record, lang, limit=SHOWN_ROWS)


def watch_data(w: Any) -> dict[str, object]:
    """A watch row with watch.csv's fields and text."""
    return {
        "period": w.period,
        "partner_id": w.partner_id,
        "partner_name": w.partner_name,
        "rule_id": w.rule_id,
        "reason": w.reason,
        "metric": w.metric,
        "op": w.op,
        "value": w.value_text,
        "threshold": w.threshold_text,
        "streak": w.streak,
        "next_streak": w.next_streak,
        "next_action": w.next_action,
        "target": w.target,
    }


def watch(console: Console, record: MonthRecord, lang: str, limit: int | None = None, fmt: str = "table") -> None:
    """The watch list: who one breaching month would escalate, or who is near a threshold."""
    from scorecard.report.watchlist import watch_rows

    rows = watch_rows(record, lang)
    if fmt != "table":
        from scorecard.report.watchlist import WATCH_COLUMNS

        emit(console, {"watch": [watch_data(w) for w in rows]}, fmt, WATCH_COLUMNS)
        return
    if not rows:
        console.print(t("watch_none", lang))
        return
    table = Grid(
        f"{t('watch_title', lang)} {record.period}",
        _columns(
            lang,
            ("partner_id", "id"),
            ("rule_id", "id"),
            ("watch_reason", "text"),
            ("value", "num"),
            ("threshold", "num"),
            ("streak", "num"),
            ("next_action", "text"),
        ),
    )
    for w in rows[:limit]:
        table.add(
            w.partner_id,
            w.rule_id,
            t(f"{w.reason}_trigger", lang),
            w.value_text,
            f"{w.op} {w.threshold_text}",
            str(w.streak),
            t(w.next_action, lang),
            style="red" if w.next_action == "terminate" else "yellow",
        )
    show(console, table)
    if limit is not None and len(rows) > limit:
        console.print(f"… {len(rows) - limit} {t('more', lang)} (watch.csv)")


def notable_data(rows: Sequence[tuple[object, dict[str, Any], list[str]]]) -> Rows:
    return [
        {
            "period": str(period),
            "partner_id": r["partner_id"],
            "partner_name": r["partner_name"],
            "breached_rules": list(breached),
            "status": r["status"],
            "held_out": money(r["held_out"]),
            "released": money(r["released"]),
            "payout": money(r["payout"]),
        }
        for period, r, breached in rows
    ]


def notable(console: Console, rows: Sequence[tuple[object, dict[str, Any], list[str]]], lang: str) -> None:
    """Every partner-month with a breach, a hold, a termination or a release."""
    table = Grid(
        t("notable", lang),
        _columns(
            lang,
            ("period", "id"),
            ("partner_id", "id"),
            ("breached_rules", "text"),
            ("status", "text"),
            ("held_out", "num"),
            ("released", "num"),
            ("payout", "num"),
        ),
    )
    for period, r, breached in rows:
        style = {"terminated": "red", "on_hold": "yellow"}.get(r["status"], "green")
        table.add(
            str(period),
            r["partner_id"],
            ", ".join(breached),
            t(r["status"], lang),
            money(r["held_out"]),
            money(r["released"]),
            money(r["payout"]),
            style=style,
        )
    show(console, table)


def hold_text(h: dict[str, Any], lang: str) -> str:
    """A hold in words: its kind, rule and end month."""
    if h["kind"] == "until_compliant":
        return f"{h['rule_id']}: {t('hold_until', lang)}"
    return t("hold_months_through", lang).format(ends=h["ends"], rule=h["rule_id"])


def metric_data(metric: str, value: object) -> object:
    """A metric's value for --format csv/json: as scorecard.csv writes it (counts as integers)."""
    if value is None:
        return None
    if metric in MONEY_METRICS:
        return money(int(value))  # type: ignore[call-overload]
    if metric in COUNT_METRICS:
        return int(value)  # type: ignore[call-overload]
    places = 4 if metric in RATE_METRICS or metric == "complaint_rate_per_10k" else 2
    return fixed(value, places)  # type: ignore[arg-type]


def explain(console: Console, record: MonthRecord, lang: str, fmt: str = "table") -> None:
    r = record.rows("partner_results")[0]
    ruleset = record.ruleset
    values = partner_metrics(r)
    parts = {p["metric"]: p for p in record.rows("sub_scores")}
    late = record["tickets"].filter(pl.col("state").is_in(["late", "pending"])).sort("received_at")
    if fmt != "table":
        emit(console, explain_data(record, values, parts, late, lang), fmt)
        return
    by_id = {rule.id: rule for rule in ruleset.rules}
    fired: dict[str, list[str]] = {}
    for a in record.rows("actions"):
        fired.setdefault(a["rule_id"], []).append(action_text(a, lang))
    console.print(
        Text(
            f"{r['partner_id']} {r['partner_name']}  {t('mode', lang)} {r['mode']}  "
            f"{t('rule_version', lang)} {record.info.ruleset_version}  {t('status', lang)}: {t(r['status'], lang)}",
            style="bold",
        ),
        soft_wrap=not console.is_terminal,
    )
    metrics = Grid(
        t("metrics", lang),
        _columns(lang, ("metric", "text"), ("value", "num"), ("sub_score", "num"), ("weight", "num")),
    )
    for name in get_args(MetricName):  # every metric, in the configuration's order
        p = parts.get(name)
        metrics.add(
            t(name, lang),
            metric_text(name, values.get(name)),
            fixed(exact(p["sub_score_num"], p["sub_score_den"]), 2) if p else "",
            fixed(exact(p["weight_num"], p["weight_den"]), 2) if p else "",
        )
    show(console, metrics)
    console.print(
        f"{t('score', lang)}: {r['score']}  {t('band', lang)} ≥ {r['band_min']} → "
        f"{t('deduction', lang)} {fixed(Decimal(r['band_pct']) * 100, 2)} %",
        markup=False,
    )
    rules = Grid(
        t("rules", lang),
        _columns(
            lang,
            ("rule", "text"),
            ("value", "text"),
            ("threshold", "text"),
            ("breached", "text"),
            ("streak", "num"),
            ("actions", "text"),
        ),
    )
    for rr in record.rows("rule_results"):
        rule = by_id[rr["rule_id"]]
        value = exact(rr["value_num"], rr["value_den"])
        threshold = (
            f"{rule.op} {metric_text(rule.against or rule.metric, exact(rr['comparand_num'], rr['comparand_den']))}"
        )
        why = t("zero_base", lang) if rr["breached"] and value is None else ""
        rules.add(
            f"{rr['rule_id']}\n{rule.description.get(lang)}",
            metric_text(rule.metric, value) + (f" ({why})" if why else ""),
            threshold,
            t("yes", lang) if rr["breached"] else t("no", lang),
            str(rr["streak"]),
            ", ".join(fired.get(rr["rule_id"], [])),
            style="red" if rr["breached"] else "",
        )
    show(console, rules)

    money_table = Grid(t("settlement", lang), _columns(lang, ("item", "text"), ("amount", "num")))
    for line in record.rows("money_lines"):
        money_table.add(line_label(line, lang), money(line["amount"]))
    money_table.add(t("payout", lang), money(r["payout"]), style="bold")
    for balance in ("held_in", "held_out", "receivable_out"):  # the balances behind the lines
        money_table.add(t(balance, lang), money(r[balance]), style="dim")
    show(console, money_table)
    corrections = record.rows("corrections")
    if corrections:
        ct = Grid(
            t("disputes_applied", lang),
            _columns(
                lang,
                ("dispute_id", "id"),
                ("disputed_period", "id"),
                ("record", "text"),
                ("record_id", "id"),
                ("correction", "text"),
            ),
        )
        for c in corrections:
            ct.add(c["dispute_id"], c["disputed_period"], t(c["record"], lang), c["record_id"], c["correction"])
        show(console, ct)
        for a in record.rows("adjustments"):
            console.print(
                Text(f"  {a['corrected_period']} {t('component_' + a['component'], lang)}: {money(a['amount'])}"),
                soft_wrap=not console.is_terminal,
            )
    holds = record.rows("holds")
    if holds:
        console.print(
            Text(f"{t('holds', lang)}: " + "; ".join(hold_text(h, lang) for h in holds)),
            soft_wrap=not console.is_terminal,
        )

    if late.height:
        tt = Grid(
            f"{t('late_pending_tickets', lang)} ({late.height})",
            _columns(
                lang,
                ("ticket_id", "id"),
                ("received_at", "id"),
                ("deadline", "id"),
                ("resolved_at", "id"),
                ("state", "text"),
            ),
        )
        for row in late.head(50).iter_rows(named=True):
            tt.add(
                row["ticket_id"],
                day_text(row["received_at"]),
                day_text(row["deadline"]),
                day_text(row["resolved_at"]) or "—",
                t(row["state"], lang),
            )
        show(console, tt)
        if late.height > 50:
            console.print(f"… {late.height - 50} {t('more', lang)}")


def explain_data(
    record: MonthRecord, values: dict[str, object], parts: dict[str, dict[str, Any]], late: pl.DataFrame, lang: str
) -> dict[str, Rows]:
    """Everything explain shows, as tables of fields (scorecard.csv's names for the partner row)."""
    r = record.rows("partner_results")[0]
    by_id = {rule.id: rule for rule in record.ruleset.rules}
    fired: dict[str, list[str]] = {}
    for a in record.rows("actions"):
        fired.setdefault(a["rule_id"], []).append(a["kind"])
    partner = scorecard_fields(
        record.period, r, record.breached_rules().get(r["partner_id"], []), record.info.ruleset_version
    )
    partner["band_min"] = str(r["band_min"])
    return {
        "partner": [partner],
        "metrics": [
            {
                "metric": name,
                "value": metric_data(name, values.get(name)),
                "sub_score": fixed(exact(p["sub_score_num"], p["sub_score_den"]), 2) if p else None,
                "weight": fixed(exact(p["weight_num"], p["weight_den"]), 2) if p else None,
            }
            for name in get_args(MetricName)
            for p in [parts.get(name)]
        ],
        "rules": [
            {
                "rule_id": rr["rule_id"],
                "description": by_id[rr["rule_id"]].description.get(lang),
                "metric": rr["metric"],
                "op": rr["op"],
                "value": metric_data(rr["metric"], exact(rr["value_num"], rr["value_den"])),
                "threshold": metric_data(
                    by_id[rr["rule_id"]].against or rr["metric"], exact(rr["comparand_num"], rr["comparand_den"])
                ),
                "zero_base": bool(rr["zero_base"]),
                "breached": bool(rr["breached"]),
                "streak": rr["streak"],
                "actions": fired.get(rr["rule_id"], []),
            }
            for rr in record.rows("rule_results")
        ],
        "actions": [
            {
                "rule_id": a["rule_id"],
                "kind": a["kind"],
                "streak": a["streak"],
                "months": a["months"],
                "hold_end": a["hold_end"],
                "deadline": str(a["deadline"]) if a["deadline"] else None,
            }
            for a in record.rows("actions")
        ],
        "money_lines": [
            {
                "kind": line["kind"],
                "amount": money(line["amount"]),
                "rule_id": line["rule_id"],
                "source_id": line["source_id"],
                "refund_kind": line["refund_kind"],
                "base_amount": None if line["base_amount"] is None else money(line["base_amount"]),
                "multiplier": line["multiplier"],
                "share": line["share"],
                "uncapped": None if line.get("uncapped") is None else money(line["uncapped"]),
            }
            for line in record.rows("money_lines")
        ],
        "holds": [
            {"rule_id": h["rule_id"], "kind": h["kind"], "started": h["started"], "ends": h["ends"]}
            for h in record.rows("holds")
        ],
        "corrections": [
            {k: c[k] for k in ("dispute_id", "disputed_period", "record", "record_id", "correction")}
            for c in record.rows("corrections")
        ],
        "adjustments": [
            {"corrected_period": a["corrected_period"], "component": a["component"], "amount": money(a["amount"])}
            for a in record.rows("adjustments")
        ],
        "tickets": [
            {
                "ticket_id": row["ticket_id"],
                "received_at": day_text(row["received_at"]),
                "deadline": day_text(row["deadline"]) or None,
                "resolved_at": day_text(row["resolved_at"]) or None,
                "state": row["state"],
            }
            for row in late.iter_rows(named=True)
        ],
    }


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


def history(console: Console, partner_id: str, rows: Sequence[dict[str, Any]], lang: str, fmt: str = "table") -> None:
    if fmt != "table":
        data = [
            {"period_status": r["period_status"]}
            | scorecard_fields(r["period"], r, r["breached_rules"], r["ruleset_version"])
            for r in rows
        ]
        emit(console, {"history": [{"period": d["period"]} | d for d in data]}, fmt)
        return
    table = Grid(
        Text(f"{t('history', lang)}: {partner_id} {rows[-1]['partner_name']}"),
        _columns(
            lang,
            ("period", "text"),
            ("valid_complaints", "num"),
            ("complaint_rate_per_10k", "num"),
            ("on_time_rate", "num"),
            ("score", "num"),
            ("breached_rules", "text"),
            ("status", "text"),
            ("held_out", "num"),
            ("receivable_out", "num"),
            ("payout", "num"),
        ),
    )
    for r in rows:
        draft = "" if r["period_status"] == "closed" else f" ({t('draft', lang)})"
        table.add(
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
    show(console, table)


def status_data(st: Any) -> dict[str, Rows]:
    return {
        "months": [
            {
                "period": str(m.info.period),
                "period_status": m.info.status,
                "rule_version": m.info.ruleset_version,
                "partners": m.partners,
                "on_hold": m.on_hold,
                "terminated": m.terminated,
                "payout": money(m.payout),
                "run_by": m.info.run_by,
                "run_at": m.info.run_at,
                "approved_by": m.approved_by,
                "approved_at": m.approved_at,
                "closed_by": m.info.closed_by,
                "closed_at": m.info.closed_at,
                "outputs_match": m.outputs is None,
                "outputs_problem": m.outputs,
            }
            for m in st.months
        ],
        "deposits": [{"partner_id": pid, "deposit": money(amount)} for pid, amount in sorted(st.deposits.items())],
        "balances": [
            {
                "partner_id": b.partner_id,
                "partner_name": b.partner_name,
                "kind": b.kind,
                "since": str(b.since) if b.since else None,
                "held": money(b.held),
                "receivable": money(b.receivable),
            }
            for b in st.balances
        ],
    }


def status(console: Console, st: Any, lang: str, fmt: str = "table") -> None:
    if fmt != "table":
        emit(console, status_data(st), fmt)
        return
    table = Grid(
        t("status_title", lang),
        _columns(
            lang,
            ("period", "id"),
            ("period_status", "text"),
            ("rule_version", "id"),
            ("partners", "num"),
            ("on_hold_count", "num"),
            ("terminated_count", "num"),
            ("payout", "num"),
            ("run_by", "id"),  # who, then when on a line of its own: a timestamp is never broken
            ("approved_by", "id"),
            ("closed_by", "id"),
            ("outputs_match", "text"),
        ),
    )
    for m in st.months:
        i = m.info
        table.add(
            str(i.period),
            t(i.status, lang),
            i.ruleset_version,
            str(m.partners),
            str(m.on_hold),
            str(m.terminated),
            money(m.payout),
            f"{i.run_by}\n{i.run_at}",
            f"{m.approved_by}\n{m.approved_at}" if m.approved_by else "",
            f"{i.closed_by}\n{i.closed_at}" if i.closed_by else "",
            t("yes", lang) if m.outputs is None else t("no", lang),
        )
    show(console, table)
    for m in st.months:  # why out/P does not match, in full: a path is never cut to fit a column
        if m.outputs is not None:
            console.print(Text(f"out/{m.info.period}: {m.outputs}"), soft_wrap=True)
    if st.deposits:
        dep = Grid(f"{t('deposits_held', lang)} ({st.as_of})", _columns(lang, ("partner_id", "id"), ("deposit", "num")))
        for pid, amount in sorted(st.deposits.items()):
            dep.add(pid, money(amount))
        dep.add(t("total", lang), money(sum(st.deposits.values())), style="bold")
        show(console, dep)
    if not st.balances:
        console.print(t("no_balances", lang))
        return
    bal = Grid(
        f"{t('balances_carried', lang)} ({st.as_of})",
        _columns(
            lang,
            ("partner_id", "id"),
            ("partner_name", "text"),
            ("balance_kind", "text"),
            ("since", "id"),
            ("held", "num"),
            ("receivable", "num"),
        ),
    )
    for b in st.balances:
        bal.add(b.partner_id, b.partner_name, t(b.kind, lang), str(b.since or ""), money(b.held), money(b.receivable))
    held, receivable = sum(b.held for b in st.balances), sum(b.receivable for b in st.balances)
    bal.add(t("total", lang), "", "", "", money(held), money(receivable), style="bold")
    show(console, bal)


def simulation_data(sim: Any) -> dict[str, Rows]:
    from scorecard.simulate import MONEY_FIELDS

    base, alt = sim.totals("base"), sim.totals("alt")
    changes: Rows = []
    for c in sim.changes:
        for side, s, version in (
            ("base", c.base, sim.base.info.ruleset_version),
            ("simulated", c.alt, sim.alt.info.ruleset_version),
        ):
            if s is None:
                continue
            changes.append(
                {
                    "period": str(sim.period),
                    "partner_id": c.partner_id,
                    "partner_name": c.partner_name,
                    "side": side,
                    "changed": c.changed,
                    "rule_version": version,
                    "score": fixed(Decimal(s.score), 2),
                    "band_pct": share(Decimal(s.band_pct)),
                    "breached_rules": list(s.breached_rules),
                    "status": s.status,
                    **{f: money(s.money[f]) for f in MONEY_FIELDS},
                }
            )
    totals: Rows = [
        {"item": f, "base": money(base[f]), "simulated": money(alt[f]), "difference": money(alt[f] - base[f])}
        for f in MONEY_FIELDS
    ]
    return {"changes": changes, "totals": totals}


def simulation(console: Console, sim: object, lang: str, show_all: bool = False, fmt: str = "table") -> None:
    from scorecard.simulate import MONEY_FIELDS, Simulation

    assert isinstance(sim, Simulation)
    if fmt != "table":
        data = simulation_data(sim)
        if not show_all:
            data["changes"] = [row for row in data["changes"] if row["changed"]]
        emit(console, data, fmt)
        return
    table = Grid(
        f"{t('simulation', lang)} {sim.period}: {sim.base.info.ruleset_version} → {sim.alt.info.ruleset_version}",
        _columns(
            lang,
            ("partner_id", "id"),
            ("score", "text"),
            ("band_pct", "text"),
            ("breached_rules", "text"),
            ("status", "text"),
            ("score_deduction", "text"),
            ("fine_deduction", "text"),
            ("held_out", "text"),
            ("payout", "text"),
        ),
    )

    def pair(a: object, b: object) -> Text:
        # the two sides break only at the arrow's spaces (or a text's own), never inside a number
        return Text(str(a)) if a == b else Text.assemble(f"{a} → ", (str(b), "bold"))

    shown = 0
    for c in sim.changes:
        if not (show_all or c.changed):
            continue
        shown += 1
        b, a = c.base, c.alt
        if b is None or a is None:
            table.add(
                c.partner_id, "", "", "", t("only_in_simulation" if b is None else "only_in_base", lang), "", "", "", ""
            )
            continue
        table.add(
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
    show(console, table)
    base, alt = sim.totals("base"), sim.totals("alt")
    totals = Grid(
        t("totals", lang),
        _columns(lang, ("item", "text"), ("base", "num"), ("simulated", "num"), ("difference", "num")),
    )
    for f in MONEY_FIELDS:
        totals.add(t(f, lang), money(base[f]), money(alt[f]), money(alt[f] - base[f]))
    show(console, totals)
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
    table = Grid(
        t("event_log", lang),
        _columns(
            lang,
            ("event_id", "num"),
            ("event_at", "id"),
            ("user", "text"),
            ("command", "text"),
            ("period", "id"),
            ("reason", "text"),
            ("detail", "text"),
            ("hash", "id"),
        ),
    )
    for r in rows:
        detail = str(r.get("detail") or "")
        table.add(
            str(r["id"]),
            r["at"],
            r["user"],
            r["command"],
            r["period"] or "",
            r.get("reason") or "",
            detail if len(detail) <= 80 else detail[:77] + "...",  # in full with --format json
            (r.get("hash") or "")[:12],
        )
    show(console, table)


def disputes(console: Console, rows: Sequence[Any], lang: str) -> None:
    """The dispute register (``scorecard dispute list``) as a table."""
    if not rows:
        console.print(t("no_disputes", lang))
        return
    table = Grid(
        "",
        _columns(
            lang,
            ("dispute_id", "id"),
            ("partner_id", "id"),
            ("period", "id"),
            ("dispute_record", "text"),
            ("record_id", "id"),
            ("correction", "text"),
            ("dispute_status", "text"),
            ("filed_by", "text"),
            ("decided_by", "text"),
            ("note", "text"),
        ),
    )
    for d in rows:
        table.add(
            d.dispute_id,
            d.partner_id,
            str(d.period),
            t("record_" + d.record, lang),
            d.record_id,
            d.correction,
            t("dispute_" + d.status, lang) + (f" ({t('dispute_late', lang)})" if d.late else ""),
            d.filed_by,
            d.decided_by or "",
            d.note or "",
        )
    show(console, table)
