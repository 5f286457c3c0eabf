"""A statement as one self-contained HTML page (jinja2, autoescaped, inline SVG charts)."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from scorecard.i18n import t
from scorecard.report.chart import line_chart
from scorecard.report.statement_view import View, show


@cache
def environment() -> Environment:
    # autoescape: every value from the inputs is text, never markup
    env = Environment(loader=PackageLoader("scorecard", "templates"), autoescape=True, undefined=StrictUndefined)
    env.filters["show"] = show
    return env


def charts(view: View) -> list[tuple[str, Markup]]:
    """The complaint measure of the partner's mode and the on-time rate, each against its threshold."""
    if not view.trend:
        return []
    complaint, on_time = t(view.complaint_metric, view.lang), t("on_time_rate", view.lang)

    def count_tick(v: float) -> str:
        return f"{v:g}" if view.complaint_metric == "valid_complaints" else f"{v:.1f}"

    return [
        (complaint, line_chart([r.complaint for r in view.trend], complaint, count_tick)),
        (on_time, line_chart([r.on_time for r in view.trend], on_time, lambda v: f"{v:g}%", ceiling=100.0)),
    ]


def render_html(view: View) -> str:
    return environment().get_template("statement.html.j2").render(v=view, charts=charts(view))
