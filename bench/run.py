"""Scale benchmark of the README's Performance section: a province's month, 10,000 partners, millions of tickets.

    python bench/run.py --tickets 1M,3M,10M [--format parquet,csv] [--repeat 3]

For each size and format, on the same generated files (bench/generate.py), it
times in fresh processes: ``scorecard run`` end to end (ledger and out/
deleted before each repetition, so each is the period's first run),
``scorecard export finance`` and ``scorecard statements`` (when the commands
exist), the DuckDB reference query, polars reading just the needed columns
(the floor), the metric stage alone, and polars' own ``write_excel`` of the
finance adjustment table. It checks that scorecard.csv agrees with the DuckDB
reference on every partner (exit 1 if not), prints the tables and goals as
Markdown and writes them to bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fastexcel  # noqa: E402
import polars as pl  # noqa: E402
import report  # noqa: E402
from generate import PERIOD, generate, parse_count  # noqa: E402
from measure import CommandFailed, Sample, Summary, measure  # noqa: E402
from report import Row  # noqa: E402

from scorecard.i18n import t  # noqa: E402

PY = sys.executable
PROBES = str(HERE / "probes.py")
REFERENCE = str(HERE / "reference.py")
STAGES = str(HERE / "stages.py")
CHECKED = ("valid_complaints", "complaint_rate_per_10k", "on_time_rate")


class Disagreement(AssertionError):
    pass


def scorecard_cmd() -> list[str]:
    """The console script as a user runs it (next to this interpreter when in a venv)."""
    beside = Path(PY).parent / "scorecard"
    found = str(beside) if beside.exists() else shutil.which("scorecard")
    if not found:
        sys.exit("the scorecard command is not installed (pip install -e '.[bench]')")
    return [found]


def has_command(*words: str) -> bool:
    done = subprocess.run([*scorecard_cmd(), *words, "--help"], capture_output=True, check=False)
    return done.returncode == 0


def clean(ws: Path) -> None:
    """Make the next run the period's first: no ledger, no outputs."""
    for name in ("scorecard.db", "scorecard.db-wal", "scorecard.db-shm", "scorecard.db-journal"):
        (ws / name).unlink(missing_ok=True)
    shutil.rmtree(ws / "out", ignore_errors=True)


def row(tickets: int, fmt: str, what: str, samples: list[Sample], note: str = "") -> Row:
    if not samples:
        return Row(tickets, fmt, what, None, note=note)
    inner = [float(s.inner["inner_s"]) for s in samples if "inner_s" in s.inner]  # type: ignore[arg-type]
    return Row(
        tickets,
        fmt,
        what,
        Summary.of([s.wall_s for s in samples]),
        Summary.of(inner) if inner else None,
        max(s.max_rss_mib for s in samples),
        note,
        samples[-1].inner.get("stages"),  # type: ignore[arg-type]
    )


def bench_workspace(ws: Path, fmt: str, tickets: int, args: argparse.Namespace, *, with_statements: bool) -> list[Row]:
    logs = ws / "bench-logs"
    logs.mkdir(exist_ok=True)
    sc = [*scorecard_cmd(), "-w", str(ws)]
    export, statements = has_command("export", "finance"), has_command("statements")
    statements_note = "" if statements else "command not available yet"
    if statements and not with_statements:
        statements, statements_note = False, f"timed at {args.statements_at}, first format only"
    runs: list[Sample] = []
    exports: list[Sample] = []
    stmts: list[Sample] = []
    for rep in range(args.repeat):
        clean(ws)
        runs.append(measure([*sc, "run", PERIOD], logs / "run.log"))
        if export:
            exports.append(measure([*sc, "export", "finance", PERIOD], logs / "export.log"))
        if statements and rep < args.statements_repeat:
            stmts.append(measure([*sc, "statements", PERIOD], logs / "statements.log"))
    reference = logs / "reference.csv"
    reps = range(args.repeat)
    duck = [measure([PY, REFERENCE, str(ws), fmt, str(reference)], logs / "duckdb.log") for _ in reps]
    partners = check_agreement(ws / "out" / PERIOD / "scorecard.csv", reference)
    size = report.fmt_count(tickets)
    print(f"correctness {size} {fmt}: all {partners} partners agree with the DuckDB reference", flush=True)
    floor = [measure([PY, PROBES, "floor", str(ws), fmt], logs / "floor.log") for _ in reps]
    metric = [measure([PY, PROBES, "metrics", str(ws), fmt], logs / "metrics.log") for _ in reps]
    excel: list[Sample] = []
    if export:
        table = logs / "adjustments.parquet"
        adjustment_table(ws).write_parquet(table)
        excel = [
            measure([PY, PROBES, "excel", str(table), str(logs / "polars.xlsx")], logs / "excel.log") for _ in reps
        ]
    # last: it starts the month again in one process, timing each stage (bench/stages.py)
    split = measure([PY, STAGES, str(ws), PERIOD], logs / "stages.log")
    missing = "command not available yet"
    return [
        row(tickets, fmt, "stages", [split]),
        row(tickets, fmt, "run", runs),
        row(tickets, fmt, "duckdb", duck),
        row(tickets, fmt, "floor", floor),
        row(tickets, fmt, "metrics", metric),
        row(tickets, fmt, "export", exports, "" if export else missing),
        row(tickets, fmt, "excel", excel, "" if export else "needs export finance"),
        row(tickets, fmt, "statements", stmts, statements_note),
    ]


