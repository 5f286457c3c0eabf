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
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from scorecard.i18n import language, reset_language, t, tn, use_language
from scorecard.periods import Period

# Only what building the commands needs is imported here (``scorecard --help`` reads no more); each
# command imports what it uses, so that none pays for the loading, assessing and writing it never does.
if TYPE_CHECKING:
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
        from scorecard.config import load_config
        from scorecard.issues import InputError

        if self.lang:
            return self.lang
        try:
            return load_config(self.workspace.config).config.general.language
        except (InputError, OSError):
            return "zh"


# Commands that write (the ledger, out/, a workbook): a refusal of theirs says that nothing was
# written. The others only read, and say no such thing (tests/test_i18n_catalogue.py keeps every
# command in one of the two).
WRITING = frozenset(
    {
        "init",
        "run",
        "close",
        "reopen",
        "approve",
        "demo",
        "statements",
        "export finance",
        "export payments",
        "final-settlement",
        "dispute add",
        "dispute decide",
        "portal user add",
        "portal user disable",
        "report half-year",
        "report service",
    }
)
READ_ONLY = frozenset(
    {
        "validate",
        "explain",
        "status",
        "history",
        "simulate",
        "watch",
        "log",
        "verify",
        "config check",
        "config schema",
        "dispute list",
        "portal user list",
        "serve",
    }
)


def _command_name() -> str:
    """The command running, as written after the global options ("dispute list")."""
    # typer carries its own copy of click (typer is pinned exactly in pyproject.toml)
    from typer._click.globals import get_current_context

    names: list[str] = []
    ctx = get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


@contextmanager
def reported(opts: Options) -> Iterator[None]:
    """Turn input/configuration/ledger errors into messages and exit code 1."""
    from scorecard.issues import InputError
    from scorecard.report import terminal
    from scorecard.report.shown import visible

    try:
        yield
    except InputError as exc:
        terminal.print_issues(err, list(exc.issues), language(), wrote_nothing=_command_name() in WRITING)
        raise typer.Exit(1) from None
    except sqlite3.DatabaseError as exc:  # a damaged or foreign ledger file: say so, no traceback
        err.print(visible(f"{t('error')}: {t('ledger_unreadable', db=opts.workspace.db, why=exc)}"))
        raise typer.Exit(1) from None
    except OSError as exc:  # read-only folder, full disk, a folder where a file belongs: the path and why
        err.print(visible(f"{t('error')}: {_os_message(exc)}"))
        raise typer.Exit(1) from None


def _os_message(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else t("os_a_file")
    why = exc.strerror or str(exc)  # the system's own words
    hint = {
        errno.ENOSPC: "os_hint_space",
        errno.EDQUOT: "os_hint_space",
        errno.EACCES: "os_hint_permissions",
        errno.EPERM: "os_hint_permissions",
        errno.EROFS: "os_hint_read_only",
        errno.EISDIR: "os_hint_folder",
    }.get(exc.errno or 0)
    return f"{where}: {why}" + (t("os_hint", hint=t(hint)) if hint else "")


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


PeriodArg = Annotated[Period, typer.Argument(parser=_period, metavar="YYYY-MM", help="The period (month).")]


def _format(text: str) -> str:
    from scorecard.report.tables import FORMATS

    if text not in FORMATS:
        raise typer.BadParameter(t("format_option"))
    return text


# --format of the read-only views (docs/terminal.md): a table for people, CSV or JSON for programs.
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format", parser=_format, metavar="table|csv|json", help="table (for people), csv or json (for programs)."
    ),
]


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
    from scorecard.workspace import Workspace

    if lang not in (None, "zh", "en"):
        raise typer.BadParameter(t("lang_option"))
    ctx.obj = Options(Workspace.at(workspace, config, inputs, out_dir, db), lang, user)
    # every message from here on in the language asked for (or the configuration's); see docs/language.md
    token = use_language(ctx.obj.language())
    ctx.call_on_close(lambda: reset_language(token))


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")]) -> None:
    """Create a workspace: default configuration, empty inputs/ and out/."""
    from scorecard.demo import init_workspace
    from scorecard.workspace import Workspace

    with reported(Options(Workspace.at(directory), None)):
        ws = init_workspace(directory)
    out.print(t("init_done", root=ws.root), markup=False)


