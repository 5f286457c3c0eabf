"""The scale benchmark (bench/) at a tiny size, so it cannot rot. No time is asserted."""

# The generated inputs hold naive local time (docs/metrics-and-rules.md#periods).
# ruff: noqa: DTZ001

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("duckdb")

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_generated_month_is_realistic_and_inside_the_period() -> None:
    generate = _module("generate")
    tables = generate.month(2_000, 20, seed=7)
    tickets = tables["complaints"]
    assert tickets.height == 2_000
    assert tickets["ticket_id"].n_unique() == 2_000
    assert tickets["received_at"].min() >= datetime(2026, 3, 1)
    assert tickets["received_at"].max() < datetime(2026, 4, 1)
    assert (tickets["resolved_at"] >= tickets["received_at"]).all()
    assert set(tables["partners"]["mode"]) == {"C", "EMP"}
    assert set(tickets["partner_id"]) <= set(tables["partners"]["partner_id"])
    for optional in ("refunds", "conduct", "surveys"):
        assert tables[optional].height > 0
    assert generate.month(2_000, 20, seed=7)["complaints"].equals(tickets)  # deterministic
    assert generate.parse_count("10M") == 10_000_000 and generate.label(3_000_000) == "3M"


def test_benchmark_runs_and_agrees_with_the_reference(tmp_path: Path) -> None:
    results = tmp_path / "latest.md"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--tickets",
            "2000",
            "--partners",
            "20",
            "--repeat",
            "1",
            "--data",
            str(tmp_path / "data"),
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for fmt in ("parquet", "csv"):
        assert f"correctness 2k {fmt}: all 20 partners agree with the DuckDB reference" in done.stdout
    table = results.read_text(encoding="utf-8")
    assert "| tickets | format | measurement |" in table
    assert "| 2k | parquet | `scorecard run` (fresh process) |" in table
    assert "| 2k | csv | DuckDB reference query (fresh process) |" in table
    assert "| 2k | parquet | metric stage alone" in table
    assert table in done.stdout


def test_a_disagreement_fails_loudly(tmp_path: Path) -> None:
    run = _module("run")
    header = "partner_id,valid_complaints,complaint_rate_per_10k,on_time_rate\n"
    product, reference = tmp_path / "scorecard.csv", tmp_path / "reference.csv"
    product.write_text(header + "P1,3,1.5000,0.6667\nP2,0,0.0000,\n", encoding="utf-8")
    reference.write_text(header + "P1,3,1.5000,0.6667\nP2,0,0.0000,\n", encoding="utf-8")
    assert run.check_agreement(product, reference) == 2
    reference.write_text(header + "P1,3,1.5000,0.6666\nP2,0,0.0000,\n", encoding="utf-8")
    with pytest.raises(run.Disagreement, match="P1"):
        run.check_agreement(product, reference)


def test_reference_rounds_half_up_exactly() -> None:
    reference = _module("reference")
    assert reference.e4(7513) == "0.7513"
    assert reference.e4(2_333_333) == "233.3333"
    assert reference.e4(None) == ""
    # the SQL's integer rounding: 1/32 = 0.03125 -> 0.0313 (half up), 2/3 -> 0.6667
    for on_time, assessable, expected in ((1, 32, 313), (2, 3, 6667), (3, 4, 7500)):
        assert (2 * on_time * 10000 + assessable) // (2 * assessable) == expected
