"""The reference: the per-partner metrics as one hand-written DuckDB query.

    python bench/reference.py WS FORMAT RESULT.csv

What an analyst would write instead of scorecard: valid tickets per partner,
the complaint rate per 10k on the mode's base, and the on-time rate within
24 h (resolved at or before received + 24 h; unresolved counts as late once
the deadline is at or before the cut-off). It reads the same files as the
product, imports nothing of scorecard, writes RESULT.csv in scorecard.csv's
number format, and prints ``{"inner_s": …}``: the query's own seconds.
"""

from __future__ import annotations

import csv
import json
import sys
import time
import tomllib
from datetime import date, timedelta
from pathlib import Path

import duckdb

PERIOD = "2026-03"
START, END = date(2026, 3, 1), date(2026, 4, 1)

SQL = """
WITH t AS (
    SELECT partner_id,
           count(*) AS valid_complaints,
           count(*) FILTER (WHERE resolved_at <= received_at + INTERVAL 24 HOUR) AS on_time,
           count(*) FILTER (WHERE resolved_at > received_at + INTERVAL 24 HOUR
                               OR (resolved_at IS NULL
                                   AND received_at + INTERVAL 24 HOUR <= TIMESTAMP '{cutoff}')) AS late
    FROM {complaints}
    WHERE valid AND received_at >= TIMESTAMP '{start}' AND received_at < TIMESTAMP '{end}'
    GROUP BY partner_id
), m AS (
    SELECT p.partner_id,
           coalesce(t.valid_complaints, 0) AS n,
           CASE WHEN p.mode = 'C' THEN b.billed_users ELSE b.group_customers END AS base,
           coalesce(t.on_time, 0) AS on_time,
           coalesce(t.on_time, 0) + coalesce(t.late, 0) AS assessable
    FROM {partners} p JOIN {billing} b USING (partner_id) LEFT JOIN t USING (partner_id)
)
-- rates in ten-thousandths, rounded half up with integer arithmetic (exact at the 4th decimal)
SELECT partner_id, n,
       CASE WHEN base > 0 THEN (2 * n * 100000000 + base) // (2 * base) WHEN n = 0 THEN 0 END AS rate_e4,
       CASE WHEN assessable > 0 THEN (2 * on_time * 10000 + assessable) // (2 * assessable) END AS on_time_e4
FROM m ORDER BY partner_id
"""


def sql(ws: Path, fmt: str) -> str:
    """The query for a workspace; the cut-off and the 24 h window are read from its configuration."""
    config = tomllib.loads((ws / "config" / "scorecard.toml").read_text(encoding="utf-8"))
    windows = set(config["windows"]["completion"].values())
    if windows != {"24h"}:
        sys.exit(f"the reference assumes a 24h completion window for every category, not {sorted(windows)}")
    cutoff = END + timedelta(days=config["general"]["cutoff_grace_days"])
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    folder = ws / "inputs" / PERIOD
    tables = {t: f"{reader}('{folder / f'{t}.{fmt}'}')" for t in ("complaints", "partners", "billing")}
    return SQL.format(start=START, end=END, cutoff=cutoff, **tables)


def e4(value: int | None) -> str:
    """Ten-thousandths -> '0.7512'; None -> ''."""
    return "" if value is None else f"{value // 10000}.{value % 10000:04d}"


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        sys.exit(__doc__)
    ws, fmt, result = Path(argv[0]), argv[1], Path(argv[2])
    query = sql(ws, fmt)
    start = time.perf_counter()
    rows = duckdb.connect().sql(query).fetchall()
    inner = time.perf_counter() - start
    with result.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["partner_id", "valid_complaints", "complaint_rate_per_10k", "on_time_rate"])
        w.writerows((pid, n, e4(rate), e4(on_time)) for pid, n, rate, on_time in rows)
    print(json.dumps({"inner_s": inner}))


if __name__ == "__main__":
    main(sys.argv[1:])
