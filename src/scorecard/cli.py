"""The command line: parse arguments, call one library function, print, exit.

Exit codes: 0 ok, 1 input, configuration or ledger errors (reported, no
traceback), 2 usage.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scorecard import pipeline
from scorecard.checks import check
from scorecard.config import json_schema, load_config
from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.periods import Period
from scorecard.report import terminal
from scorecard.report.shown import visible
from scorecard.workspace import Workspace

app = typer.Typer(
    help="Monthly partner assessment and settlement-penalty calculator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Check the configuration or export its JSON Schema.", no_args_is_help=True)
app.add_typer(config_app, name="config")
export_app = typer.Typer(help="Export a period for other users (finance).", no_args_is_help=True)
app.add_typer(export_app, name="export")

# Emoji codes are never meant: ":x:" in an id must print as written. Messages on stderr are
# plain text (they carry data); views on stdout style their own fixed text, never data.
out = Console(highlight=False, soft_wrap=False, emoji=False)
err = Console(stderr=True, highlight=False, markup=False, emoji=False)


@dataclass
class Options:
    workspace: Workspace
    lang: str | None
    user: str | None = None

    def language(self) -> str:
        if self.lang:
            return self.lang
        try:
            return load_config(self.workspace.config).config.general.language
        except InputError:
            return "zh"


@contextmanager
def reported(opts: Options) -> Iterator[None]:
    """Turn input/configuration/ledger errors into messages and exit code 1."""
    try:
        yield
    except InputError as exc:
        terminal.print_issues(err, list(exc.issues), opts.lang or "en")
        raise typer.Exit(1) from None
    except sqlite3.DatabaseError as exc:  # a damaged or foreign ledger file: say so, no traceback
        err.print(visible(f"error: {opts.workspace.db}: the ledger cannot be read or written: {exc}"))
        raise typer.Exit(1) from None
    except OSError as exc:  # read-only folder, full disk, a folder where a file belongs: the path and why
        err.print(visible(f"error: {_os_message(exc)}"))
        raise typer.Exit(1) from None


def _os_message(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "a file"
    why = exc.strerror or str(exc)
    hint = {
        errno.ENOSPC: "free some space and run the command again",
        errno.EDQUOT: "free some space and run the command again",
        errno.EACCES: "check the folder's permissions",
        errno.EPERM: "check the folder's permissions",
        errno.EROFS: "the file system is read-only; work on a writable copy",
        errno.EISDIR: "a folder is in the way of a file; move it",
    }.get(exc.errno or 0)
    return f"{where}: {why}" + (f" ({hint})" if hint else "")


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


PeriodArg = Annotated[Period, typer.Argument(parser=_period, metavar="YYYY-MM", help="The period (month).")]


@app.callback()
def main_options(
    ctx: typer.Context,
    workspace: Annotated[Path, typer.Option("--workspace", "-w", help="Workspace folder.")] = Path("."),
    config: Annotated[
        Path | None, typer.Option(help="Configuration file [default: WORKSPACE/config/scorecard.toml].")
    ] = None,
    inputs: Annotated[Path | None, typer.Option(help="Inputs folder [default: WORKSPACE/inputs].")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Outputs folder [default: WORKSPACE/out].")] = None,
    db: Annotated[Path | None, typer.Option(help="Ledger file [default: WORKSPACE/scorecard.db].")] = None,
    lang: Annotated[
        str | None, typer.Option(help="Language of the output: zh or en [default: from configuration].")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            help="Who is running the command, recorded in the ledger [default: $SCORECARD_USER, else the login name]."
        ),
    ] = None,
) -> None:
    if lang not in (None, "zh", "en"):
        raise typer.BadParameter("--lang must be zh or en")
    ctx.obj = Options(Workspace.at(workspace, config, inputs, out_dir, db), lang, user)


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")]) -> None:
    """Create a workspace: default configuration, empty inputs/ and out/."""
    from scorecard.demo import init_workspace

    with reported(Options(Workspace.at(directory), None)):
        ws = init_workspace(directory)
    out.print(f"{ws.root}: config/scorecard.toml, inputs/, out/ — put a month's files in inputs/YYYY-MM/", markup=False)


@app.command()
def validate(ctx: typer.Context, period: PeriodArg) -> None:
    """Check a period's inputs; list every problem as file:line: column: message."""
    opts: Options = ctx.obj
    with reported(opts):
        inputs = pipeline.validate(opts.workspace, period)
        lang = opts.language()
        terminal.print_issues(err, inputs.issues.warnings, lang)
        rows = ", ".join(f"{name} {tab.frame.height}" for name, tab in sorted(inputs.tables.items()))
        out.print(f"{period}: {t('valid_inputs', lang)} ({rows})")


