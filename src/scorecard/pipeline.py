"""The orchestrator: load → validate → metrics → rules/score → settle → ledger → report.

Each stage lives in its own module; this file only wires them, like
beancount's ``loader.py``. Everything the CLI does is a function here.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from scorecard import __version__, dispute_rows, final_settlement, i18n
from scorecard.assess import PartnerResult, assess
from scorecard.checks import errors_for_run
from scorecard.config import LoadedConfig, RuleSet, load_config
from scorecard.corrections import (
    Correction,
    Restatement,
    accepted_corrections,
    apply_to_inputs,
    corrected_history,
    pending_balance,
    registered_ids,
)
from scorecard.engine.record_tables import record_tables
from scorecard.i18n import t
from scorecard.inputs.files import table_file_hashes
from scorecard.inputs.load import LoadSettings, PeriodInputs, load_period
from scorecard.issues import InputError, Issue, Severity
from scorecard.ledger import Ledger, LedgerError, cycle, now
from scorecard.ledger.health import start_new_ledger
from scorecard.ledger.reading import current_user, existing_ledger
from scorecard.ledger.store import delete_month, in_order, merged, sort, store_record
from scorecard.metrics import MetricsFrame, PartnerMetrics, cutoff, metrics_frame, ticket_counts, ticket_status
from scorecard.periods import Period
from scorecard.record import SCHEMAS, MonthRecord, PeriodInfo, build_tables
from scorecard.report.outputs import holds_more_than_the_run, move_aside, render_month, write_month
from scorecard.state import PartnerState
from scorecard.workspace import Workspace, staged_dir

if TYPE_CHECKING:
    from scorecard.approval import Approval

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class History:
    """The accepted corrections a run applies, and what the corrected history makes of them."""

    corrections: tuple[Correction, ...] = ()
    restatements: dict[str, Restatement] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    """One month assessed in memory (not yet recorded).

    ``tables`` are the record's tables the columnar engine made (scorecard.engine.record_tables);
    None when the month was beyond its exact range and the Fraction engine assessed it, whose
    results are then ``fraction_results``."""

    period: Period
    config: LoadedConfig
    ruleset: RuleSet
    inputs: PeriodInputs
    metric_frame: MetricsFrame
    states: dict[str, PartnerState]
    tickets: pl.LazyFrame  # the month's tickets with deadline and state (on_time/late/pending/invalid)
    history: History = dataclasses.field(default_factory=History)
    tables: dict[str, pl.DataFrame] | None = None
    fraction_results: list[PartnerResult] | None = None

    @property
    def warnings(self) -> list[Issue]:
        return self.inputs.issues.warnings

    @functools.cached_property
    def metrics(self) -> list[PartnerMetrics]:
        """The month's metrics one by one, formed on demand: the record is made from the frame."""
        return self.metric_frame.objects()


@dataclass(frozen=True, slots=True)
class RunOutcome:
    record: MonthRecord
    out_dir: Path
    discarded: PeriodInfo | None  # another month's draft this run discarded
    moved: list[Path]  # output folders moved to out/.discarded/

    @property
    def warnings(self) -> list[Issue]:
        return [
            Issue(f, line, col, msg, None, Severity.WARNING, key=key)
            for _, f, line, col, key, msg in self.record["warnings"].iter_rows()
        ]


