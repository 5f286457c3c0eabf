"""The command line, end to end: every command through ``CliRunner`` against ``scorecard.cli.app``,
exit codes 0 / 1 / 2, both languages, and the installed console script once for real."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer.main
from conftest import FIXTURES, MONTHS, new_workspace, tree_bytes
from typer.testing import CliRunner, Result

from scorecard.cli import app
from scorecard.workspace import Workspace

SCORECARD = str(Path(sys.executable).with_name("scorecard"))


def cli(*args: str, columns: int = 200) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})


def ok(result: Result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}:\n{result.output}\n{result.exception!r}"
    return result.output


def fails(result: Result, code: int = 1) -> str:
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}:\n{result.output}\n{result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def fresh_ws(tmp_path: Path) -> Workspace:
    """Default configuration + demo.toml, every month's inputs, no ledger."""
    return new_workspace(tmp_path / "ws")


# --- help ---------------------------------------------------------------------------------------


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if hasattr(command, "commands"):  # a group
            paths += _command_paths(command, (*prefix, name))
    return paths


REGISTERED = _command_paths(typer.main.get_command(app))
SPEC_COMMANDS = [
    ("init",),
    ("demo",),
    ("validate",),
    ("run",),
    ("explain",),
    ("close",),
    ("reopen",),
    ("history",),
    ("simulate",),
    ("export", "finance"),
    ("statements",),
    ("config", "check"),
    ("config", "schema"),
]


@pytest.mark.parametrize("path", [(), *REGISTERED], ids=lambda p: " ".join(p) or "scorecard")
def test_help(path: tuple[str, ...]) -> None:
    text = ok(cli(*path, "--help"))
    assert "Usage:" in text
    assert "--help" in text


def test_every_command_of_the_spec_is_there() -> None:
    """the README's Commands section lists these commands; each has help text."""
    missing = [" ".join(p) for p in SPEC_COMMANDS if p not in REGISTERED]
    assert not missing, f"commands of the README's Commands section not in the CLI: {missing}"
    group = typer.main.get_command(app)
    for path in SPEC_COMMANDS:
        command: Any = group
        for name in path:
            command = command.commands[name]
        assert (command.help or "").strip(), f"{' '.join(path)} has no help text"


# --- init and config ----------------------------------------------------------------------------


def test_init_creates_the_layout_and_config_check_passes(tmp_path: Path) -> None:
    root = tmp_path / "new"
    ok(cli("init", str(root)))
    assert (root / "config" / "scorecard.toml").is_file()
    assert (root / "inputs").is_dir() and not list((root / "inputs").iterdir())
    assert (root / "out").is_dir()
    assert not (root / "scorecard.db").exists()  # the ledger comes with the first run
    text = ok(cli("--lang", "en", "-w", str(root), "config", "check"))
    assert "OK" in text

    config_before = sha256(root / "config" / "scorecard.toml")
    assert "already exists" in fails(cli("--lang", "en", "init", str(root)))
    assert sha256(root / "config" / "scorecard.toml") == config_before


def test_config_check_reports_a_bad_configuration(tmp_path: Path) -> None:
    root = tmp_path / "new"
    ok(cli("init", str(root)))
    config = root / "config" / "scorecard.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[nonsense]\nkey = 1\n", encoding="utf-8")
    text = fails(cli("-w", str(root), "config", "check"))
    assert "nonsense" in text


@pytest.mark.parametrize("columns", [200, 40])
def test_config_schema_prints_json_schema(columns: int) -> None:
    result = cli("config", "schema", columns=columns)
    schema = json.loads(ok(result))  # valid JSON even in a narrow terminal
    assert schema["type"] == "object"
    assert "rulesets" in schema["properties"]
    assert "$defs" in schema or "definitions" in schema


# --- validate -----------------------------------------------------------------------------------


def test_validate_good_month(fresh_ws: Workspace) -> None:
    text = ok(cli("--lang", "en", "-w", str(fresh_ws.root), "validate", "2026-03"))
    assert "inputs are valid" in text
    assert not fresh_ws.db.exists()  # validating never creates the ledger
    assert not list(fresh_ws.out.iterdir())


def test_validate_bad_month_lists_every_error(fresh_ws: Workspace) -> None:
    folder = fresh_ws.inputs / "2026-01"
    settlement = folder / "settlement.csv"
    lines = settlement.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].split(",")[0] + ',"1,234.00"\n'
    lines[3] = lines[3].split(",")[0] + ",12.345\n"
    settlement.write_text("".join(lines), encoding="utf-8")
    (folder / "billing.csv").unlink()

    text = fails(cli("--lang", "en", "-w", str(fresh_ws.root), "validate", "2026-01"))
    assert "settlement.csv:3: gross_amount: " in text
    assert "settlement.csv:4: gross_amount: " in text
    assert "billing" in text
    assert "errors found" in text
    assert not fresh_ws.db.exists()


def test_validate_without_inputs(fresh_ws: Workspace) -> None:
    text = fails(cli("-w", str(fresh_ws.root), "validate", "2027-01"))
    assert "2027-01" in text