@app.command()
def validate(ctx: typer.Context, period: PeriodArg) -> None:
    """Check a period's inputs; list every problem as file:line: column: message."""
    from scorecard import pipeline
    from scorecard.report import terminal

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
    format_: FormatOpt = "table",
) -> None:
    """Assess a month: scorecard.csv, notices.csv and manifest.json, recorded as the draft."""
    from scorecard import pipeline
    from scorecard.report import terminal

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
    said = out if format_ == "table" else err  # with --format csv/json stdout holds the data alone
    if result.discarded is not None:
        said.print(
            f"{t('draft_discarded', lang)}: {result.discarded.period} ({t('run_seq', run=result.discarded.run_seq)})"
        )
    for moved in result.moved:
        said.print(f"{t('moved_aside', lang)}: {moved}", markup=False)
    terminal.run_summary(out, result.record, lang, format_)
    said.print(f"{period} ({t('draft', lang)}): {t('written', lang)} {result.out_dir}", markup=False)


@app.command()
def explain(ctx: typer.Context, partner_id: str, period: PeriodArg, format_: FormatOpt = "table") -> None:
    """Show why a partner got its score and money: metrics, thresholds, rules, late tickets."""
    from scorecard.issues import InputError, Issue
    from scorecard.ledger import reading
    from scorecard.report import terminal

    opts: Options = ctx.obj
    with reported(opts):
        rec = reading.record(opts.workspace, period, partner_id)
        if rec["partner_results"].height == 0:
            raise InputError(
                [
                    Issue(
                        str(opts.workspace.db), None, None, t("partner_not_assessed", partner=partner_id, period=period)
                    )
                ]
            )
    terminal.explain(out, rec, opts.language(), format_)


@app.command()
def close(ctx: typer.Context, period: PeriodArg) -> None:
    """Freeze a month: it can never be rewritten (only the last closed one can be reopened)."""
    from scorecard import pipeline

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
    from scorecard import pipeline

    opts: Options = ctx.obj
    with reported(opts):
        discarded = pipeline.reopen(opts.workspace, period, reason, user=opts.user, discard_draft=discard_draft)
    lang = opts.language()
    if discarded is not None:
        out.print(f"{t('draft_discarded', lang)}: {discarded.period} ({t('run_seq', run=discarded.run_seq)})")
    out.print(f"{period}: {t('reopened', lang)}")


@app.command()
def status(ctx: typer.Context, format_: FormatOpt = "table") -> None:
    """Every month of the ledger (draft or closed, who ran and closed it, whether out/ matches) and the
    balances carried (held pending final settlement, absent partners' balances)."""
    from scorecard.report import terminal
    from scorecard.status import ledger_status

    opts: Options = ctx.obj
    with reported(opts):
        st = ledger_status(opts.workspace)
    terminal.status(out, st, opts.language(), format_)


@app.command()
def history(
    ctx: typer.Context,
    partner_id: str,
    last: Annotated[int | None, typer.Option(help="Only the last N periods.")] = None,
    format_: FormatOpt = "table",
) -> None:
    """A partner's months: metrics, breaches, status, held balance, payout."""
    from scorecard.ledger import reading
    from scorecard.report import terminal

    opts: Options = ctx.obj
    with reported(opts):
        rows = reading.history(opts.workspace, partner_id, last)
    terminal.history(out, partner_id, rows, opts.language(), format_)


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
    format_: FormatOpt = "table",
) -> None:
    """What would change under other rules, partner by partner; the ledger is not touched."""
    from scorecard.report import terminal
    from scorecard.report.simulation_xlsx import write_simulation
    from scorecard.simulate import simulate as run_simulation

    opts: Options = ctx.obj
    with reported(opts):
        sim = run_simulation(opts.workspace, period, rules, set_ or [])
    terminal.simulation(out, sim, opts.language(), show_all, format_)
    if xlsx is not None:
        write_simulation(sim, xlsx, opts.language())
        (out if format_ == "table" else err).print(f"{t('written', opts.language())} {xlsx}", markup=False)


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
    from scorecard.workspace import Workspace

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
    from scorecard.checks import check
    from scorecard.config import load_config
    from scorecard.issues import InputError
    from scorecard.report import terminal

    opts: Options = ctx.obj
    with reported(opts):
        loaded = load_config(opts.workspace.config)
        findings = check(loaded, [_period(p) for p in period] if period else None)
        if findings.has_errors:
            raise InputError(findings, "configuration errors")
    terminal.print_issues(err, findings.warnings, language())
    versions = ", ".join(t("ruleset_from", version=r.version, since=r.effective_from) for r in loaded.config.rulesets)
    out.print(t("config_ok", config=opts.workspace.config, versions=versions), markup=False)


