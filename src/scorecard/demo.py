"""`scorecard init` and `scorecard demo`: a workspace, and the whole product on the shipped fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console

from scorecard import pipeline
from scorecard.config import default_config_path, load_config
from scorecard.i18n import t, tn
from scorecard.issues import InputError, Issue
from scorecard.ledger import reading
from scorecard.periods import Period
from scorecard.report import terminal
from scorecard.report.finance import export_finance, summary_lines
from scorecard.report.statements import statements, summary_line
from scorecard.workspace import Workspace


def init_workspace(root: Path, extra_config: str = "") -> Workspace:
    ws = Workspace.at(root)
    if ws.config.exists():
        raise InputError([Issue(str(ws.config), None, None, t("workspace_exists"))])
    ws.config.parent.mkdir(parents=True, exist_ok=True)
    ws.inputs.mkdir(parents=True, exist_ok=True)
    ws.out.mkdir(parents=True, exist_ok=True)
    ws.config.write_text(default_config_path().read_text(encoding="utf-8") + extra_config, encoding="utf-8")
    return ws


MARKER = ".scorecard-demo"
DEMO_USER = "demo-manager"  # who the demo's ledger says ran its months
DEMO_CHECKER = "demo-finance"  # who approved and closed them: maker–checker needs a second person


def find_fixtures(explicit: Path | None) -> Path:
    """The fixtures folder: given, or the one shipped in the package (the repository's fixtures/)."""
    import scorecard.fixtures

    folder = explicit or Path(scorecard.fixtures.__path__[0])
    if not (folder / "inputs").is_dir():
        raise InputError([Issue(str(folder), None, None, t("no_fixtures"), t("no_fixtures_expected"))])
    return folder


def _fresh(root: Path) -> None:
    """Replace an earlier demo workspace; never delete a folder the demo did not make."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise InputError(
                [
                    Issue(
                        str(root),
                        None,
                        None,
                        t("not_a_demo_folder"),
                        t("not_a_demo_folder_expected"),
                    )
                ]
            )
        shutil.rmtree(root)


def _reports(ws: Workspace, periods: list[Period], lang: str, console: Console) -> None:
    """The latest watch list, the half-year bulletin of each complete half, and the
    last month's service analysis report (docs/reports.md)."""
    from scorecard.report.halfyear import write_half_year
    from scorecard.report.service import write_service

    # the watch list of the latest month that has one
    for period in reversed(periods):
        rec = reading.record(ws, period)
        if rec["watch"].height:
            terminal.watch(console, rec, lang)
            break
    halves = sorted({f"{p.year}H{1 if p.month <= 6 else 2}" for p in periods})
    for half in halves:
        months = [p for p in periods if f"{p.year}H{1 if p.month <= 6 else 2}" == half]
        if len(months) == 6:
            _, _, html = write_half_year(ws, half, lang)
            console.print(f"{t('report_written', lang)} {html}")
    path, _ = write_service(ws, periods[-1], lang)
    console.print(f"{t('report_written', lang)} {path}")


def run_demo(root: Path, fixtures: Path | None, console: Console) -> Workspace:
    """Fresh workspace at ``root`` from the fixtures; run and close every month in order."""
    source = find_fixtures(fixtures)
    _fresh(root)
    demo_config = source / "demo.toml"
    extra = "\n# --- demo additions ---\n" + demo_config.read_text(encoding="utf-8") if demo_config.exists() else ""
    ws = init_workspace(root, extra)
    (root / MARKER).write_text("made by scorecard demo: the next demo run replaces this folder\n", encoding="utf-8")
    shutil.rmtree(ws.inputs)
    shutil.copytree(source / "inputs", ws.inputs)
    periods = sorted(Period.parse(p.name) for p in ws.inputs.iterdir() if p.is_dir())
    lang = load_config(ws.config).config.general.language
    notable = []
    for period in periods:
        outcome = pipeline.run(ws, period, user=DEMO_USER)
        rec = outcome.record
        counts = rec.counts()
        breached = rec.breached_rules()
        rules = sorted({rule for rs in breached.values() for rule in rs})
        console.print(
            t(
                "demo_month",
                lang,
                period=period,
                version=rec.info.ruleset_version,
                partners=tn("n_partners", counts["partners_assessed"], lang),
                on_hold=counts["on_hold"],
                terminated=counts["terminated"],
                warnings=tn("n_warnings", len(outcome.warnings), lang),
                breached=", ".join(rules) or "—",
            ),
            markup=False,
        )
        pipeline.approve(ws, period, user=DEMO_CHECKER)
        pipeline.close(ws, period, user=DEMO_CHECKER)
        notable += [
            (period, r, breached.get(r["partner_id"], []))
            for r in rec.rows("partner_results")
            if breached.get(r["partner_id"]) or r["status"] != "active" or r["released"]
        ]
    terminal.notable(console, notable, lang)
    console.print("\n".join(summary_lines(export_finance(ws, periods[-1], lang), lang)))
    console.print(summary_line(statements(ws, periods[-1], lang), lang))
    _reports(ws, periods, lang, console)
    _portal(ws, lang, console)
    # a command to copy: never folded at the terminal's width
    console.print(t("demo_workspace", lang, root=ws.root, period=periods[-1]), markup=False, soft_wrap=True)
    return ws


# The demo's portal accounts: one partner and one manager, with their one-time passwords shown once.
DEMO_ACCOUNTS = (("si-0009", "SI-0009"), ("checker", None))


def _portal(ws: Workspace, lang: str, console: Console) -> None:
    """The partner portal set up on the demo workspace: two accounts, and how to start it."""
    from scorecard.portal.service import add_user

    console.print(t("demo_portal_accounts", lang), markup=False)
    for name, partner in DEMO_ACCOUNTS:
        password = add_user(ws, name, partner, DEMO_USER)
        who = f"{t('demo_portal_partner', lang)} {partner}" if partner else t("demo_portal_manager", lang)
        console.print(f"  {name} ({who}): {password}", markup=False)
    console.print(
        f"  {t('demo_portal_start', lang)}: scorecard -w {ws.root} serve  → http://127.0.0.1:8080/", markup=False
    )