def settings_for(config: LoadedConfig, excluded: dict[str, str]) -> LoadSettings:
    c = config.config
    return LoadSettings(
        columns={table: dict(mapping) for table, mapping in c.columns.items()},
        event_types=frozenset(c.response.deductions),
        excluded_partners=excluded,
        max_errors=c.general.max_errors,
        max_sheet_cells=c.general.max_sheet_cells,
        timezone=c.general.timezone,
        stages=tuple((s.from_, s.to) for s in c.windows.stages.values()),
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
        raise InputError([Issue(str(folder), None, None, t("no_input_folder"), t("a_folder", folder=folder))])
    inputs = load_period(folder, period, settings_for(config, excluded))
    if inputs.issues.has_errors:
        raise InputError(inputs.issues, f"{len(inputs.issues.errors)} input errors")
    return in_ticket_order(inputs)


def in_ticket_order(inputs: PeriodInputs) -> PeriodInputs:
    """The complaints, counted and left out, in the record's ticket order.

    Sorted once, as they are loaded: every frame made from them after (each ticket's deadline
    and state, the record's tickets) is then in order as it is made, the file's order is not
    held beside a sorted copy, and the ledger stores the tickets as they come (docs/scale.md).
    ``inputs``' own complaints frames are left empty: the caller hands them over."""
    tables = dict(inputs.tables)
    complaints = tables["complaints"]
    # ``release``: each loaded column is let go as its sorted one is made (``inputs`` is not used after)
    tables["complaints"] = dataclasses.replace(complaints, frame=sort("tickets", complaints.frame, release=True))
    left = dict(inputs.left_out)
    if "complaints" in left:
        left["complaints"] = sort("tickets", left["complaints"], release=True)
    return dataclasses.replace(inputs, tables=tables, left_out=left)


def load_checked(ws: Workspace, period: Period, config: LoadedConfig, progress: Progress = _quiet) -> PeriodInputs:
    """The month's inputs, loaded and checked, under a configuration checked for running it."""
    defects = errors_for_run(config, period)
    if defects:
        raise InputError(defects, "configuration errors")
    progress(t("progress_loading"))
    return validate(ws, period, config)


def table_corrections(
    inputs: PeriodInputs, ledger: Ledger | None, config: LoadedConfig, known: Sequence[Correction]
) -> list[Correction]:
    """The accepted rows of the month's `disputes` table as corrections; any bad row stops the run
    (file:line: column: …) before anything is written. Its warnings join the month's."""
    table = inputs.tables["disputes"]
    if table.frame.height == 0:
        return []
    taken = {c.dispute_id for c in known} | (registered_ids(ledger, inputs.period) if ledger else set())
    own = dispute_rows.facts_of_inputs({n: t.frame for n, t in inputs.tables.items()}, inputs.left_out)
    found, issues = dispute_rows.check(
        table.frame,
        table.source or "disputes",
        inputs.period,
        ledger,
        own,
        window_days=config.config.disputes.window_days,
        taken=taken,
        accepted_records=[(str(c.period), c.record, c.record_id) for c in known],
    )
    errors = [i for i in issues if i.is_error]
    if errors:
        raise InputError(errors, f"{len(errors)} input errors")
    inputs.issues.extend(i for i in issues if not i.is_error)
    return found


def assess_period(
    ws: Workspace,
    period: Period,
    config: LoadedConfig,
    previous: dict[str, PartnerState],
    progress: Progress = _quiet,
    history: History | None = None,
) -> Assessment:
    """Everything up to (not including) the ledger and the outputs."""
    defects = errors_for_run(config, period)
    if defects:
        raise InputError(defects, "configuration errors")
    progress(t("progress_loading"))
    inputs = validate(ws, period, config)
    return assess_inputs(inputs, config, previous, progress, history)


def assess_inputs(
    inputs: PeriodInputs,
    config: LoadedConfig,
    previous: dict[str, PartnerState],
    progress: Progress = _quiet,
    history: History | None = None,
) -> Assessment:
    """Metrics, rules, score and settlement of loaded inputs under ``config``; ``history`` brings the
    accepted corrections: the month's own are applied to its tables, those of closed months come as
    the corrected history (restated balances, adjustments, corrected states)."""
    period = inputs.period
    history = history or History()
    ruleset = config.config.ruleset_for(period)
    progress(i18n.t("progress_metrics"))  # ``t`` is the tables here
    own = [c for c in history.corrections if c.period == period]
    t = apply_to_inputs({name: table.frame for name, table in inputs.tables.items()}, own)
    given = inputs.tables["complaints"].given
    with_reply = "first_reply_at" in given
    # a stage is measured in the months whose complaints file has both its columns
    stages = [name for name, s in config.config.windows.stages.items() if {s.from_, s.to} <= given | {"received_at"}]
    # every ticket's state is made once: the counts are taken from it and the record keeps it
    # collected in memory: its columns stay the loaded ones, in one piece, and only the new
    # columns are made (the streaming engine copies every column into morsels; docs/scale.md)
    status = ticket_status(t["complaints"].lazy(), period, config.config, with_reply, t["pauses"], stages)
    tickets = status.collect(engine="in-memory")
    partners = tickets.get_column("partner_id")
    if partners.null_count() == 0 and in_order(tickets, ("partner_id",)):
        # in partner order (in_ticket_order): counted partner by partner, not by hashing every id
        tickets = tickets.with_columns(partners.set_sorted())
    counts = ticket_counts(tickets.lazy(), with_reply, stages).collect()
    metrics = metrics_frame(
        t["partners"],
        t["billing"],
        t["settlement"],
        counts,
        t["conduct"],
        t["surveys"],
        t["refunds"],
        config.config,
        ruleset,
        with_reply,
        stages,
    )
    progress(i18n.t("progress_rules"))
    # The corrected history (corrections.corrected_history) re-assesses the few partners with
    # accepted disputes month by month with the Fraction engine (scorecard.assess); the month
    # itself is assessed by the columnar engine, over all partners at once.
    previous = {**previous, **{pid: r.state for pid, r in history.restatements.items()}}
    restated = {pid: r.restated for pid, r in history.restatements.items()}
    tables: dict[str, pl.DataFrame] | None = None
    results: list[PartnerResult] | None = None
    try:
        engine = record_tables(period, metrics, previous, ruleset, restated)
        tables, states = engine.tables, engine.states
        assessed = set(tables["partner_results"].get_column("partner_id").to_list())
    except ValueError:
        # beyond the columnar engine's exact range (amounts near 2**60 fen, a response score finer
        # than hundredths, a score needing more than 126 bits): the Fraction engine has no limit
        results, states = assess(period, metrics.objects(), previous, ruleset, restated=restated)
        assessed = {r.partner_id for r in results}
    for pid, r in history.restatements.items():  # terminated before: to the balance pending final settlement
        if pid not in assessed and r.state.terminated:
            states[pid] = pending_balance(states[pid], r)
    return Assessment(
        period,
        config,
        ruleset,
        inputs,
        metrics,
        states,
        tickets.lazy(),
        history,
        tables=tables,
        fraction_results=results,
    )


def inputs_hash(inputs: PeriodInputs) -> str:
    return hash_tables({name: t.sha256 for name, t in inputs.tables.items()})


def hash_tables(hashes: dict[str, str | None]) -> str:
    h = hashlib.sha256()
    for name in sorted(hashes):
        h.update(f"{name}:{hashes[name] or '-'}\n".encode())
    return h.hexdigest()


def record_tickets(a: Assessment) -> pl.DataFrame:
    """Every ticket of the month for the record: counted ones with their state, invalid ones,
    and those received outside the month (left out)."""
    cols = list(SCHEMAS["tickets"])
    counted = a.tickets.collect()
    counted = counted.with_columns(
        pl.col("state").cast(pl.String),
        line=pl.col("_line"),
        **{
            c: pl.lit(None, dtype=SCHEMAS["tickets"][c])
            for c in ("first_reply_at", "reply_deadline", "reply_state", "reopen_count")
            if c not in counted.columns
        },
    ).with_columns(pl.col("reply_state").cast(pl.String))
    outside = a.inputs.left_out.get("complaints")
    frames = [counted.select(cols)]
    if outside is not None and outside.height:
        frames.append(
            outside.select(
                "ticket_id",
                "partner_id",
                "received_at",
                "resolved_at",
                "first_reply_at",
                "category",
                "valid",
                "is_repeat",
                "is_major",
                deadline=pl.lit(None, dtype=pl.Datetime("us")),
                reply_deadline=pl.lit(None, dtype=pl.Datetime("us")),
                state=pl.lit("outside"),
                reply_state=pl.lit(None, dtype=pl.String),
                resolution_seconds=pl.lit(None, dtype=pl.Int64),
                line=pl.col("_line"),
                reopen_count=pl.col("reopen_count") if "reopen_count" in outside.columns else pl.lit(None),
            )
            .with_columns(pl.col(c).cast(SCHEMAS["tickets"][c]) for c in ("reopen_count", "first_reply_at"))
            .select(cols)
        )
    # the times each ticket was sent back came along with each ticket (metrics.ticket_status);
    # both parts are in ticket order (in_ticket_order), so they are merged, not sorted again
    typed = [f.with_columns(pl.col(c).cast(d) for c, d in SCHEMAS["tickets"].items()) for f in frames]
    return merged("tickets", typed).with_columns(pl.col("reopen_count").fill_null(0))


def _facts(frame: pl.DataFrame, left: pl.DataFrame | None, why: str) -> pl.DataFrame:
    """Rows counted, then those left out with the reason as their state."""
    out = frame.with_columns(state=pl.lit("counted"))
    if left is not None and left.height:
        out = pl.concat([out, left.with_columns(state=pl.lit(why)).select(out.columns)])
    return out.sort("_line")


def history_tables(a: Assessment) -> dict[str, pl.DataFrame]:
    """The corrections a run applied, the adjustments they made by corrected month and component,
    and a review notice where a recorded termination is not supported by the corrected data."""
    h = a.history
    corrections = [[c.dispute_id, c.partner_id, str(c.period), c.record, c.record_id, c.text] for c in h.corrections]
    parts = [
        [pid, str(p.corrected_period), p.component, p.amount]
        for pid, r in sorted(h.restatements.items())
        for p in r.parts
    ]
    actions = [
        [
            pid,
            1000 + i,
            "corrected-history",
            "review",
            0,
            f"更正后的数据不支持 {month} 的中止合作，请复核",
            f"termination in {month} not supported by the corrected data: review",
            None,
            None,
            None,
        ]
        for pid, r in sorted(h.restatements.items())
        for i, month in enumerate(r.review)
    ]
    out = {
        "corrections": pl.DataFrame(corrections, schema=SCHEMAS["corrections"], orient="row"),
        "adjustments": pl.DataFrame(parts, schema=SCHEMAS["adjustments"], orient="row"),
    }
    if actions:
        out["actions"] = pl.DataFrame(actions, schema=SCHEMAS["actions"], orient="row")
    return out


def build_record(a: Assessment, run_seq: int, user: str) -> MonthRecord:
    """The month's record: the engine's results and every fact they were made from."""
    config = a.config
    tables = build_tables(
        a.fraction_results or [],
        a.states,
        record_tickets(a),
        _facts(a.inputs.tables["conduct"].frame, a.inputs.left_out.get("conduct"), "outside"),
        _facts(a.inputs.tables["surveys"].frame, a.inputs.left_out.get("surveys"), "c_mode"),
        a.warnings,
        [(name, t.source, t.sha256, t.frame.height) for name, t in sorted(a.inputs.tables.items())],
        dict(config.config.response.deductions),
        payees=a.inputs.tables["payees"].frame,
        engine_tables=a.tables,
    )
    extra = history_tables(a)
    if "actions" in extra:
        extra["actions"] = pl.concat([tables["actions"], extra["actions"]])
    tables.update(extra)
    # the tickets are in order as record_tickets makes them; the ledger checks them once more
    tables = {name: frame if name == "tickets" else sort(name, frame) for name, frame in tables.items()}
    info = PeriodInfo(
        a.period,
        "draft",
        run_seq,
        a.ruleset.version,
        config.ruleset_hash(a.period),
        config.sha256,
        inputs_hash(a.inputs),
        __version__,
        now(),
        user,
        None,
        None,
        config.text,
        a.ruleset.model_dump_json(),
        cutoff(a.period, config.config).isoformat(),
    )
    return MonthRecord(info, tables)


def run(
    ws: Workspace,
    period: Period,
    *,
    user: str | None = None,
    discard_draft: bool = False,
    allow_rule_change: bool = False,
    new_ledger: bool = False,
    progress: Progress = _quiet,
    corrections: Sequence[Correction] | None = None,
) -> RunOutcome:
    """Assess ``period``, record it as the draft in the ledger, write its outputs.

    ``new_ledger``: start a new ledger although ``out/`` holds assessed months.
    """
    user = current_user(user)
    config = load_config(ws.config)
    lang = config.config.general.language
    with ws.lock():
        create = start_new_ledger(ws.db, ws.out, explicit=new_ledger)
        existing = open_ledger(ws)
        inputs = load_checked(ws, period, config, progress)
        history = History()
        if existing:
            with existing:
                cycle.refuse_broken_chain(existing.conn, t("not_run", period=period))
                plan = cycle.plan_run(existing, period, discard_draft=discard_draft)
                found = list(accepted_corrections(existing, period)) if corrections is None else list(corrections)
                found += table_corrections(inputs, existing, config, found)
                progress(t("progress_history"))
                history = History(tuple(found), corrected_history(existing, period, found))
                finals = final_settlement.carried(existing, period)
        else:
            plan = cycle.plan_run(None, period, discard_draft=discard_draft)
            found = list(corrections or []) + table_corrections(inputs, None, config, [])
            history = History(tuple(found))
            finals = final_settlement.carried(None, period)
        own = plan.replaces
        if own and own.ruleset_hash != config.ruleset_hash(period) and not allow_rule_change:
            raise LedgerError(
                t(
                    "rules_changed",
                    period=period,
                    before=own.ruleset_version,
                    now=config.config.ruleset_for(period).version,
                )
            )
        a = assess_inputs(inputs, config, plan.previous, progress, history)
        # deposits and final settlements of terminated partners (docs/sign-off-and-audit.md#final-settlement)
        states, final_tables = final_settlement.apply(finals, a.states, a.inputs.tables["deposits"].frame)
        a = dataclasses.replace(a, states=states)
        progress(t("progress_writing"))
        record = final_settlement.with_tables(build_record(a, plan.run_seq, user), final_tables)
        moved = []
        with staged_dir(ws.out_for(period)) as tmp:
            write_month(tmp, record, lang)
            with Ledger(ws.db, create=create) as ledger, ledger.write() as c:
                if plan.discards is not None:
                    cycle.discard(ledger, c, plan.discards, user, f"running {period}")
                replaced: dict[str, object] = {}
                if own is not None:
                    from scorecard.payments import change_detail

                    replaced = {"replaced_run": own.run_seq, "replaced_by": own.run_by}
                    replaced.update(change_detail(ledger, own, record))
                    delete_month(c, period)
                store_record(c, record)
                ledger.add_event(c, "run", period, user, "", json.dumps({"run_seq": plan.run_seq, **replaced}))
            # the ledger has committed: from here on the outputs of the replaced drafts are moved aside
            if plan.discards is not None:
                moved.append(move_aside(ws, str(plan.discards.period), plan.discards.run_seq))
            if own is not None and holds_more_than_the_run(ws.out_for(period)):
                moved.append(move_aside(ws, str(period), own.run_seq))
    return RunOutcome(record, ws.out_for(period), plan.discards, [m for m in moved if m is not None])


def close(ws: Workspace, period: Period, *, user: str | None = None) -> PeriodInfo:
    """Freeze the draft ``period``: refused when what it was assessed from changed since."""
    user = current_user(user)
    config = load_config(ws.config)
    with ws.lock(), existing_ledger(ws, write=True) as ledger:
        cycle.refuse_broken_chain(ledger.conn, t("not_closed", period=period))
        info = ledger.period(period)
        if info is not None and info.draft:
            changed = changed_since_run(ws, info, config)
            if changed:
                raise LedgerError(t("close_changed", period=period, changed=changed))
            if config.config.approval.required:  # before the folder is put right: a refusal changes nothing
                from scorecard import approval

                approval.require(ledger, info)
            waiting = final_settlement.unapplied(ledger, info)
            if waiting:
                who = ", ".join(d.partner_id for d in waiting)
                raise LedgerError(t("close_final_waiting", period=period, who=who))
            render_month(ws, ledger.record(period), config.config.general.language)
        return cycle.close(ledger, period, user, require_approval=config.config.approval.required)


def changed_since_run(ws: Workspace, info: PeriodInfo, config: LoadedConfig) -> str | None:
    """What changed since the month's draft was run: its input files, or its rules."""
    if config.ruleset_hash(info.period) != info.ruleset_hash:
        return t("changed_config")
    folder = ws.inputs_for(info.period)
    hashes = table_file_hashes(folder)
    if hashes is None or hash_tables(hashes) != info.inputs_hash:
        return t("changed_inputs", folder=folder)
    return None


def reopen(
    ws: Workspace, period: Period, reason: str, *, user: str | None = None, discard_draft: bool = False
) -> PeriodInfo | None:
    user = current_user(user)
    with ws.lock(), existing_ledger(ws, write=True) as ledger:
        discarded = cycle.reopen(ledger, period, reason, user, discard_draft=discard_draft)
    if discarded is not None:
        move_aside(ws, str(discarded.period), discarded.run_seq)
    return discarded


# --- sign-off and audit (docs/sign-off-and-audit.md) ---------------------------------------------


def approve(ws: Workspace, period: Period, *, user: str | None = None) -> Approval:
    """Approve the month's current draft, as someone other than the one who ran it."""
    from scorecard import approval

    user = current_user(user)
    with ws.lock(), existing_ledger(ws, write=True) as ledger:
        return approval.approve(ledger, period, user)


def settle_terminated(
    ws: Workspace, partner_id: str, decision: str, reason: str, *, user: str | None = None
) -> final_settlement.Decision:
    """Record the final settlement of a terminated partner; the open month's run applies it."""
    user = current_user(user)
    if decision not in ("pay", "forfeit"):
        raise LedgerError(t("final_pay_or_forfeit"))
    with ws.lock(), existing_ledger(ws, write=True) as ledger:
        return final_settlement.decide(ledger, partner_id, decision, reason, user)  # type: ignore[arg-type]
