"""What polars itself does with the ticket file, each run in a fresh process.

    python bench/probes.py floor    WS FORMAT              # read just the needed columns, typed
    python bench/probes.py metrics  WS FORMAT              # scorecard's metric stage on the scanned file
    python bench/probes.py excel    TABLE.parquet OUT.xlsx # polars' own write_excel

Each prints, as its last line, ``{"inner_s": …}``: the seconds of the work
itself, measured in-process after the imports. The floor and the metric
stage start from the same scan, so their difference is the metric stage.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import polars as pl

PERIOD = "2026-03"
# Columns the metric stage reads from the ticket file (plus first_reply_at when present).
NEEDED = ["partner_id", "received_at", "resolved_at", "category", "valid", "is_repeat", "is_major"]
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"  # how bench/generate.py writes date-times to CSV


def scan_tickets(ws: Path, fmt: str) -> pl.LazyFrame:
    """The ticket file as typed columns, the fastest way polars reads it."""
    path = ws / "inputs" / PERIOD / f"complaints.{fmt}"
    if fmt == "parquet":
        return pl.scan_parquet(path)
    # Text, then one strptime per column with the known format: several times faster in
    # polars than schema_overrides={...: pl.Datetime}, which infers the format per chunk.
    text = pl.scan_csv(path, infer_schema=False)
    names = text.collect_schema().names()
    stamps = [c for c in ("received_at", "resolved_at", "first_reply_at") if c in names]
    return text.with_columns(
        pl.col(stamps).str.strptime(pl.Datetime("us"), STAMP_FORMAT),
        pl.col("valid", "is_repeat", "is_major") == "true",
    )


def needed(lf: pl.LazyFrame) -> list[str]:
    names = lf.collect_schema().names()
    return NEEDED + (["first_reply_at"] if "first_reply_at" in names else [])


def floor(ws: Path, fmt: str) -> float:
    lf = scan_tickets(ws, fmt)
    cols = needed(lf)
    start = time.perf_counter()
    lf.select(cols).collect()
    return time.perf_counter() - start


def metrics(ws: Path, fmt: str) -> float:
    # scorecard is imported here only, so the floor's process stays polars alone
    from scorecard.config import load_config
    from scorecard.metrics import ticket_counts, ticket_status
    from scorecard.periods import Period

    config = load_config(ws / "config" / "scorecard.toml").config
    lf = scan_tickets(ws, fmt)
    with_reply = "first_reply_at" in needed(lf)
    start = time.perf_counter()
    lf = lf.with_columns(_line=pl.lit(None, dtype=pl.Int64))  # the loader's source line; never counted
    ticket_counts(ticket_status(lf, Period.parse(PERIOD), config, with_reply), with_reply).collect()
    return time.perf_counter() - start


def excel(table: Path, out: Path) -> float:
    df = pl.read_parquet(table)
    start = time.perf_counter()
    df.write_excel(out)
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    match argv:
        case ["floor", ws, fmt]:
            inner = floor(Path(ws), fmt)
        case ["metrics", ws, fmt]:
            inner = metrics(Path(ws), fmt)
        case ["excel", table, out]:
            inner = excel(Path(table), Path(out))
        case _:
            sys.exit(__doc__)
    print(json.dumps({"inner_s": inner}))


if __name__ == "__main__":
    main(sys.argv[1:])
