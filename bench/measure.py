"""Time one command in a fresh process and read its peak memory.

``ru_maxrss`` of RUSAGE_CHILDREN is a maximum over *all* children a process
ever waited for, so the benchmark never reads it in its own process: each
measured command runs under this module as a small wrapper process whose
only child is that command. The wrapper prints one JSON line:

    python bench/measure.py LOG -- scorecard -w WS run 2026-03
    {"wall_s": 12.3, "max_rss_mib": 812.4, "returncode": 0}

The command's own output goes to LOG; a probe's last output line may be a
JSON object with its in-process timing, which :func:`measure` returns too.

For a command that starts worker processes (``scorecard statements``) the
peak is that of its largest single process, not the sum of all of them.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Sample:
    wall_s: float  # the fresh process, start to exit, as the parent of the command sees it
    max_rss_mib: float  # peak resident memory of the command (and its own children)
    inner: dict[str, object]  # the probe's last JSON line, {} for other commands


class CommandFailed(RuntimeError):
    pass


def measure(cmd: list[str], log: Path) -> Sample:
    """Run ``cmd`` under the wrapper; raise CommandFailed (with its output) when it fails."""
    wrapper = [sys.executable, __file__, str(log), "--", *cmd]
    done = subprocess.run(wrapper, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandFailed(f"wrapper failed: {done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    output = log.read_text(encoding="utf-8", errors="replace")
    if result["returncode"] != 0:
        tail = "\n".join(output.strip().splitlines()[-25:])
        raise CommandFailed(f"{' '.join(cmd)} exited with {result['returncode']}:\n{tail}")
    return Sample(result["wall_s"], result["max_rss_mib"], _last_json(output))


def _last_json(output: str) -> dict[str, object]:
    lines = output.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        try:
            value = json.loads(lines[-1])
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


@dataclass(frozen=True, slots=True)
class Summary:
    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        return cls(statistics.median(values), min(values), max(values), len(values))


def _wrap(log: str, cmd: list[str]) -> None:
    with open(log, "wb") as out:
        start = time.perf_counter()
        code = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
        wall = time.perf_counter() - start
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({"wall_s": wall, "max_rss_mib": rss_kib / 1024, "returncode": code}))


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: measure.py LOG -- COMMAND [ARGS...]")
    _wrap(sys.argv[1], sys.argv[3:])