@app.command()
def run(
    ctx: typer.Context,
    period: PeriodArg,
    allow_rule_change: Annotated[
        bool, typer.Option(help="Re-assess a draft whose rules changed since it was run.")
    ] = False,
    discard_draft: Annotated[
        bool, typer.Option(help="Discard another month's draft (recorded; its outputs move to out/.discarded/).")
    ] = False,
    new_ledger: Annotated[
        bool, typer.Option(help="Start a new ledger although out/ holds assessed months (their history is lost).")
    ] = False,
) -> None:
    """Assess a month: scorecard.csv, notices.csv and manifest.json, recorded as the draft."""
    opts: Options = ctx.obj
    with reported(opts), err.status("…") as status:
        result = pipeline.run(
            opts.workspace,
            period,
            user=opts.user,
            discard_draft=discard_draft,
            allow_rule_change=allow_rule_change,
            new_ledger=new_ledger,
            progress=status.update,
        )
    lang = opts.language()
    terminal.print_issues(err, result.warnings, lang)
    if result.discarded is not None:
        out.print(f"{t('draft_discarded', lang)}: {result.discarded.period} (run {result.discarded.run_seq})")
    for moved in result.moved:
        out.print(f"{t('moved_aside', lang)}: {moved}", markup=False)
    terminal.run_summary(out, result.record, lang)
    out.print(f"{period} ({t('draft', lang)}): {t('written', lang)} {result.out_dir}", markup=False)


@app.command()
def explain(ctx: typer.Context, partner_id: str, period: PeriodArg) -> None:
    """Show why a partner got its score and money: metrics, thresholds, rules, late tickets."""
    opts: Options = ctx.obj
    with reported(opts):
        rec = pipeline.record(opts.workspace, period, partner_id)
        if rec["partner_results"].height == 0:
            raise InputError([Issue(str(opts.workspace.db), None, None, f"{partner_id} was not assessed in {period}")])
    terminal.explain(out, rec, opts.language())


@app.command()
def close(ctx: typer.Context, period: PeriodArg) -> None:
    """Freeze a month: it can never be rewritten (only the last closed one can be reopened)."""
    opts: Options = ctx.obj
    with reported(opts):
        info = pipeline.close(opts.workspace, period, user=opts.user)
    out.print(f"{period}: {t('closed', opts.language())} ({info.closed_by}, {info.closed_at})")


@app.command()
def reopen(
    ctx: typer.Context,
    period: PeriodArg,
    reason: Annotated[str, typer.Option(help="Why the month is reopened (recorded in the ledger).")],
    discard_draft: Annotated[
        bool, typer.Option(help="Discard the next month's draft (recorded; its outputs move to out/.discarded/).")
    ] = False,
) -> None:
    """Reopen the last closed month, with a recorded reason."""
    opts: Options = ctx.obj
    with reported(opts):
        discarded = pipeline.reopen(opts.workspace, period, reason, user=opts.user, discard_draft=discard_draft)
    lang = opts.language()
    if discarded is not None:
        out.print(f"{t('draft_discarded', lang)}: {discarded.period} (run {discarded.run_seq})")
    out.print(f"{period}: {t('reopened', lang)}")