# --- run, explain, history, close, reopen -------------------------------------------------------


def test_run_close_reopen(fresh_ws: Workspace) -> None:
    ws = str(fresh_ws.root)
    text = ok(cli("--lang", "en", "-w", ws, "run", "2026-01"))
    assert "SI-0005" in text and "written" in text
    for name in ("scorecard.csv", "notices.csv", "manifest.json"):
        assert (fresh_ws.out / "2026-01" / name).is_file()
    ok(cli("--lang", "en", "-w", ws, "--user", "checker", "approve", "2026-01"))
    assert "closed" in ok(cli("--lang", "en", "-w", ws, "close", "2026-01"))
    assert "already closed" in fails(cli("--lang", "en", "-w", ws, "close", "2026-01"))
    fails(cli("--lang", "en", "-w", ws, "reopen", "2026-01"), code=2)  # --reason is required
    assert "reopened" in ok(cli("--lang", "en", "-w", ws, "reopen", "2026-01", "--reason", "late refund file"))
    ok(cli("--lang", "en", "-w", ws, "run", "2026-01"))
    ok(cli("--lang", "en", "-w", ws, "--user", "checker", "approve", "2026-01"))
    ok(cli("--lang", "en", "-w", ws, "close", "2026-01"))
    ok(cli("--lang", "en", "-w", ws, "run", "2026-02"))


def _late_tickets(month: str, partner: str) -> set[str]:
    """An independent count: valid tickets not resolved within 24 h (every window is 24 h here)."""
    late = set()
    with open(FIXTURES / "inputs" / month / "complaints.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["partner_id"] != partner or row["valid"] not in ("1", "true", "y", "yes", "是"):
                continue
            received = datetime.fromisoformat(row["received_at"])
            resolved = datetime.fromisoformat(row["resolved_at"]) if row["resolved_at"] else None
            if resolved is None or resolved > received + timedelta(hours=24):
                late.add(row["ticket_id"])
    return late


def test_explain(demo_ws: Workspace) -> None:
    db_before = sha256(demo_ws.db)
    text = ok(cli("--lang", "en", "-w", str(demo_ws.root), "explain", "SI-0005", "2026-02"))
    rule_line = next(line for line in text.splitlines() if "c-complaint-rate" in line)
    assert "6.0277" in rule_line  # 61 / 101,200 × 10,000
    assert ">= 5" in rule_line  # the threshold of rule set 2026.1
    assert "yes" in rule_line  # breached
    assert "hold until compliant" in rule_line
    late = _late_tickets("2026-02", "SI-0005")
    assert late, "the fixture has late tickets for SI-0005 in 2026-02"
    assert f"({len(late)})" in text
    for ticket in late:
        assert ticket in text
    assert "123706.91" in text  # held closing
    assert sha256(demo_ws.db) == db_before

    # Under rule set 2026.2 the threshold is 4.
    text = ok(cli("--lang", "en", "-w", str(demo_ws.root), "explain", "SI-0023", "2026-04"))
    assert ">= 4" in next(line for line in text.splitlines() if "c-complaint-rate" in line)


def test_explain_errors(demo_ws: Workspace, fresh_ws: Workspace) -> None:
    fails(cli("-w", str(demo_ws.root), "explain", "SI-0003", "2026-05"))  # terminated before: not assessed
    fails(cli("-w", str(demo_ws.root), "explain", "SI-0005", "2026-08"))  # not run
    fails(cli("-w", str(fresh_ws.root), "explain", "SI-0005", "2026-01"))  # no ledger
    # Inputs changed or gone since the month was closed: explain shows the record, as it was assessed.
    settlement = demo_ws.inputs / "2026-02" / "settlement.csv"
    settlement.write_text(
        settlement.read_text(encoding="utf-8").replace("SI-0005,62172.62", "SI-0005,62172.63"),
        encoding="utf-8",
    )
    assert "62172.62" in ok(cli("--lang", "en", "-w", str(demo_ws.root), "explain", "SI-0005", "2026-02"))
    shutil.rmtree(demo_ws.inputs / "2026-02")
    assert "62172.62" in ok(cli("--lang", "en", "-w", str(demo_ws.root), "explain", "SI-0005", "2026-02"))


def test_history(demo_ws: Workspace) -> None:
    text = ok(cli("--lang", "en", "-w", str(demo_ws.root), "history", "SI-0005"))
    assert "SI-0005" in text
    rows = [line for line in text.splitlines() if line.strip("│ ").startswith("2026-")]
    assert [row.strip("│ ")[:7] for row in rows] == MONTHS
    assert "123706.91" in rows[1] and "c-complaint-rate" in rows[1]  # held at the end of 2026-02
    assert "184586.91" in rows[2]  # released with the 2026-03 payout
    text = ok(cli("--lang", "en", "-w", str(demo_ws.root), "history", "SI-0005", "--last", "2"))
    assert [line.strip("│ ")[:7] for line in text.splitlines() if line.strip("│ ").startswith("2026-")] == MONTHS[-2:]
    fails(cli("-w", str(demo_ws.root), "history", "SI-9999"))


def test_simulate_changes_si_0021_and_leaves_the_ledger(demo_ws: Workspace) -> None:
    db_before, out_before = sha256(demo_ws.db), tree_bytes(demo_ws.out)
    text = ok(
        cli(
            "--lang",
            "en",
            "-w",
            str(demo_ws.root),
            "simulate",
            "2026-05",
            "--set",
            "rules.c-complaint-rate.threshold=5",
        )
    )
    changed = [line for line in text.splitlines() if line.startswith("SI-")]  # piped: the plain layout
    assert [line.split()[0] for line in changed] == ["SI-0021"]  # 4.5 per 10k: fine under 5
    assert "on hold → active" in changed[0]
    assert "36183.97" in changed[0]
    assert "1 / 40" in text
    assert sha256(demo_ws.db) == db_before
    assert tree_bytes(demo_ws.out) == out_before
    assert not Path(f"{demo_ws.db}-journal").exists()

    fails(cli("-w", str(demo_ws.root), "simulate", "2026-05", "--set", "rules.no-such-rule.threshold=5"))
    fails(cli("-w", str(demo_ws.root), "simulate", "2026-05", "--set", "not an assignment"))
    assert sha256(demo_ws.db) == db_before


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("en", ["History", "Period", "Score", "on hold", "active"]),
        ("zh", ["历史记录", "考核期", "考核得分", "暂停结算", "正常"]),
    ],
)
def test_languages(demo_ws: Workspace, lang: str, labels: list[str]) -> None:
    text = ok(cli("--lang", lang, "-w", str(demo_ws.root), "history", "SI-0005"))
    for label in labels:
        assert label in text, f"{label!r} missing in --lang {lang}"
    other = ["历史记录", "暂停结算"] if lang == "en" else ["History", "on hold"]
    for label in other:
        assert label not in text


