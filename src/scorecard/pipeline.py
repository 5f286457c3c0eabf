"""The orchestrator: load → validate → metrics → rules/score → settle → ledger → report.

Each stage lives in its own module; this file only wires them, like
beancount's ``loader.py``. Everything the CLI does is a function here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from scorecard import __version__
from scorecard.assess import PartnerResult, assess
from scorecard.checks import errors_for_run
from scorecard.config import LoadedConfig, RuleSet, load_config
from scorecard.inputs.load import LoadSettings, PeriodInputs, load_period
from scorecard.issues import InputError, Issue
from scorecard.ledger import Ledger, LedgerError
from scorecard.ledger.health import start_new_ledger
from scorecard.ledger.record import RunMeta, record_period
from scorecard.metrics import PartnerMetrics, compute, ticket_counts, ticket_status
from scorecard.periods import Period
from scorecard.report.csvfiles import notices_csv, scorecard_csv
from scorecard.settle import MONEY_FIELDS
from scorecard.state import PartnerState
from scorecard.workspace import Workspace, fsync_write, staged_dir

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Assessment:
    """One period assessed in memory (not yet recorded)."""

    period: Period
    config: LoadedConfig
    ruleset: RuleSet
    inputs: PeriodInputs
    metrics: list[PartnerMetrics]
    results: list[PartnerResult]
    states: dict[str, PartnerState]
    tickets: pl.LazyFrame  # valid tickets with deadline and state (on_time/late/pending)

    @property
    def warnings(self) -> list[Issue]:
        return self.inputs.issues.warnings


@dataclass(frozen=True, slots=True)
class RunOutcome:
    assessment: Assessment
    out_dir: Path
    manifest: dict[str, object]


def settings_for(config: LoadedConfig, excluded: dict[str, str]) -> LoadSettings:
    c = config.config
    return LoadSettings(
        columns={table: dict(mapping) for table, mapping in c.columns.items()},
        event_types=frozenset(c.response.deductions),
        excluded_partners=excluded,
        max_errors=c.general.max_errors,
        max_sheet_cells=c.general.max_sheet_cells,
        timezone=c.general.timezone,
    )


def open_ledger(ws: Workspace) -> Ledger | None:
    """The ledger, read-only, if the workspace has one: reading never creates or changes it."""
    return Ledger(ws.db, readonly=True) if ws.db.exists() else None


def validate(ws: Workspace, period: Period, config: LoadedConfig | None = None) -> PeriodInputs:
    """Load and check a period's inputs; raises InputError listing every problem."""
    config = config or load_config(ws.config)
    ledger = open_ledger(ws)
    excluded = ledger.excluded_partners(period) if ledger else {}
    if ledger:
        ledger.close()
    folder = ws.inputs_for(period)
    if not folder.is_dir():
        raise InputError([Issue(str(folder), None, None, "no input folder for this period", f"a folder {folder}")])
    inputs = load_period(folder, period, settings_for(config, excluded))
    if inputs.issues.has_errors:
        raise InputError(inputs.issues, f"{len(inputs.issues.errors)} input errors")
    return inputs


def assess_period(
    ws: Workspace,
    period: Period,
    config: LoadedConfig,
    previous: dict[str, PartnerState],
    progress: Progress = _quiet,
) -> Assessment:
    """Everything up to (not including) the ledger and the outputs."""
    defects = errors_for_run(config, period)
    if defects:
        raise InputError(defects, "configuration errors")
    progress("loading and validating inputs")
    inputs = validate(ws, period, config)
    return assess_inputs(inputs, config, previous, progress)


def assess_inputs(
    inputs: PeriodInputs, config: LoadedConfig, previous: dict[str, PartnerState], progress: Progress = _quiet
) -> Assessment:
    """Metrics, rules, score and settlement of loaded inputs under ``config``."""
    period = inputs.period
    ruleset = config.config.ruleset_for(period)
    progress("computing metrics")
    t = inputs.tables
    with_reply = "first_reply_at" in t["complaints"].given
    tickets = ticket_status(t["complaints"].frame.lazy(), period, config.config, with_reply)
    counts = ticket_counts(tickets, with_reply).collect()
    metrics = compute(
        t["partners"].frame,
        t["billing"].frame,
        t["settlement"].frame,
        counts,
        t["conduct"].frame,
        t["surveys"].frame,
        t["refunds"].frame,
        config.config,
        ruleset,
        with_reply,
    )
    progress("applying rules and settling")
    results, states = assess(period, metrics, previous, ruleset)
    return Assessment(period, config, ruleset, inputs, metrics, results, states, tickets)


def inputs_hash(inputs: PeriodInputs) -> str:
    h = hashlib.sha256()
    for name in sorted(inputs.tables):
        h.update(f"{name}:{inputs.tables[name].sha256 or '-'}\n".encode())
    return h.hexdigest()