def check_agreement(product: Path, reference: Path) -> int:
    """Every partner's count and rates (4 decimals, half up) equal in scorecard.csv and the reference."""

    def read(path: Path) -> dict[str, tuple[str, ...]]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return {r["partner_id"]: tuple(r[c] for c in CHECKED) for r in csv.DictReader(f)}

    ours, theirs = read(product), read(reference)
    problems = (
        [f"partner sets differ: {len(ours)} in scorecard.csv, {len(theirs)} in the reference"]
        if ours.keys() != theirs.keys()
        else []
    )
    for pid in sorted(ours.keys() & theirs.keys()):
        if ours[pid] != theirs[pid]:
            problems.append(f"{pid}: scorecard {ours[pid]} != reference {theirs[pid]} ({', '.join(CHECKED)})")
    if problems:
        shown = "\n  ".join(problems[:10])
        raise Disagreement(f"scorecard.csv disagrees with the DuckDB reference ({len(problems)}):\n  {shown}")
    return len(ours)


def adjustment_table(ws: Path) -> pl.DataFrame:
    """The finance workbook's adjustments sheet read back as a table (its header: the widest top row)."""
    path = next((ws / "out" / PERIOD).glob("*.xlsx"))
    reader = fastexcel.read_excel(path)
    names = {t("sheet_adjustments", lang) for lang in ("zh", "en")}
    sheet = next(n for n in reader.sheet_names if n in names)
    top = reader.load_sheet(sheet, header_row=None, n_rows=20, dtypes="string").to_polars()
    widths = [sum(v is not None and v != "" for v in r) for r in top.iter_rows()]
    header = widths.index(max(widths))
    return reader.load_sheet(sheet, header_row=header).to_polars()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--tickets",
        default="1M,3M,10M",
        help="sizes, e.g. 1M,3M,10M,30M:parquet (a size may name its own formats after a colon)",
    )
    ap.add_argument("--statements-at", default="10M", help="the size statements are timed at (else the largest)")
    ap.add_argument("--partners", type=int, default=10_000)
    ap.add_argument("--format", default="parquet,csv")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--statements-repeat",
        type=int,
        default=1,
        help="repetitions of the (long) statements run: at the largest size, first format only",
    )
    ap.add_argument("--data", type=Path, default=HERE / "data", help="where generated workspaces are kept")
    ap.add_argument("--results", type=Path, default=HERE / "results" / "latest.md")
    args = ap.parse_args(argv)
    formats = args.format.split(",")
    plan: dict[int, list[str]] = {}  # size -> its formats ("30M:parquet" names them)
    for spec in args.tickets.split(","):
        size, _, own = spec.partition(":")
        plan[parse_count(size)] = own.split("+") if own else formats
    sizes = list(plan)
    statements_at = parse_count(args.statements_at)
    statements_at = statements_at if statements_at in plan else max(sizes)
    load_before = report.load()
    started = time.perf_counter()
    rows: list[Row] = []
    try:
        for n in sizes:
            t0 = time.perf_counter()
            paths = generate(args.data, n, args.partners, plan[n])
            took = time.perf_counter() - t0
            print(f"{report.fmt_count(n)} tickets: inputs ready in {took:.1f} s", flush=True)
            for fmt in plan[n]:
                with_statements = n == statements_at and fmt == plan[n][0]
                rows += bench_workspace(paths[fmt], fmt, n, args, with_statements=with_statements)
    except (CommandFailed, Disagreement) as e:
        print(f"BENCHMARK FAILED: {e}", file=sys.stderr)
        return 1
    items = report.goals(rows, sizes, formats, args.partners, statements_at)
    lines = [
        f"Scale benchmark: {args.partners:,} partners, period {PERIOD}, {args.repeat} repetitions "
        f"(times: wall clock of a fresh process; in-process: the probe's own timing after imports).",
        "",
        f"Code: {report.code_version()}. Machine: {report.machine()}. "
        f"Load average (1/5/15 min) before: {load_before}, "
        f"after: {report.load()}; the benchmark took {time.perf_counter() - started:.0f} s.",
        "",
        *report.results_table(rows),
        "",
        *report.ratio_table(rows, sizes, formats),
        "",
        "Where one run's time goes (seconds, one process, bench/stages.py):",
        "",
        *report.stage_table(rows),
        "",
        *report.goals_table(items),
        "",
        f"Reproduce: `python bench/run.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(f"written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