@pytest.mark.parametrize(
    ("lang", "labels"),
    [("en", ["Assessment", "Partner ID", "Payout"]), ("zh", ["考核结果", "合作伙伴编号", "实付金额"])],
)
def test_run_summary_languages(fresh_ws: Workspace, lang: str, labels: list[str]) -> None:
    text = ok(cli("--lang", lang, "-w", str(fresh_ws.root), "run", "2026-01"))
    for label in labels:
        assert label in text


def test_errors_in_english_and_chinese(fresh_ws: Workspace) -> None:
    (fresh_ws.inputs / "2026-01" / "billing.csv").unlink()
    assert "error" in fails(cli("--lang", "en", "-w", str(fresh_ws.root), "run", "2026-01"))
    assert "错误" in fails(cli("--lang", "zh", "-w", str(fresh_ws.root), "run", "2026-01"))


# --- usage errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["run", "2026-13"],
        ["run", "2026-1"],
        ["run", "26-01"],
        ["run"],
        ["close", "2026-00"],
        ["explain", "SI-0005", "2026-13"],
        ["history"],
        ["reopen", "2026-01"],
        ["simulate", "2026-13"],
        ["--lang", "fr", "history", "SI-0005"],
        ["no-such-command"],
        ["run", "2026-01", "--no-such-option"],
    ],
    ids=" ".join,
)
def test_usage_errors_exit_2(demo_ws: Workspace, args: list[str]) -> None:
    db_before = sha256(demo_ws.db)
    result = cli("-w", str(demo_ws.root), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert sha256(demo_ws.db) == db_before


# --- the console script -------------------------------------------------------------------------


def test_console_script(fresh_ws: Workspace) -> None:
    proc = subprocess.run(
        [SCORECARD, "--lang", "en", "-w", str(fresh_ws.root), "run", "2026-01"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "written" in proc.stdout
    assert (fresh_ws.out / "2026-01" / "scorecard.csv").is_file()

    proc = subprocess.run(
        [SCORECARD, "-w", str(fresh_ws.root), "run", "2026-13"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "2026-13" in proc.stderr and "Traceback" not in proc.stderr


def test_global_options_before_or_after_the_command(demo_ws: Workspace) -> None:
    from scorecard.cli import hoist_global_options

    assert hoist_global_options(["history", "SI-0009", "--lang", "en", "-w", "ws"]) == [
        "--lang",
        "en",
        "-w",
        "ws",
        "history",
        "SI-0009",
    ]
    assert hoist_global_options(["run", "2026-08", "--user=ana", "--discard-draft"]) == [
        "--user=ana",
        "run",
        "2026-08",
        "--discard-draft",
    ]
    assert hoist_global_options(["explain", "--", "--lang"]) == ["explain", "--", "--lang"]
    # the console script, as a user types it
    exe = Path(sys.executable).parent / "scorecard"
    after = subprocess.run(
        [str(exe), "history", "SI-0009", "--lang", "en", "-w", str(demo_ws.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    before = subprocess.run(
        [str(exe), "--lang", "en", "-w", str(demo_ws.root), "history", "SI-0009"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert after.returncode == 0 and after.stdout == before.stdout and "SI-0009" in after.stdout
