"""Start-up cost of the command line: the modules that load, validate, assess and write a month
(and the libraries only they use) are imported by the commands that need them, not by
``import scorecard.cli``, so that ``--help`` and the commands that only read start quickly; ``--help``
needs neither the configuration nor polars.

Each check runs in a fresh interpreter: this test session has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scorecard.workspace import Workspace

# What a run needs and a read-only command does not.
RUN_ONLY = (
    "scorecard.pipeline",
    "scorecard.inputs.load",
    "scorecard.inputs.files",
    "scorecard.checks",
    "scorecard.assess",
    "scorecard.corrections",
    "scorecard.engine",
    "fastexcel",
    "holidays",
)
# Also left out by import alone and by --help: what only some commands write with, and what every
# command but --help needs (the configuration, data frames, the views).
NOT_FOR_HELP = ("xlsxwriter", "jinja2", "polars", "pydantic", "scorecard.config", "scorecard.report.terminal")

# Runs one command (or none) in this interpreter, then writes which of the given modules it imported.
PROBE = """
import json, sys
out, names, args = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
from scorecard.cli import app
code = None
if args:
    try:
        app(args=args, prog_name="scorecard")
    except SystemExit as exc:
        code = exc.code
with open(out, "w", encoding="utf-8") as f:
    json.dump({"code": code, "cli": "scorecard.cli" in sys.modules,
               "loaded": sorted(n for n in names if n in sys.modules)}, f)
"""


def probe(tmp_path: Path, names: tuple[str, ...], *args: str) -> dict[str, Any]:
    out = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), ",".join(names), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_importing_the_cli_imports_only_what_building_the_commands_needs(tmp_path: Path) -> None:
    found = probe(tmp_path, RUN_ONLY + NOT_FOR_HELP)
    assert found == {"code": None, "cli": True, "loaded": []}


def test_help_imports_only_what_building_the_commands_needs(tmp_path: Path) -> None:
    found = probe(tmp_path, RUN_ONLY + NOT_FOR_HELP, "--help")
    assert found == {"code": 0, "cli": True, "loaded": []}


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("history", "SI-0001"),
        ("log",),
        ("verify",),
        ("explain", "SI-0001", "2026-01"),
        ("watch", "2026-01"),
        ("export", "finance", "2026-01"),
    ],
    ids=" ".join,
)
def test_a_command_that_reads_the_ledger_imports_no_run(
    feb_ws: Workspace, tmp_path: Path, args: tuple[str, ...]
) -> None:
    found = probe(tmp_path, RUN_ONLY, "-w", str(feb_ws.root), *args)
    assert found == {"code": 0, "cli": True, "loaded": []}


def test_the_probe_sees_a_run_import_its_modules(feb_ws: Workspace, tmp_path: Path) -> None:
    """The probe can tell: a command that assesses does import them."""
    found = probe(tmp_path, RUN_ONLY, "-w", str(feb_ws.root), "validate", "2026-03")
    assert found["code"] == 0
    assert {"scorecard.pipeline", "scorecard.inputs.load", "scorecard.inputs.files"} <= set(found["loaded"])