@config_app.command("schema")
def config_schema() -> None:
    """Print the configuration's JSON Schema (for editor completion)."""
    from scorecard.config import json_schema

    out.print_json(json.dumps(json_schema(), ensure_ascii=False))


# --- sign-off, audit and payments (docs/sign-off-and-audit.md) -----------------------------------


@app.command()
def approve(ctx: typer.Context, period: PeriodArg) -> None:
    """Approve a month's draft for closing (by someone other than the one who ran it)."""
    from scorecard import pipeline

    opts: Options = ctx.obj
    with reported(opts):
        ok = pipeline.approve(opts.workspace, period, user=opts.user)
    out.print(f"{period} ({t('run_seq', run=ok.run_seq)}): {t('approved')} ({ok.approved_by}, {ok.approved_at})")


@app.command()
def log(
    ctx: typer.Context,
    period: Annotated[
        Period | None, typer.Option(parser=_period, metavar="YYYY-MM", help="Only this month's events.")
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """The event log: every change to the ledger, who made it, when and why, with its hash."""
    from scorecard.ledger import reading
    from scorecard.report import terminal

    if format_ not in ("table", "csv", "json"):
        raise typer.BadParameter(t("format_option"))
    opts: Options = ctx.obj
    with reported(opts):
        events = reading.log(opts.workspace, period)
    terminal.events(out, events, opts.language(), format_)


@app.command()
def verify(ctx: typer.Context) -> None:
    """Recompute the event log's hash chain and every closed month's digest; exit 1 at a difference."""
    from scorecard.ledger import reading

    opts: Options = ctx.obj
    with reported(opts):
        found, (last, digest) = reading.verify(opts.workspace)
    lang = opts.language()
    for finding in found:
        err.print(f"{t('error', lang)}: {finding}", markup=False, soft_wrap=True)
    if found:
        raise typer.Exit(1)
    out.print(f"{t('verified', lang)}: {tn('events_head', last, digest=digest)}")


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
    out.print(tn("payments_total", outcome.payments, total=format_fen(outcome.total)))


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
    from scorecard import pipeline

    if pay == forfeit:
        raise typer.BadParameter(t("pay_or_forfeit"))
    opts: Options = ctx.obj
    with reported(opts):
        d = pipeline.settle_terminated(opts.workspace, partner_id, "pay" if pay else "forfeit", reason, user=opts.user)
    out.print(f"{partner_id}: {t('final_settlement_recorded', period=d.period)}")


# Options of the whole program that take a value; they may be given before or after the command.
GLOBAL_OPTIONS = frozenset({"--workspace", "-w", "--config", "--inputs", "--out", "--db", "--lang", "--user"})


def hoist_global_options(argv: list[str]) -> list[str]:
    """``history X --lang en`` as ``--lang en history X``: the global options moved before the command
    (click reads them only there). Nothing after a ``--`` is touched."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            taken = 1 if "=" in arg else 2
            front += argv[i : i + taken]
            i += taken
            continue
        rest.append(arg)
        i += 1
    return front + rest


# --- disputes (docs/disputes.md) ------------------------------------------------------------------

dispute_app = typer.Typer(help="File, decide and list disputes of single records (申诉).", no_args_is_help=True)
app.add_typer(dispute_app, name="dispute")


@dispute_app.command("add")
def dispute_add(
    ctx: typer.Context,
    period: Annotated[Period, typer.Option(parser=_period, metavar="YYYY-MM", help="The disputed record's month.")],
    reason: Annotated[str, typer.Option(help="Why the record is disputed.")],
    ticket: Annotated[str | None, typer.Option(help="A ticket_id.")] = None,
    refund: Annotated[str | None, typer.Option(help="A refund_id.")] = None,
    conduct: Annotated[str | None, typer.Option(help="A conduct event's event_id.")] = None,
    correction: Annotated[
        str | None, typer.Option(help="tickets: invalid (default) or resolved_at=DATETIME; others: void.")
    ] = None,
    late: Annotated[bool, typer.Option(help="Accept the filing after the window.")] = False,
) -> None:
    """File a dispute of one ticket, refund or conduct event of a closed month or the open draft."""
    from datetime import UTC, datetime

    from scorecard.disputes.service import file_in
    from scorecard.issues import InputError, Issue
    from scorecard.ledger import reading

    opts: Options = ctx.obj
    given = [(k, v) for k, v in (("ticket", ticket), ("refund", refund), ("conduct", conduct)) if v is not None]
    with reported(opts):
        if len(given) != 1:
            raise InputError([Issue("dispute add", None, None, t("one_of_ticket_refund_conduct"))])
        kind, record_id = given[0]
        did = file_in(
            opts.workspace,
            period,
            kind,
            record_id,
            reason,
            reading.current_user(opts.user),
            datetime.now(UTC),
            late=late,
            correction=correction,
        )
    out.print(f"{did}: {t('dispute_filed', opts.language())} ({kind} {record_id}, {period})", markup=False)


@dispute_app.command("decide")
def dispute_decide(
    ctx: typer.Context,
    dispute_id: Annotated[str, typer.Argument(help="The dispute's id.")],
    note: Annotated[str, typer.Option(help="Why (recorded with the decision).")],
    accept: Annotated[bool, typer.Option("--accept", help="Accept the dispute.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the dispute.")] = False,
) -> None:
    """Accept or reject a pending dispute; it takes effect at the next run of the open month."""
    from datetime import UTC, datetime

    from scorecard.disputes.service import decide_in
    from scorecard.issues import InputError, Issue
    from scorecard.ledger import reading

    opts: Options = ctx.obj
    with reported(opts):
        if accept == reject:
            raise InputError([Issue("dispute decide", None, None, t("accept_or_reject"))])
        d = decide_in(opts.workspace, dispute_id, accept, note, reading.current_user(opts.user), datetime.now(UTC))
    out.print(
        f"{d.dispute_id}: {t('dispute_' + d.status, opts.language())} ({d.decided_by}, {d.decided_on})", markup=False
    )


@dispute_app.command("list")
def dispute_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="pending, accepted or rejected.")] = None,
    partner: Annotated[str | None, typer.Option(help="Only this partner's disputes.")] = None,
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """The dispute register: every dispute with its record, status, who filed and decided it."""
    from scorecard.disputes.service import list_in, render_list
    from scorecard.issues import InputError, Issue
    from scorecard.report import terminal

    opts: Options = ctx.obj
    with reported(opts):
        if format_ not in ("table", "csv", "json"):
            raise InputError(
                [Issue("dispute list", None, "--format", t("not_a_format", value=repr(format_)), "table, csv, json")]
            )
        rows = list_in(opts.workspace, status, partner)
    if format_ == "table":
        terminal.disputes(out, rows, opts.language())
    else:
        print(render_list(rows, format_), end="")


# --- partner portal (docs/portal.md) ---------------------------------------------------------------

portal_app = typer.Typer(help="The partner portal's accounts.", no_args_is_help=True)
portal_user_app = typer.Typer(help="Add, disable and list portal accounts.", no_args_is_help=True)
portal_app.add_typer(portal_user_app, name="user")
app.add_typer(portal_app, name="portal")


@portal_user_app.command("add")
def portal_user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account's login name.")],
    partner: Annotated[str | None, typer.Option(help="A partner account for this partner_id.")] = None,
    manager: Annotated[bool, typer.Option("--manager", help="A manager account.")] = False,
) -> None:
    """Add an account; prints its one-time password once (it must be changed at the first login)."""
    from scorecard.issues import InputError, Issue
    from scorecard.ledger import reading
    from scorecard.portal.service import add_user

    opts: Options = ctx.obj
    with reported(opts):
        if (partner is None) == (not manager):
            raise InputError([Issue("portal user add", None, None, t("partner_or_manager"))])
        password = add_user(opts.workspace, name, partner, reading.current_user(opts.user))
    role = f"{t('demo_portal_partner')} {partner}" if partner else t("demo_portal_manager")
    out.print(
        t("one_time_password", name=name, role=role, password=password),
        soft_wrap=True,
        markup=False,
    )


@portal_user_app.command("disable")
def portal_user_disable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """Disable an account: it can no longer log in, and its sessions end at once."""
    from scorecard.ledger import reading
    from scorecard.portal.service import disable_user

    opts: Options = ctx.obj
    with reported(opts):
        revoked = disable_user(opts.workspace, name, reading.current_user(opts.user))
    out.print(f"{name}: {tn('account_disabled', revoked)}", markup=False)


@portal_user_app.command("list")
def portal_user_list(ctx: typer.Context) -> None:
    """Every portal account: role, partner, whether it must change its password, disabled, locked."""
    from rich.table import Table

    from scorecard.portal.service import list_users

    opts: Options = ctx.obj
    with reported(opts):
        users = list_users(opts.workspace)
    table = Table(show_edge=False)
    for col in ("account_name", "account_role", "partner", "must_change", "disabled", "locked_until", "created"):
        table.add_column(t(col))
    for a in users:
        table.add_row(
            a.name,
            t("demo_portal_" + a.role),
            a.partner_id or "",
            t("yes") if a.must_change else "",
            a.disabled_at or "",
            a.locked_until or "",
            f"{a.created_by} {a.created_at}",
        )
    out.print(table)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve the partner portal over the workspace's ledger (partners and managers log in)."""
    from scorecard.portal.app import serve as run_server

    opts: Options = ctx.obj
    with reported(opts):
        run_server(opts.workspace, host, port)


# --- fines, caps and the watch list (docs/metrics-and-rules.md#watch-list) ---


@app.command("watch")
def watch_list(ctx: typer.Context, period: PeriodArg, format_: FormatOpt = "table") -> None:
    """The watch list of a month, from its record: partners one breaching month away from a
    stronger action, or within the watch margin of a threshold."""
    from scorecard.ledger import reading
    from scorecard.report import terminal

    opts: Options = ctx.obj
    with reported(opts):
        rec = reading.record(opts.workspace, period)
    terminal.watch(out, rec, opts.language(), fmt=format_)


# --- reports from the stored records (docs/reports.md) ---

report_app = typer.Typer(
    help="Reports read from the stored records: half-year bulletin, service analysis.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


@report_app.command("half-year")
def report_half_year(
    ctx: typer.Context,
    half: Annotated[str, typer.Argument(metavar="YYYYH1|YYYYH2", help="The half-year, e.g. 2026H1.")],
) -> None:
    """The half-year complaint bulletin (xlsx + HTML) from the half's closed months."""
    from scorecard.report.halfyear import write_half_year

    opts: Options = ctx.obj
    lang = opts.language()
    with reported(opts):
        h, xlsx, html = write_half_year(opts.workspace, half, lang)
    total = h.total()
    months, valid = tn("n_months", len(h.months), lang), tn("n_valid_complaints", total.valid, lang)
    out.print(f"{h.label}: {months}, {valid}")
    out.print(f"{t('report_written', lang)} {xlsx}")
    out.print(f"{t('report_written', lang)} {html}")


@report_app.command("service")
def report_service(
    ctx: typer.Context,
    period: PeriodArg,
    partner: Annotated[str | None, typer.Option(help="Only this partner's report.")] = None,
) -> None:
    """The service analysis report of a month (xlsx): requests, resolution and first-time rates,
    unfinished tickets, satisfaction, the complaint list."""
    from scorecard.report.service import write_service

    opts: Options = ctx.obj
    lang = opts.language()
    with reported(opts):
        path, partners = write_service(opts.workspace, period, lang, partner)
    out.print(f"{period}: {tn('n_partners', len(partners), lang)}; {t('report_written', lang)} {path}")


def main() -> None:
    import sys

    app(args=hoist_global_options(sys.argv[1:]), prog_name="scorecard")
