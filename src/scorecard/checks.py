"""`config check`: what the schema cannot see.

Each finding names the file and the key path, like a schema error:
overlapping or gapped bands, points tables that are not monotonic, weights
that do not sum to 1, rules on metrics a mode does not have, actions that can
never fire, fines without exactly one of amount or pct, caps and margins outside 0–1,
working-day windows on a calendar that does not cover a period.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from scorecard.config import Action, Config, LoadedConfig, RuleSet
from scorecard.issues import Issue, Issues
from scorecard.periods import Period
from scorecard.score import SELF_SCORED
from scorecard.workdays import covered_years

# Metrics a mode does not have: C partners have no enterprise surveys.
MISSING_IN_MODE = {"C": {"satisfaction"}, "EMP": set()}


def _rs_key(i: int, key: str) -> str:
    return f"rulesets[{i}].{key}"


def _bands(i: int, rs: RuleSet, source: str, out: Issues) -> None:
    mins = [b.min_score for b in rs.score.bands]
    for m in sorted({m for m in mins if mins.count(m) > 1}):
        out.error(
            source, None, _rs_key(i, "score.bands"), f"two bands start at {m}: they overlap", "one band per min_score"
        )
    if Decimal(0) not in mins:
        out.error(
            source,
            None,
            _rs_key(i, "score.bands"),
            f"scores below {min(mins)} fall in no band (a gap)",
            "a band with min_score = 0",
        )
    deductions = [b.deduction for b in rs.score.bands]  # sorted by min_score, highest first
    if deductions != sorted(deductions):
        out.warning(
            source,
            None,
            _rs_key(i, "score.bands"),
            "a higher score band deducts more than a lower one",
            "deductions that grow as the score falls",
        )


def _points(i: int, rs: RuleSet, source: str, out: Issues) -> None:
    for metric, pts in rs.score.points.items():
        key = _rs_key(i, f"score.points.{metric}")
        xs = [x for x, _ in pts]
        ys = [y for _, y in pts]
        if len(pts) < 2:
            out.error(source, None, key, "a points table needs at least two points")
            continue
        if any(b <= a for a, b in itertools.pairwise(xs)):
            out.error(source, None, key, "x values are not strictly increasing", "[[x, score], ...] sorted by x")
        steps = [b - a for a, b in itertools.pairwise(ys)]
        if any(s > 0 for s in steps) and any(s < 0 for s in steps):
            out.error(
                source,
                None,
                key,
                "the table is not monotonic: scores go up and down",
                "scores that only rise or only fall",
            )
        if any(not (0 <= y <= 100) for y in ys):
            out.error(source, None, key, "a sub-score outside 0–100", "scores between 0 and 100")


def _weights(i: int, rs: RuleSet, source: str, out: Issues) -> None:
    for mode, weights in rs.score.weights.items():
        key = _rs_key(i, f"score.weights.{mode}")
        total = sum(weights.values(), Decimal(0))
        if total != 1:
            out.error(source, None, key, f"weights sum to {total}", "weights that sum to 1")
        for metric in weights:
            if metric in MISSING_IN_MODE[mode]:
                out.error(source, None, f"{key}.{metric}", f"{mode} partners have no {metric}")
            if metric not in SELF_SCORED and metric not in rs.score.points:
                out.error(
                    source,
                    None,
                    f"{key}.{metric}",
                    "no points table for this metric",
                    f"score.points.{metric} = [[x, score], ...]",
                )
    for metric, target in rs.score.fallback.items():
        if not any(target in w for w in rs.score.weights.values()):
            out.error(source, None, _rs_key(i, f"score.fallback.{metric}"), f"{target} has no weight in any mode")


def _rules(i: int, rs: RuleSet, source: str, out: Issues) -> None:
    for j, rule in enumerate(rs.rules):
        key = _rs_key(i, f"rules[{j}]")
        for mode in rule.modes:
            for metric in (rule.metric, rule.against):
                if metric in MISSING_IN_MODE[mode]:
                    out.error(
                        source, None, f"{key}.modes", f"rule {rule.id} uses {metric}, which {mode} partners do not have"
                    )
        terminate_at = min(
            (a.streak if a.streak is not None else a.min_streak for a in rule.actions if a.kind == "terminate"),
            default=None,
        )
        for k, action in enumerate(rule.actions):
            _fine(f"{key}.actions[{k}]", action, source, out)
            first = action.streak if action.streak is not None else action.min_streak
            if terminate_at is not None and action.kind != "terminate" and first > terminate_at:
                out.error(
                    source,
                    None,
                    f"{key}.actions[{k}]",
                    f"fires at streak {first}, but the partner is terminated at streak {terminate_at}",
                    f"a streak of at most {terminate_at}",
                )
            if (
                action.kind == "terminate"
                and action.streak is None
                and action.min_streak == 1
                and len(rule.actions) > 1
            ):
                out.warning(source, None, f"{key}.actions[{k}]", "terminates at the first breach")


def _fine(key: str, action: Action, source: str, out: Issues) -> None:
    """A fine is a fixed amount in yuan or a share of the gross: exactly one of the two."""
    if action.kind != "fine":
        return
    if action.amount is None and action.pct is None:
        out.error(source, None, key, "a fine without 'amount' or 'pct'", "amount = yuan, or pct = share of the gross")
    elif action.amount is not None and action.pct is not None:
        out.error(
            source, None, key, "a fine with both 'amount' and 'pct'", "one of amount (yuan) or pct (of the gross)"
        )
    elif action.amount is not None and action.amount * 100 != int(action.amount * 100):
        out.error(source, None, f"{key}.amount", "more than 2 decimals", "yuan with at most 2 decimals")
    elif action.pct is not None and not (0 <= action.pct <= 1):
        out.error(source, None, f"{key}.pct", f"{action.pct} is outside 0–1", "a share of the gross between 0 and 1")


def _shares(i: int, rs: RuleSet, source: str, out: Issues) -> None:
    """The deduction cap and the watch margin are shares: 0–1."""
    if rs.caps is not None and not (0 <= rs.caps.deduction_cap_pct <= 1):
        out.error(
            source,
            None,
            _rs_key(i, "caps.deduction_cap_pct"),
            f"{rs.caps.deduction_cap_pct} is outside 0–1",
            "a share of the gross between 0 and 1 (0.1 = 10 %)",
        )
    if not (0 <= rs.watch_margin <= 1):
        out.error(
            source, None, _rs_key(i, "watch_margin"), f"{rs.watch_margin} is outside 0–1", "a share of the threshold"
        )


def _calendar(config: Config, source: str, periods: list[Period], out: Issues) -> None:
    windows = config.windows
    uses_workdays = [
        f"windows.{kind}.{cat}"
        for kind in ("completion", "reply")
        for cat in ("urgent", "normal", "difficult")
        if getattr(getattr(windows, kind), cat).unit == "wd"
    ]
    if not uses_workdays:
        return
    covered = covered_years()
    for period in periods:
        # a deadline can fall in the next year for a December ticket
        years = {period.year, period.next().year} if period.month == 12 else {period.year}
        for year in sorted(years - set(covered)):
            out.error(
                source,
                None,
                uses_workdays[0],
                f"working-day windows need the official calendar of {year}, which is not published in this "
                f"version of the holiday data (covers {covered.start}–{covered.stop - 1})",
                "clock-hour windows or an updated 'holidays' package",
            )


def check(loaded: LoadedConfig, periods: list[Period] | None = None) -> Issues:
    """Semantic findings on a schema-valid configuration."""
    config = loaded.config
    source = str(loaded.path) if loaded.path else "configuration"
    out = Issues()
    for i, rs in enumerate(config.rulesets):
        _bands(i, rs, source, out)
        _points(i, rs, source, out)
        _weights(i, rs, source, out)
        _rules(i, rs, source, out)
        _shares(i, rs, source, out)
        if rs.unit_cost * 100 != int(rs.unit_cost * 100):
            out.error(source, None, _rs_key(i, "unit_cost"), "more than 2 decimals", "yuan with at most 2 decimals")
    _calendar(config, source, periods or sorted({rs.start for rs in config.rulesets}), out)
    return out


def errors_for_run(loaded: LoadedConfig, period: Period) -> list[Issue]:
    """The findings that stop a run of ``period``: no money is computed on a defective configuration."""
    return check(loaded, [period]).errors
