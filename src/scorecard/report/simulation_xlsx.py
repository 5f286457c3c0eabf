"""The what-if workbook of `simulate --xlsx`: every partner, current against simulated rules."""

from __future__ import annotations

from pathlib import Path

from scorecard.i18n import t
from scorecard.report.xlsx import Book, Col, as_kind
from scorecard.simulate import MONEY_FIELDS, Simulation


def write_simulation(sim: Simulation, path: Path, lang: str) -> None:
    title = f"{t('simulation', lang)} {sim.period}: {sim.base.info.ruleset_version} → {sim.alt.info.ruleset_version}"
    book = Book(title)
    sheet = book.sheet(t("simulation", lang), title)
    cols = [Col(t("partner_id", lang)), Col(t("partner_name", lang)), Col(t("changed", lang))]
    for key, kind in (("score", "dec2"), ("band_pct", "pct"), ("breached_rules", "text"), ("status", "text")):
        cols += [
            Col(f"{t(key, lang)} · {t('base', lang)}", as_kind(kind)),
            Col(f"{t(key, lang)} · {t('simulated', lang)}", as_kind(kind)),
        ]
    for f in MONEY_FIELDS:
        cols += [
            Col(f"{t(f, lang)} · {t('base', lang)}", "money"),
            Col(f"{t(f, lang)} · {t('simulated', lang)}", "money"),
            Col(f"{t(f, lang)} · {t('difference', lang)}", "money"),
        ]
    rows = []
    for c in sim.changes:
        b, a = c.base, c.alt
        row: list[object] = [c.partner_id, c.partner_name, t("yes" if c.changed else "no", lang)]
        for get in (
            lambda r: r.score,
            lambda r: r.band_pct,
            lambda r: ", ".join(r.breached_rules),
            lambda r: t(r.status, lang),
        ):
            row += [get(b) if b else None, get(a) if a else None]
        for f in MONEY_FIELDS:
            bv = b.money[f] if b else 0
            av = a.money[f] if a else 0
            row += [bv, av, av - bv]
        rows.append(row)
    base, alt = sim.totals("base"), sim.totals("alt")
    totals: list[object] = [t("totals", lang), None, None, *([None] * 8)]
    for f in MONEY_FIELDS:
        totals += [base[f], alt[f], alt[f] - base[f]]
    sheet.table(cols, rows, totals=totals)
    sheet.finish()
    book.save(path)