@app.command()
def status(ctx: typer.Context) -> None:
    """Every month of the ledger (draft or closed, who ran and closed it, whether out/ matches) and the
    balances carried (held pending final settlement, absent partners' balances)."""
    from scorecard.status import ledger_status

    opts: Options = ctx.obj
    with reported(opts):
        st = ledger_status(opts.workspace)
    terminal.status(out, st, opts.language())


@app.command()
def history(
    ctx: typer.Context,
    partner_id: str,
    last: Annotated[int | None, typer.Option(help="Only the last N periods.")] = None,
) -> None:
    """A partner's months: metrics, breaches, status, held balance, payout."""
    opts: Options = ctx.obj
    with reported(opts):
        rows = pipeline.history(opts.workspace, partner_id, last)
    terminal.history(out, partner_id, rows, opts.language())


@app.command()
def simulate(
    ctx: typer.Context,
    period: PeriodArg,
    rules: Annotated[Path | None, typer.Option(help="A TOML file holding the rule set to try.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Change one setting: path=value (repeatable), "
            "e.g. rules.c-complaint-rate.threshold=4 or score.bands[1].deduction=0.03.",
        ),
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="List every partner, not only those that change.")] = False,
    xlsx: Annotated[Path | None, typer.Option(help="Also write every partner's comparison to this workbook.")] = None,
) -> None:
    """What would change under other rules, partner by partner; the ledger is not touched."""
    from scorecard.report.simulation_xlsx import write_simulation
    from scorecard.simulate import simulate as run_simulation

    opts: Options = ctx.obj
    with reported(opts):
        sim = run_simulation(opts.workspace, period, rules, set_ or [])
    terminal.simulation(out, sim, opts.language(), show_all)
    if xlsx is not None:
        write_simulation(sim, xlsx, opts.language())
        out.print(f"{t('written', opts.language())} {xlsx}", markup=False)


@export_app.command("finance")
def export_finance(ctx: typer.Context, period: PeriodArg) -> None:
    """Write the settlement workbook for finance: out/YYYY-MM/settlement-YYYY-MM.xlsx."""
    from scorecard.report.finance import export_finance as export
    from scorecard.report.finance import summary_lines

    opts: Options = ctx.obj
    with reported(opts):
        lang = opts.language()
        outcome = export(opts.workspace, period, lang)
    for line in summary_lines(outcome, lang):
        out.print(line)


@app.command()
def statements(
    ctx: typer.Context,
    period: PeriodArg,
    partner: Annotated[str | None, typer.Option(help="Only this partner's statement.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [default: one per core for many partners].")
    ] = None,
) -> None:
    """Write each partner's statement (HTML page and workbook) to out/YYYY-MM/statements/."""
    from rich.progress import Progress

    from scorecard.report.statements import statements as write
    from scorecard.report.statements import summary_line

    opts: Options = ctx.obj
    with reported(opts), Progress(console=err, transient=True) as bar:
        lang = opts.language()
        task = bar.add_task(str(period), total=None)
        outcome = write(
            opts.workspace,
            period,
            lang,
            partner,
            workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    out.print(summary_line(outcome, lang))


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path("scorecard-demo"),
    fixtures: Annotated[Path | None, typer.Option(help="Fixtures folder [default: the shipped fixtures].")] = None,
) -> None:
    """Build a workspace from the shipped fixtures and run every month in order."""
    from scorecard.demo import run_demo

    opts = Options(Workspace.at(directory), None)
    with reported(opts):
        run_demo(directory, fixtures, out)


