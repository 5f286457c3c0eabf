"""`simulate`: assess a month under other rules and show what would change.

The baseline is the month's stored record when it has been run (what was
recorded, whatever the configuration says today), else an assessment under
today's configuration. The alternative is an assessment of the same inputs,
on the state the month started from, under the alternative rules (a rule set
file, or ``--set`` edits); both are compared as records. The ledger is opened
read-only and never written.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scorecard.checks import errors_for_run
from scorecard.config import Config, LoadedConfig, load_config, schema_issue
from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.periods import Period
from scorecard.pipeline import assess_inputs, build_record, open_ledger, validate
from scorecard.record import MonthRecord, stored_state
from scorecard.workspace import Workspace

MONEY_FIELDS = (
    "refund_deduction",
    "score_deduction",
    "fine_deduction",
    "receivable_out",
    "held_out",
    "released",
    "payout",
)
CONFIG_KEYS = frozenset(Config.model_fields)


@dataclass(frozen=True, slots=True)
class Side:
    """One partner's outcome on one side of the comparison."""

    score: str
    band_pct: str
    breached_rules: tuple[str, ...]
    status: str
    money: dict[str, int]


@dataclass(frozen=True, slots=True)
class Change:
    partner_id: str
    partner_name: str
    base: Side | None
    alt: Side | None

    @property
    def changed(self) -> bool:
        return self.base != self.alt


@dataclass(frozen=True, slots=True)
class Simulation:
    period: Period
    base: MonthRecord
    alt: MonthRecord
    changes: list[Change]

    def totals(self, which: str) -> dict[str, int]:
        rec = self.base if which == "base" else self.alt
        all_totals = rec.totals()
        return {f: all_totals[f] for f in MONEY_FIELDS}


def sides(record: MonthRecord) -> dict[str, tuple[str, Side]]:
    breached = record.breached_rules()
    return {
        r["partner_id"]: (
            r["partner_name"],
            Side(
                r["score"],
                r["band_pct"],
                tuple(breached.get(r["partner_id"], [])),
                r["status"],
                {f: r[f] for f in MONEY_FIELDS},
            ),
        )
        for r in record["partner_results"].iter_rows(named=True)
    }


def _value(text: str) -> object:
    """A --set value as TOML (4, 0.05, "x", [..]); bare words are strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _step(node: Any, part: str, path: str) -> tuple[Any, Any]:
    """Resolve one path segment: a key, [index], or a rule id in a list of rules."""
    if isinstance(node, list):
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            index = int(part[1:-1])
            if index < len(node):
                return node, index
        for i, item in enumerate(node):
            if isinstance(item, dict) and item.get("id") == part:
                return node, i
        raise InputError([Issue("--set", None, path, t("set_no_item", part=repr(part)), t("set_no_item_expected"))])
    if isinstance(node, dict):
        return node, part
    raise InputError([Issue("--set", None, path, t("set_cannot_go_into", part=repr(part)))])


def apply_set(data: dict[str, Any], assignment: str) -> None:
    """Apply ``path=value`` to a configuration dict, e.g. ``rules.c-complaint-rate.threshold=4``.

    Paths that do not start with a top-level configuration key address the
    rule set in effect for the period (``data["rulesets"][0]`` here).
    """
    path, sep, raw = assignment.partition("=")
    if not sep or not path.strip():
        raise InputError([Issue("--set", None, assignment, t("set_not_assignment"), "path=value")])
    parts = [p for p in path.strip().replace("[", ".[").split(".") if p]
    node: Any = data if parts[0] in CONFIG_KEYS else data["rulesets"][0]
    for part in parts[:-1]:
        parent, key = _step(node, part, path)
        node = parent[key]
    parent, key = _step(node, parts[-1], path)
    parent[key] = _value(raw.strip())  # a key the models do not know is refused when validated


def alternative(config: LoadedConfig, period: Period, rules_file: Path | None, sets: list[str]) -> LoadedConfig:
    """The configuration with the alternative rule set as the only one, effective for ``period``."""
    data = config.config.model_dump(mode="json")
    if rules_file is not None:
        try:
            ruleset = tomllib.loads(rules_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError([Issue(str(rules_file), None, None, t("rules_file_unreadable", why=exc))]) from None
        ruleset = ruleset["rulesets"][-1] if "rulesets" in ruleset else ruleset
    else:
        ruleset = config.config.ruleset_for(period).model_dump(mode="json")
    ruleset["effective_from"] = str(period)
    ruleset["version"] = f"{ruleset.get('version', 'rules')}+" + ("what-if" if sets else "file")
    data["rulesets"] = [ruleset]
    for assignment in sets:
        apply_set(data, assignment)
    source = str(rules_file) if rules_file else "--set"
    try:
        alt = LoadedConfig(Config.model_validate(data), rules_file, repr(data).encode())
    except ValidationError as exc:
        raise InputError([schema_issue(e, data, source, {}) for e in exc.errors()], "bad rule set") from None
    # the checks a run makes: a threshold of 75 on a rate is refused here too, not simulated
    defects = errors_for_run(alt, period)
    if defects:
        raise InputError([replace(i, source=source) for i in defects], "bad rule set")
    return alt


def simulate(
    ws: Workspace, period: Period, rules_file: Path | None = None, sets: list[str] | None = None
) -> Simulation:
    if rules_file is None and not sets:
        raise InputError(
            [
                Issue(
                    "simulate",
                    None,
                    None,
                    t("simulate_no_change"),
                    t("simulate_no_change_expected"),
                )
            ],
            "nothing to simulate",
        )
    config = load_config(ws.config)
    alt_config = alternative(config, period, rules_file, sets or [])
    ledger = open_ledger(ws)
    previous = {}
    stored: MonthRecord | None = None
    if ledger is not None:
        with ledger:
            before = period.prev()
            if ledger.period(before) is not None:
                previous = stored_state(ledger.record(before))
            if ledger.period(period) is not None:
                stored = ledger.record(period)
    inputs = validate(ws, period, config)
    base = stored or build_record(assess_inputs(inputs, config, previous), 0, "simulation")
    alt = build_record(assess_inputs(inputs, alt_config, previous), 0, "simulation")
    by_base, by_alt = sides(base), sides(alt)
    changes = [
        Change(
            pid,
            (by_base.get(pid) or by_alt[pid])[0],
            by_base[pid][1] if pid in by_base else None,
            by_alt[pid][1] if pid in by_alt else None,
        )
        for pid in sorted(by_base.keys() | by_alt.keys())
    ]
    return Simulation(period, base, alt, changes)
