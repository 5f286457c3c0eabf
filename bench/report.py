"""The benchmark's tables and goals, as Markdown (printed and written to bench/results/latest.md, or to --results)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from measure import Summary

GIB = 1024.0
LABELS = {
    "run": "`scorecard run` (fresh process)",
    "export": "`scorecard export finance`",
    "statements": "`scorecard statements` (all partners)",
    "duckdb": "DuckDB reference query (fresh process)",
    "excel": "polars `write_excel` of the adjustment table",
    "floor": "polars floor: read the needed columns",
    "metrics": "metric stage alone (`ticket_status` + `ticket_counts`)",
    "stages": "`pipeline.run` in one process, timed stage by stage (bench/stages.py)",
}


@dataclass(frozen=True, slots=True)
class Row:
    tickets: int
    fmt: str
    what: str  # a key of LABELS
    wall: Summary | None  # None: not measured (see note)
    inner: Summary | None = None  # in-process seconds reported by a probe
    rss_mib: float | None = None  # highest peak over the repetitions
    note: str = ""
    stages: dict[str, float] | None = None  # seconds per stage (the stages probe only)


def fmt_count(n: int) -> str:
    for suffix, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale:
            return f"{n / scale:g}{suffix}"
    return str(n)


def _s(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _cell(s: Summary | None) -> tuple[str, str]:
    if s is None:
        return "—", "—"
    return _s(s.median), f"{_s(s.low)}–{_s(s.high)}"


def find(rows: list[Row], tickets: int, fmt: str, what: str) -> Row | None:
    return next((r for r in rows if (r.tickets, r.fmt, r.what) == (tickets, fmt, what) and r.wall), None)


def ratio(a: Row | None, b: Row | None, inner: bool = False) -> float | None:
    if not (a and b):
        return None
    x, y = (a.inner, b.inner) if inner else (a.wall, b.wall)
    return x.median / y.median if x and y and y.median > 0 else None


def results_table(rows: list[Row]) -> list[str]:
    out = [
        "| tickets | format | measurement | median s | min–max s | in-process median s | peak RSS MiB |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        median, span = _cell(r.wall)
        inner = _s(r.inner.median) if r.inner else "—"
        rss = f"{r.rss_mib:.0f}" if r.rss_mib is not None else "—"
        label = LABELS[r.what] + (f" — {r.note}" if r.note else "")
        out.append(f"| {fmt_count(r.tickets)} | {r.fmt} | {label} | {median} | {span} | {inner} | {rss} |")
    return out


def ratio_table(rows: list[Row], sizes: list[int], formats: list[str]) -> list[str]:
    out = [
        "| tickets | format | run / DuckDB | metric stage / floor (in-process) | run peak RSS MiB |",
        "|---:|---|---:|---:|---:|",
    ]
    for n in sizes:
        for f in (f for f in formats if find(rows, n, f, "run")):
            run = find(rows, n, f, "run")
            r1 = ratio(run, find(rows, n, f, "duckdb"))
            r2 = ratio(find(rows, n, f, "metrics"), find(rows, n, f, "floor"), inner=True)
            rss = f"{run.rss_mib:.0f}" if run and run.rss_mib is not None else "—"
            out.append(f"| {fmt_count(n)} | {f} | {_x(r1)} | {_x(r2)} | {rss} |")
    return out


def stage_table(rows: list[Row]) -> list[str]:
    """Seconds per stage of one run in one process, a column per size and format."""
    split = [r for r in rows if r.what == "stages" and r.stages]
    if not split:
        return []
    names = list(dict.fromkeys(name for r in split for name in r.stages or {}))
    out = [
        "| stage | " + " | ".join(f"{fmt_count(r.tickets)} {r.fmt}" for r in split) + " |",
        "|---|" + "---:|" * len(split),
    ]
    for name in names:
        cells = [_s((r.stages or {})[name]) if name in (r.stages or {}) else "—" for r in split]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    totals = [_s(r.inner.median) if r.inner else "—" for r in split]
    out.append("| **`pipeline.run` in-process total** | " + " | ".join(totals) + " |")
    return out


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}×"


Goal = tuple[str, str, str, bool | None]  # (goal, measured, target, met: None = not measured)


def goals(rows: list[Row], sizes: list[int], formats: list[str], partners: int, at: int) -> list[Goal]:
    """Every goal of the issue that the measured sizes allow; the views' goals at ``at`` tickets."""
    out: list[Goal] = []
    for n in (n for n in sizes if n >= 3_000_000):
        size = fmt_count(n)
        for f, limit in (("parquet", 3.0), ("csv", 2.0)):
            if f in formats and find(rows, n, f, "run"):
                v = ratio(find(rows, n, f, "run"), find(rows, n, f, "duckdb"))
                out.append((f"`run` {size} {f} / DuckDB on the same files", _x(v), f"≤ {limit:g}×", _ok(v, limit)))
    for n in (n for n in sizes if n >= 10_000_000):
        size = fmt_count(n)
        for f in (f for f in formats if find(rows, n, f, "run")):
            v = ratio(find(rows, n, f, "metrics"), find(rows, n, f, "floor"), inner=True)
            out.append((f"metric stage / polars floor, {size} {f}", _x(v), "≤ 2×", _ok(v, 2.0)))
        for f in (f for f in formats if find(rows, n, f, "run")):
            run = find(rows, n, f, "run")
            limit = 3 * GIB if n >= 30_000_000 else 2 * GIB
            rss = run.rss_mib if run else None
            shown = "—" if rss is None else f"{rss / GIB:.2f} GiB"
            out.append((f"`run` peak memory, {size} {f}", shown, f"≤ {limit / GIB:g} GiB", _ok(rss, limit)))
    if 3_000_000 in sizes and 10_000_000 in sizes:
        for f in formats:
            v = ratio(find(rows, 10_000_000, f, "run"), find(rows, 3_000_000, f, "run"))
            out.append((f"`run` time 10M / 3M, {f}", _x(v), "≤ 3.6×", _ok(v, 3.6)))
    if 10_000_000 in sizes and 30_000_000 in sizes:
        for f in formats:
            v = ratio(find(rows, 30_000_000, f, "run"), find(rows, 10_000_000, f, "run"))
            if v is not None:
                out.append((f"`run` time 30M / 10M, {f}", _x(v), "≤ 3×", _ok(v, 3.0)))
    n = at
    for f in formats:
        v = ratio(find(rows, n, f, "export"), find(rows, n, f, "excel"))
        goal = f"finance workbook / polars write_excel, {partners:,} partners, {fmt_count(n)} {f}"
        out.append((goal, _x(v), "≤ 1.5×", _ok(v, 1.5)))
    for f in formats:
        st = find(rows, n, f, "statements")
        if st and st.wall:
            ms = st.wall.median * 1000 / partners
            out.append((f"statements per partner, {fmt_count(n)} {f}", f"{ms:.1f} ms", "≤ 25 ms", _ok(ms, 25.0)))
    return out


def _ok(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def goals_table(items: list[Goal]) -> list[str]:
    mark = {True: "met", False: "**missed**", None: "not measured"}
    out = ["| goal | measured | target | |", "|---|---:|---:|---|"]
    out += [f"| {g} | {m} | {t} | {mark[ok]} |" for g, m, t, ok in items]
    return out


def machine() -> str:
    cpu = "unknown CPU"
    info = Path("/proc/cpuinfo")
    if info.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", info.read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    mem = ""
    try:
        free = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
        mem = free.splitlines()[1].split()[1] + " memory"
    except (OSError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    system += f", polars {pl.__version__}"
    return f"{cpu}, {os.cpu_count()} cores, {mem}; {system}"


def code_version() -> str:
    """The commit measured, and whether the work tree had uncommitted changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        cmd = ["git", "-C", str(root), "describe", "--always", "--dirty=+uncommitted changes"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"