@config_app.command("check")
def config_check(
    ctx: typer.Context,
    period: Annotated[
        list[str] | None, typer.Option(help="Also check the calendar covers this period (repeatable).")
    ] = None,
) -> None:
    """Validate the configuration: schema, bands, points tables, weights, actions, calendar."""
    opts: Options = ctx.obj
    with reported(opts):
        loaded = load_config(opts.workspace.config)
        findings = check(loaded, [_period(p) for p in period] if period else None)
        if findings.has_errors:
            raise InputError(findings, "configuration errors")
    terminal.print_issues(err, findings.warnings, opts.lang or "en")
    versions = ", ".join(f"{r.version} (from {r.effective_from})" for r in loaded.config.rulesets)
    out.print(f"{opts.workspace.config}: OK — rule sets {versions}", markup=False)


@config_app.command("schema")
def config_schema() -> None:
    """Print the configuration's JSON Schema (for editor completion)."""
    out.print_json(json.dumps(json_schema(), ensure_ascii=False))


# --- sign-off, audit and payments (docs/sign-off-and-audit.md) -----------------------------------


@app.command()
def approve(ctx: typer.Context, period: PeriodArg) -> None:
    """Approve a month's draft for closing (by someone other than the one who ran it)."""
    opts: Options = ctx.obj
    with reported(opts):
        ok = pipeline.approve(opts.workspace, period, user=opts.user)
    out.print(f"{period} (run {ok.run_seq}): {t('approved', opts.language())} ({ok.approved_by}, {ok.approved_at})")


@app.command()
def log(
    ctx: typer.Context,
    period: Annotated[
        Period | None, typer.Option(parser=_period, metavar="YYYY-MM", help="Only this month's events.")
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """The event log: every change to the ledger, who made it, when and why, with its hash."""
    if format_ not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")
    opts: Options = ctx.obj
    with reported(opts):
        events = pipeline.log(opts.workspace, period)
    terminal.events(out, events, opts.language(), format_)


@app.command()
def verify(ctx: typer.Context) -> None:
    """Recompute the event log's hash chain and every closed month's digest; exit 1 at a difference."""
    opts: Options = ctx.obj
    with reported(opts):
        found, (last, digest) = pipeline.verify(opts.workspace)
    lang = opts.language()
    for finding in found:
        err.print(f"{t('error', lang)}: {finding}", markup=False, soft_wrap=True)
    if found:
        raise typer.Exit(1)
    out.print(f"{t('verified', lang)}: {last} events, head {digest}")


@export_app.command("payments")
def export_payments(ctx: typer.Context, period: PeriodArg) -> None:
    """Write the payment list of a closed month: out/YYYY-MM/payments-YYYY-MM.csv (one row per payee paid)."""
    from scorecard.money import format_fen
    from scorecard.payments import export_payments as export

    opts: Options = ctx.obj
    with reported(opts):
        lang = opts.language()
        outcome = export(opts.workspace, period, lang)
    out.print(f"{t('payments_written', lang)}: {outcome.path}")
    out.print(f"{outcome.payments} {t('payments_count', lang)}, {t('total', lang)} {format_fen(outcome.total)}")


@app.command("final-settlement")
def final_settlement(
    ctx: typer.Context,
    partner_id: str,
    reason: Annotated[str, typer.Option(help="Why (recorded in the ledger).")],
    pay: Annotated[
        bool, typer.Option("--pay", help="Pay the held balance, less the receivable, and the deposit left.")
    ] = False,
    forfeit: Annotated[bool, typer.Option("--forfeit", help="Keep the held balance (compensation claims).")] = False,
) -> None:
    """Settle a terminated partner's balances pending final settlement with the open month's run."""
    if pay == forfeit:
        raise typer.BadParameter("give exactly one of --pay or --forfeit")
    opts: Options = ctx.obj
    with reported(opts):
        d = pipeline.settle_terminated(opts.workspace, partner_id, "pay" if pay else "forfeit", reason, user=opts.user)
    out.print(f"{partner_id}: {t('final_settlement_recorded', opts.language())} {d.period} (scorecard run {d.period})")


def main() -> None:
    app()
