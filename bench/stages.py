"""Where `scorecard run` spends its time, stage by stage, in one process.

    python bench/stages.py WS [PERIOD]

Runs ``pipeline.run`` (after deleting the ledger and out/) with a timer around
each of its stages — loading and validation, the metric stage, the
assessment (rules, score, settlement), building the record, writing the
output files, storing the record in the ledger — and then the terminal
summary the CLI prints. It prints a table and, as its last line, the
seconds per stage as JSON (bench/run.py reads it for its per-stage split).
The timers wrap the pipeline's own functions from outside; the product is
not changed for them.
"""

from __future__ import annotations

import functools
import io
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from run import clean

from scorecard import pipeline
from scorecard.periods import Period
from scorecard.report import terminal
from scorecard.workspace import Workspace

# (stage, module, function): the functions ``pipeline.run`` calls, in the order it calls them
STAGES = (
    ("load and validate inputs", pipeline, "load_checked"),
    ("per-partner metrics from the counts", pipeline, "metrics_frame"),
    ("assessment: columnar engine (rules, score, settlement, record tables)", pipeline, "record_tables"),
    ("build the record", pipeline, "build_record"),
    ("write out/ (scorecard.csv, notices, manifest)", pipeline, "write_month"),
    ("store the record in the ledger", pipeline, "store_record"),
)


TICKETS = "ticket stage (every ticket's state, counts per partner)"


PEAKS: dict[str, float] = {}  # stage -> the process's peak RSS (MiB) when it ended


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(seconds: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
            PEAKS[name] = _rss()

    return wrapper


def main(argv: list[str]) -> None:
    ws_dir, period_text = Path(argv[0]), argv[1] if len(argv) > 1 else "2026-03"
    seconds: dict[str, float] = {}
    for name, module, attr in STAGES:
        if hasattr(module, attr):
            setattr(module, attr, _timed(seconds, name, getattr(module, attr)))
    # the ticket stage is a lazy plan its caller collects: collect it inside the timer instead
    status, counts = pipeline.ticket_status, pipeline.ticket_counts
    pipeline.ticket_status = _timed(seconds, TICKETS, lambda *a, **k: status(*a, **k).collect().lazy())
    pipeline.ticket_counts = _timed(seconds, TICKETS, lambda *a, **k: counts(*a, **k).collect().lazy())
    clean(ws_dir)
    start = time.perf_counter()
    outcome = pipeline.run(Workspace.at(ws_dir), Period.parse(period_text))
    total_run = time.perf_counter() - start
    t0 = time.perf_counter()
    terminal.run_summary(Console(file=io.StringIO(), width=120), outcome.record, "zh")
    seconds["terminal summary (what the CLI prints)"] = time.perf_counter() - t0
    measured = sum(v for k, v in seconds.items() if not k.startswith("terminal"))
    seconds["other (ledger checks, corrected history, locks)"] = max(total_run - measured, 0.0)
    peak = _rss()
    print(f"{'stage':<72} {'seconds':>8} {'peak RSS MiB at its end':>24}")
    for name, s in seconds.items():
        print(f"{name:<72} {s:>8.2f} {PEAKS.get(name, peak):>24.0f}")
    print(f"{'pipeline.run total (after imports)':<72} {total_run:>8.2f}   peak RSS {peak:.0f} MiB")
    print(json.dumps({"inner_s": total_run, "stages": seconds}))


if __name__ == "__main__":
    main(sys.argv[1:])
