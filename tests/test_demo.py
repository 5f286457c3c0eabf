"""`scorecard demo`: the whole product in one command, from a fresh directory."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import FIXTURES, MONTHS
from typer.testing import CliRunner

from scorecard.cli import app
from scorecard.config import default_config_path, load_config

SCORECARD = str(Path(sys.executable).with_name("scorecard"))
ROOT = Path(__file__).resolve().parents[1]

# fixtures/README.md, "Rule coverage": every breach in the data, (partner, month).
BREACHES = {
    "c-complaint-rate": {
        ("SI-0003", "2026-01"),
        ("SI-0003", "2026-02"),
        ("SI-0003", "2026-03"),
        ("SI-0005", "2026-01"),
        ("SI-0005", "2026-02"),
        ("SI-0017", "2026-02"),
        ("SI-0023", "2026-04"),
        ("SI-0009", "2026-05"),
        ("SI-0021", "2026-05"),
        ("SI-0013", "2026-06"),
    },
    "c-on-time": {("SI-0007", "2026-02"), ("SI-0009", "2026-05"), ("SI-0009", "2026-06")},
    "emp-complaints": {
        ("SI-0004", "2026-02"),
        ("SI-0004", "2026-03"),
        ("SI-0004", "2026-04"),
        ("SI-0008", "2026-03"),
        ("SI-0008", "2026-04"),
        ("SI-0008", "2026-06"),
    },
    "major-complaints": {("SI-0006", "2026-03"), ("SI-0027", "2026-06")},
    "cost-over-revenue": {("SI-0025", "2026-04")},
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``scorecard demo DIR`` run by the console script from a fresh, unrelated directory."""
    cwd = tmp_path_factory.mktemp("elsewhere")
    proc = subprocess.run(
        [SCORECARD, "demo", "my-demo"], cwd=cwd, check=False, capture_output=True, text=True, timeout=300
    )
    return cwd / "my-demo", proc


def test_demo_runs_from_a_fresh_directory(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, proc = demo_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert (root / "config" / "scorecard.toml").is_file()
    for month in MONTHS:
        assert month in proc.stdout
        assert (root / "inputs" / month).is_dir()
        for name in ("scorecard.csv", "notices.csv", "manifest.json"):
            path = root / "out" / month / name
            assert path.is_file() and path.stat().st_size > 0, path
    conn = sqlite3.connect(f"{(root / 'scorecard.db').resolve().as_uri()}?mode=ro", uri=True)
    try:
        periods = conn.execute("SELECT period, status FROM periods ORDER BY period").fetchall()
    finally:
        conn.close()
    assert periods == [(m, "closed") for m in MONTHS]
    assert not list((root / "out").glob(".*")), "temporary folders left behind"


def test_every_default_rule_fires_somewhere_and_not_for_most(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, proc = demo_run
    assert proc.returncode == 0, proc.stderr
    default_rules = {rule.id for rs in load_config(default_config_path()).config.rulesets for rule in rs.rules}
    assert default_rules == set(BREACHES)

    breaches: dict[str, set[tuple[str, str]]] = defaultdict(set)
    applicable: dict[str, int] = defaultdict(int)
    modes = {rule.id: set(rule.modes) for rs in load_config(default_config_path()).config.rulesets for rule in rs.rules}
    for month in MONTHS:
        with open(root / "out" / month / "scorecard.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for rule, rule_modes in modes.items():
            in_mode = [r for r in rows if r["mode"] in rule_modes]
            hit = [r for r in in_mode if rule in r["breached_rules"].split(";")]
            assert len(hit) * 2 < len(in_mode), f"{rule} breached by most partners in {month}"
            applicable[rule] += len(in_mode)
        for r in rows:
            for rule in filter(None, r["breached_rules"].split(";")):
                breaches[rule].add((r["partner_id"], month))

    for rule in sorted(default_rules):
        assert breaches[rule], f"{rule} never fires in the demo"
    assert dict(breaches) == BREACHES


def test_demo_ends_with_statements_and_the_finance_workbook(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """The demo runs the months in order, "ending with statements and the finance workbook"."""
    root, proc = demo_run
    assert proc.returncode == 0, proc.stderr
    last = root / "out" / MONTHS[-1]
    workbooks = [p for p in last.rglob("*.xlsx") if "statements" not in p.parts]
    assert workbooks, f"no finance workbook in {last}: {sorted(p.name for p in last.rglob('*'))}"
    with open(last / "scorecard.csv", encoding="utf-8-sig") as fh:
        partners = sum(1 for _ in fh) - 1
    pages = list(last.rglob("*.html"))
    assert len(pages) == partners, f"{len(pages)} statement pages for {partners} partners"


def test_demo_does_not_delete_a_folder_it_did_not_make(tmp_path: Path) -> None:
    """``scorecard demo DIR`` on an existing folder of the user's must not wipe it."""
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "notes.txt").write_text("a year of work", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", str(precious)])
    assert (precious / "notes.txt").is_file(), f"demo deleted the folder's files (exit {result.exit_code})"
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output


def test_demo_again_into_its_own_folder(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    """Running the demo again over a demo workspace replaces it (the ledger starts afresh)."""
    root, proc = demo_run
    assert proc.returncode == 0, proc.stderr
    again = tmp_path / "again"
    shutil.copytree(root, again)
    before = (again / "out" / MONTHS[-1] / "scorecard.csv").read_bytes()
    result = CliRunner().invoke(app, ["demo", str(again)])
    assert result.exit_code == 0, result.output
    assert (again / "out" / MONTHS[-1] / "scorecard.csv").read_bytes() == before


def test_demo_finds_its_fixtures_when_installed(tmp_path: Path) -> None:
    """The demo uses "the shipped fixtures": they must come with the package, not only with a
    source checkout. setuptools lays the package out as a wheel would install it (its packages
    and package data, nothing else); the demo's fixtures are looked up from a folder without
    ``fixtures/``."""
    project = tmp_path / "project"
    for name in ("src", "fixtures"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    site = tmp_path / "site"
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(site),
        ],
        cwd=project,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr[-2000:]

    work = tmp_path / "work"
    work.mkdir()
    code = textwrap.dedent(
        f"""
        from scorecard.demo import find_fixtures
        import scorecard
        assert scorecard.__file__.startswith({str(site)!r}), scorecard.__file__
        print(find_fixtures(None))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = Path(proc.stdout.strip()).resolve()
    assert site.resolve() in found.parents, f"the fixtures were not found in the installed package: {found}"
    for month in MONTHS:
        assert sorted(p.name for p in (found / "inputs" / month).iterdir()) == sorted(
            p.name for p in (FIXTURES / "inputs" / month).iterdir()
        )
    assert (found / "demo.toml").is_file()
