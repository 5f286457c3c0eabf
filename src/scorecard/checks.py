"""`config check`: what the schema cannot see.

Each finding names the file and the key path, like a schema error:
overlapping or gapped bands, points tables that are not monotonic, weights
that do not sum to 1, rules on metrics a mode does not have, actions that can
never fire, thresholds and points tables outside their metric's range, fines without exactly
one of amount or pct, caps and margins outside 0–1, working-day windows that reach a year the
official calendar does not cover.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import holidays

from scorecard.config import MONEY_METRICS, RATE_METRICS, Action, Config, LoadedConfig, RuleSet, Window, key_text
from scorecard.i18n import t
from scorecard.issues import Issue, Issues
from scorecard.periods import Period
from scorecard.score import SELF_SCORED
from scorecard.workdays import covered_years

# Metrics a mode does not have: C partners have no enterprise surveys.
MISSING_IN_MODE = {"C": {"satisfaction"}, "EMP": set()}

Loc = tuple[str | int, ...]


def metric_range(metric: str) -> tuple[Decimal, Decimal | None]:
    """The values a metric can take: rates 0–1, scores 0–100, counts, rates and amounts ≥ 0."""
    if metric in RATE_METRICS:
        return Decimal(0), Decimal(1)
    if metric in SELF_SCORED:
        return Decimal(0), Decimal(100)
    return Decimal(0), None


def _range_text(low: Decimal, high: Decimal | None) -> str:
    return t("range_between", low=low, high=high) if high is not None else t("range_at_least", low=low)


class _Findings:
    """Findings named by the key path as a person reads it, at the key's line in the file."""

    def __init__(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self.out = Issues()

    def _where(self, loc: Loc) -> tuple[str, int | None, str]:
        return self.loaded.source, self.loaded.line(loc), key_text(loc, self.loaded.config)

    def error(self, loc: Loc, message: str, expected: str | None = None) -> None:
        self.out.error(*self._where(loc), message, expected)

    def warning(self, loc: Loc, message: str, expected: str | None = None) -> None:
        self.out.warning(*self._where(loc), message, expected)


def _bands(i: int, rs: RuleSet, out: _Findings) -> None:
    key = ("rulesets", i, "score", "bands")
    mins = [b.min_score for b in rs.score.bands]
    for m in sorted({m for m in mins if mins.count(m) > 1}):
        out.error(key, t("bands_overlap", m=m), t("bands_overlap_expected"))
    if Decimal(0) not in mins:
        out.error(key, t("bands_gap", m=min(mins)), t("bands_gap_expected"))
    deductions = [b.deduction for b in rs.score.bands]  # sorted by min_score, highest first
    if deductions != sorted(deductions):
        out.warning(key, t("bands_inverted"), t("bands_inverted_expected"))


def _points(i: int, rs: RuleSet, out: _Findings) -> None:
    for metric, pts in rs.score.points.items():
        key: Loc = ("rulesets", i, "score", "points", metric)
        xs = [x for x, _ in pts]
        ys = [y for _, y in pts]
        if len(pts) < 2:
            out.error(key, t("points_too_few"))
            continue
        if any(b <= a for a, b in itertools.pairwise(xs)):
            out.error(key, t("points_not_increasing"), t("points_not_increasing_expected"))
        steps = [b - a for a, b in itertools.pairwise(ys)]
        if any(s > 0 for s in steps) and any(s < 0 for s in steps):
            out.error(key, t("points_not_monotonic"), t("points_not_monotonic_expected"))
        if any(not (0 <= y <= 100) for y in ys):
            out.error(key, t("points_outside"), t("points_outside_expected"))
        low, high = metric_range(metric)
        for k, x in enumerate(xs):
            if x < low or (high is not None and x > high):
                out.error(
                    (*key, k, 0),
                    t("points_x_outside", x=x, metric=metric),
                    t("metric_values", metric=metric, range=_range_text(low, high))
                    + (t("share_hint") if high == 1 else ""),
                )


def _weights(i: int, rs: RuleSet, out: _Findings) -> None:
    for mode, weights in rs.score.weights.items():
        key: Loc = ("rulesets", i, "score", "weights", mode)
        total = sum(weights.values(), Decimal(0))
        if total != 1:
            out.error(key, t("weights_sum", total=total), t("weights_sum_expected"))
        for metric in weights:
            if metric in MISSING_IN_MODE[mode]:
                out.error((*key, metric), t("mode_lacks_metric", mode=mode, metric=metric))
            if metric not in SELF_SCORED and metric not in rs.score.points:
                out.error((*key, metric), t("no_points_table"), f"score.points.{metric} = [[x, score], ...]")
    for metric, target in rs.score.fallback.items():
        if not any(target in w for w in rs.score.weights.values()):
            out.error(("rulesets", i, "score", "fallback", metric), t("fallback_no_weight", target=target))


def _threshold(key: Loc, rule_id: str, metric: str, threshold: Decimal, out: _Findings) -> None:
    low, high = metric_range(metric)
    if threshold < low or (high is not None and threshold > high):
        hint = ""
        if high == 1 and 1 < threshold <= 100:
            hint = t("did_you_mean_share", share=threshold / 100)
        out.error(
            (*key, "threshold"),
            t("threshold_outside", rule=rule_id, threshold=threshold, metric=metric, hint=hint),
            t("threshold_range", range=_range_text(low, high)) + (t("share_hint") if high == 1 else ""),
        )
    elif metric in MONEY_METRICS and threshold * 100 != int(threshold * 100):
        out.error((*key, "threshold"), t("rule_too_many_decimals", rule=rule_id), t("yuan_2_decimals"))


def _rules(i: int, rs: RuleSet, out: _Findings) -> None:
    for j, rule in enumerate(rs.rules):
        key: Loc = ("rulesets", i, "rules", j)
        for mode in rule.modes:
            for metric in (rule.metric, rule.against):
                if metric in MISSING_IN_MODE[mode]:
                    out.error((*key, "modes"), t("rule_metric_not_in_mode", rule=rule.id, metric=metric, mode=mode))
        if rule.threshold is not None:
            _threshold(key, rule.id, rule.metric, rule.threshold, out)
        terminate_at = min(
            (a.streak if a.streak is not None else a.min_streak for a in rule.actions if a.kind == "terminate"),
            default=None,
        )
        for k, action in enumerate(rule.actions):
            _fine((*key, "actions", k), action, out)
            first = action.streak if action.streak is not None else action.min_streak
            if terminate_at is not None and action.kind != "terminate" and first > terminate_at:
                out.error(
                    (*key, "actions", k),
                    t("action_after_termination", first=first, terminate_at=terminate_at),
                    t("action_after_termination_expected", terminate_at=terminate_at),
                )
            if (
                action.kind == "terminate"
                and action.streak is None
                and action.min_streak == 1
                and len(rule.actions) > 1
            ):
                out.warning((*key, "actions", k), t("terminates_at_first"))


def needed_years(period: Period, config: Config, working_days: int, covered: range) -> set[int]:
    """Calendar years a ``working_days`` window can need in ``period``, as far as they can be known.

    The deadline table starts the day before the month; the last ticket is
    received on the month's last day, and its deadline is ``working_days``
    working days later, counted on the official calendar. The walk stops at the
    first year the calendar does not cover: that year is needed, and what lies
    beyond it cannot be known. The cut-off (the month's end plus the grace
    days) is reached in any case.
    """
    first = period.start.date() - timedelta(days=1)
    cut = period.end.date() + timedelta(days=config.general.cutoff_grace_days)
    day, counted = period.end.date() - timedelta(days=1), 0
    calendars: dict[int, holidays.HolidayBase] = {}
    while counted < working_days:
        day += timedelta(days=1)
        if day.year not in covered:
            break
        cal = calendars.setdefault(day.year, holidays.China(years=day.year))
        counted += bool(cal.is_working_day(day))
    return set(range(first.year, max(day, cut).year + 1))


def _fine(key: Loc, action: Action, out: _Findings) -> None:
    """A fine is a fixed amount in yuan or a share of the gross: exactly one of the two."""
    if action.kind != "fine":
        return
    if action.amount is None and action.pct is None:
        out.error(key, t("fine_neither"), t("fine_neither_expected"))
    elif action.amount is not None and action.pct is not None:
        out.error(key, t("fine_both"), t("fine_both_expected"))
    elif action.amount is not None and action.amount * 100 != int(action.amount * 100):
        out.error((*key, "amount"), t("too_many_decimals"), t("yuan_2_decimals"))
    elif action.pct is not None and not (0 <= action.pct <= 1):
        out.error((*key, "pct"), t("outside_0_1", value=action.pct), t("share_of_gross"))


def _shares(i: int, rs: RuleSet, out: _Findings) -> None:
    """The deduction cap and the watch margin are shares: 0–1."""
    if rs.caps is not None and not (0 <= rs.caps.deduction_cap_pct <= 1):
        out.error(
            ("rulesets", i, "caps", "deduction_cap_pct"),
            t("outside_0_1", value=rs.caps.deduction_cap_pct),
            t("share_of_gross_example"),
        )
    if not (0 <= rs.watch_margin <= 1):
        out.error(("rulesets", i, "watch_margin"), t("outside_0_1", value=rs.watch_margin), t("share_of_threshold"))


def _calendar(config: Config, periods: list[Period], out: _Findings) -> None:
    windows = config.windows
    opens, closes = config.general.business_minutes
    per_day = max(closes - opens, 1)

    def days(w: Window) -> int:
        """Working days a window can span: working days as given, business hours as whole days."""
        return w.amount if w.unit == "wd" else -(-w.amount * 60 // per_day) + 1

    found: list[tuple[tuple[str, ...], Window]] = [
        (("windows", kind, cat), getattr(getattr(windows, kind), cat))
        for kind in ("completion", "reply")
        for cat in ("urgent", "normal", "difficult")
    ] + [(("windows", "stages", name, "window"), s.window) for name, s in windows.stages.items()]
    uses_workdays = [(path, w, days(w)) for path, w in found if w.unit in ("wd", "bh")]
    if not uses_workdays:
        return
    covered = covered_years()
    path, window, longest = max(uses_workdays, key=lambda x: x[2])  # the longest window reaches furthest
    missing: set[int] = set()
    for period in periods:
        missing |= needed_years(period, config, longest, covered) - set(covered)
    for year in sorted(missing):
        out.error(
            path,
            t("calendar_missing", window=window, year=year, first=covered.start, last=covered.stop - 1),
            t("calendar_missing_expected"),
        )


def check(loaded: LoadedConfig, periods: list[Period] | None = None) -> Issues:
    """Semantic findings on a schema-valid configuration."""
    config = loaded.config
    out = _Findings(loaded)
    for i, rs in enumerate(config.rulesets):
        _bands(i, rs, out)
        _points(i, rs, out)
        _weights(i, rs, out)
        _rules(i, rs, out)
        _shares(i, rs, out)
        if rs.unit_cost * 100 != int(rs.unit_cost * 100):
            out.error(("rulesets", i, "unit_cost"), t("too_many_decimals"), t("yuan_2_decimals"))
    _calendar(config, periods or sorted({rs.start for rs in config.rulesets}), out)
    return out.out


def errors_for_run(loaded: LoadedConfig, period: Period) -> list[Issue]:
    """The findings that stop a run of ``period``: no money is computed on a defective configuration."""
    return check(loaded, [period]).errors