def manifest(a: Assessment) -> dict[str, object]:
    statuses = {s: sum(r.status == s for r in a.results) for s in ("active", "on_hold", "terminated")}
    return {
        "period": str(a.period),
        "tool_version": __version__,
        "rule_version": a.ruleset.version,
        "ruleset_hash": a.config.ruleset_hash(a.period),
        "config_hash": a.config.sha256,
        "inputs_hash": inputs_hash(a.inputs),
        "inputs": [
            {"table": name, "file": t.source, "sha256": t.sha256, "rows": t.frame.height}
            for name, t in sorted(a.inputs.tables.items())
        ],
        "counts": {
            "partners_assessed": len(a.results),
            **statuses,
            "valid_complaints": sum(m.valid_complaints for m in a.metrics),
            "notices": sum(len(r.notices) for r in a.results),
            "breaches": sum(len(r.breached_rules) for r in a.results),
        },
        "totals_fen": {field: sum(getattr(r.settlement, field) for r in a.results) for field in MONEY_FIELDS},
        "warnings": [str(w) for w in a.warnings],
    }


def run(
    ws: Workspace,
    period: Period,
    *,
    allow_rule_change: bool = False,
    new_ledger: bool = False,
    progress: Progress = _quiet,
) -> RunOutcome:
    """Assess ``period``, record it as a draft in the ledger, write its outputs.

    ``new_ledger``: start a new ledger although ``out/`` holds assessed months.
    """
    config = load_config(ws.config)
    with ws.lock():
        create = start_new_ledger(ws.db, ws.out, explicit=new_ledger)
        existing = open_ledger(ws)
        previous: dict[str, PartnerState] = {}
        if existing:
            with existing:
                existing.check_can_run(period)
                previous = existing.states_before(period)
                draft = existing.period(period)
                new_hash = config.ruleset_hash(period)
                if draft and draft.ruleset_hash != new_hash and not allow_rule_change:
                    raise LedgerError(
                        f"the rules for {period} changed since its draft was run (rule set "
                        f"{draft.ruleset_version} -> {config.config.ruleset_for(period).version}); "
                        "run again with --allow-rule-change to re-assess it"
                    )
        a = assess_period(ws, period, config, previous, progress)
        progress("writing the ledger and outputs")
        man = manifest(a)
        meta = RunMeta(
            period,
            a.ruleset.version,
            str(man["ruleset_hash"]),
            config.sha256,
            str(man["inputs_hash"]),
            tuple((name, t.source, t.sha256, t.frame.height) for name, t in sorted(a.inputs.tables.items())),
        )
        refunds = a.inputs.tables["refunds"].frame
        with staged_dir(ws.out_for(period)) as tmp:
            fsync_write(tmp / "scorecard.csv", scorecard_csv(period, a.results, a.ruleset))
            fsync_write(tmp / "notices.csv", notices_csv(period, a.results, a.ruleset, config.config.general.language))
            fsync_write(tmp / "manifest.json", json.dumps(man, indent=2, ensure_ascii=False).encode() + b"\n")
            with Ledger(ws.db, create=create) as ledger:
                record_period(
                    ledger,
                    meta,
                    a.results,
                    a.states,
                    refunds.filter(pl.col("partner_id").is_in([r.partner_id for r in a.results])),
                )
    return RunOutcome(a, ws.out_for(period), man)


def close(ws: Workspace, period: Period) -> None:
    with ws.lock(), _existing_ledger(ws, write=True) as ledger:
        ledger.close_period(period)


def reopen(ws: Workspace, period: Period, reason: str) -> None:
    with ws.lock(), _existing_ledger(ws, write=True) as ledger:
        ledger.reopen_period(period, reason)


def _existing_ledger(ws: Workspace, *, write: bool = False) -> Ledger:
    if not ws.db.exists():
        raise LedgerError(f"no ledger at {ws.db}: run a period first")
    return Ledger(ws.db, readonly=not write)


def reassess(ws: Workspace, period: Period) -> Assessment:
    """Assess a recorded period again in memory, for views that need its tickets.

    Refuses when the inputs or the period's rules changed since it was recorded,
    so a view never shows numbers other than the ledger's.
    """
    config = load_config(ws.config)
    with _existing_ledger(ws) as ledger:
        info = ledger.period(period)
        if info is None:
            raise LedgerError(f"{period} has not been run")
        previous = ledger.states_at(period.prev())
    a = assess_period(ws, period, config, previous)
    if inputs_hash(a.inputs) != info.inputs_hash:
        raise LedgerError(f"the inputs of {period} changed since it was run; run it again first")
    if config.ruleset_hash(period) != info.ruleset_hash:
        raise LedgerError(f"the rules for {period} changed since it was run; run it again first")
    return a


def history(ws: Workspace, partner_id: str, last: int | None = None) -> list[dict[str, object]]:
    with _existing_ledger(ws) as ledger:
        rows = [dict(r) for r in ledger.history(partner_id, last)]
    if not rows:
        raise LedgerError(f"{partner_id} has no assessed period in the ledger")
    return rows
