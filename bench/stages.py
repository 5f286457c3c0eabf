"""Where `scorecard run` spends its time, stage by stage, in one process.

    python bench/stages.py WS [PERIOD]

Runs ``pipeline.run`` (after deleting the ledger and out/) and times the gaps
between its progress messages, then the terminal summary the CLI prints, and
reports peak memory after each stage. For the benchmark's own numbers use
run.py; this is the first thing to look at when run.py shows a gap.
"""

from __future__ import annotations

import io
import itertools
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from run import clean

from scorecard import pipeline
from scorecard.periods import Period
from scorecard.report import terminal
from scorecard.workspace import Workspace


def main(argv: list[str]) -> None:
    ws_dir, period_text = Path(argv[0]), argv[1] if len(argv) > 1 else "2026-03"
    # (the stage that starts here, when, peak RSS so far)
    marks: list[tuple[str, float, float]] = [("configuration and ledger", time.perf_counter(), _rss())]

    def progress(message: str) -> None:
        marks.append((message, time.perf_counter(), _rss()))

    clean(ws_dir)
    outcome = pipeline.run(Workspace.at(ws_dir), Period.parse(period_text), progress=progress)
    marks.append(("terminal.run_summary (what the CLI prints)", time.perf_counter(), _rss()))
    terminal.run_summary(Console(file=io.StringIO(), width=120), outcome.assessment.results, "zh")
    marks.append(("end", time.perf_counter(), _rss()))

    print(f"{'stage':<45} {'seconds':>8} {'peak RSS MiB at its end':>24}")
    for (name, start, _), (_, end, rss) in itertools.pairwise(marks):
        print(f"{name:<45} {end - start:>8.2f} {rss:>24.0f}")
    print(f"{'total (after imports)':<45} {marks[-1][1] - marks[0][1]:>8.2f}")


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main(sys.argv[1:])
