"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecard.inputs.load import LoadSettings, PeriodInputs, load_period
from scorecard.periods import Period

# A valid period 2026-03: one C partner, one EMP partner. Tests replace one table.
BASELINE = {
    "partners": "partner_id,partner_name,mode\nP1,Alpha,C\nP2,Beta,EMP\n",
    "billing": "partner_id,billed_users,group_customers\nP1,20000,\nP2,,12\n",
    "complaints": (
        "ticket_id,partner_id,received_at,resolved_at\n"
        "T1,P1,2026-03-02 09:00,2026-03-02 17:30\n"
        "T2,P2,2026-03-05 10:00,\n"
    ),
    "settlement": "partner_id,gross_amount\nP1,10000.00\nP2,5000\n",
}
EVENT_TYPES = frozenset({"attitude", "delay"})


class InputsFolder:
    """A period folder in tmp_path holding the baseline tables as CSV."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        for table, text in BASELINE.items():
            self.csv(table, text)

    def path(self, name: str) -> Path:
        return self.folder / name

    def _clear(self, table: str) -> None:
        for ext in (".csv", ".parquet", ".xlsx"):
            self.path(table + ext).unlink(missing_ok=True)

    def csv(self, table: str, text: str, encoding: str = "utf-8") -> Path:
        """Replace ``table`` by a CSV file with ``text``."""
        return self.raw(table + ".csv", text.encode(encoding))

    def raw(self, name: str, data: bytes) -> Path:
        self._clear(name.rsplit(".", 1)[0])
        path = self.path(name)
        path.write_bytes(data)
        return path

    def load(self, **settings: object) -> PeriodInputs:
        settings.setdefault("event_types", EVENT_TYPES)
        return load_period(self.folder, Period(2026, 3), LoadSettings(**settings))  # type: ignore[arg-type]

    def errors(self, **settings: object) -> list[str]:
        return [str(i) for i in self.load(**settings).issues.errors]

    def warnings(self, **settings: object) -> list[str]:
        return [str(i) for i in self.load(**settings).issues.warnings]


@pytest.fixture
def inputs(tmp_path: Path) -> InputsFolder:
    return InputsFolder(tmp_path / "2026-03")


# --- end-to-end workspaces (test_pipeline.py, test_cli.py, test_demo.py) ------------------------

import io  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402

from rich.console import Console  # noqa: E402

from scorecard import pipeline  # noqa: E402
from scorecard.demo import init_workspace, run_demo  # noqa: E402
from scorecard.workspace import Workspace  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MONTHS = sorted(p.name for p in (FIXTURES / "inputs").iterdir() if p.is_dir())


def demo_config_extra() -> str:
    """What ``scorecard demo`` appends to the default configuration."""
    return "\n# --- demo additions ---\n" + (FIXTURES / "demo.toml").read_text(encoding="utf-8")


def new_workspace(root: Path, months: list[str] | None = None) -> Workspace:
    """A workspace like the demo's (default configuration + demo.toml), the fixtures' inputs, nothing run."""
    ws = init_workspace(root, demo_config_extra())
    for month in months if months is not None else MONTHS:
        shutil.copytree(FIXTURES / "inputs" / month, ws.inputs / month)
    return ws


CHECKER = "checker"  # approves what the tests run as the login user (maker–checker)


def approve_and_close(ws: Workspace, period: Period) -> None:
    """Close a month the way the product requires: approved by another user first."""
    pipeline.approve(ws, period, user=CHECKER)
    pipeline.close(ws, period, user=CHECKER)


def copy_workspace(template: Path, root: Path) -> Workspace:
    shutil.copytree(template, root)
    return Workspace.at(root)


def ledger_dump(db: Path, *, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the ledger, sorted, without the audit trail (events, approvals, digests) and the
    run/close timestamps.

    ``skip`` drops more tables or columns, written ``table`` or ``table.column``.
    """
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        dump: dict[str, list[tuple[object, ...]]] = {}
        for table in tables:
            # the audit trail, and the portal's own tables (accounts the demo makes): not the record
            if table in {"events", "sqlite_sequence", "approvals", "record_digests", *skip} or table.startswith(
                "portal_"
            ):
                continue
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            keep = [
                c
                for c in cols
                if c not in {"run_at", "closed_at", "applied_at", "run_seq"} and f"{table}.{c}" not in skip
            ]
            rows = conn.execute(f"SELECT {', '.join(keep)} FROM {table}").fetchall()
            dump[table] = sorted(rows, key=repr)
        return dump
    finally:
        conn.close()


def tree_bytes(folder: Path, *, stamps: bool = False) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included), by relative path; without the stamps
    that name the run a folder was rendered from (a re-run is a new run) unless ``stamps``."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and (stamps or p.name != ".record.json")
    }


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, run once per session (all seven months run and closed). Copy it; never change it."""
    root = tmp_path_factory.mktemp("demo-template") / "ws"
    run_demo(root, FIXTURES, Console(file=io.StringIO(), width=200))
    return root


@pytest.fixture
def demo_ws(demo_template: Path, tmp_path: Path) -> Workspace:
    """A private copy of the demo workspace."""
    return copy_workspace(demo_template, tmp_path / "demo")


@pytest.fixture(scope="session")
def feb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2026-01 run and closed, 2026-02 run as a draft; inputs of every month present. Copy it."""
    root = tmp_path_factory.mktemp("feb-template") / "ws"
    ws = new_workspace(root)
    pipeline.run(ws, Period.parse("2026-01"))
    approve_and_close(ws, Period.parse("2026-01"))
    pipeline.run(ws, Period.parse("2026-02"))
    return root


@pytest.fixture
def feb_ws(feb_template: Path, tmp_path: Path) -> Workspace:
    """A private copy of ``feb_template``: 2026-01 closed, 2026-02 a draft with outputs."""
    return copy_workspace(feb_template, tmp_path / "ws")
