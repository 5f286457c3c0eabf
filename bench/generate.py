"""Generate a realistic month of scorecard inputs at scale (docs/inputs.md; the README's Performance section).

    python bench/generate.py --tickets 10M [--partners 10000] [--format parquet,csv] [--out bench/data]

Writes one workspace per format, ``<out>/<tickets>-<partners>p-<format>/``:
``config/scorecard.toml`` (the default configuration) and
``inputs/2026-03/<table>.parquet`` or ``.csv`` with the canonical English
headers. Both formats hold the same rows.

What the month looks like: ticket volume per partner is lognormal (a few
partners get most tickets, many get a handful); 70 % of partners are in mode C,
30 % in EMP with far fewer tickets; C partners' billed users are set so that
their complaint rate is lognormal around 3 per 10k (some breach the 5 per 10k
rule); resolution time is lognormal, median 5 h times a per-partner slowness,
so most tickets are done within 24 h and a few partners miss 75 %. Refunds,
conduct events and EMP surveys are spread over some partners.

Everything is vectorised polars, no numpy: random numbers are a seeded hash of
the row number, uniform on [0, 1); normals come from Box–Muller. The same seed
gives the same files with the same polars version.
"""

# Timestamps in the inputs are naive local time (docs/metrics-and-rules.md#periods).
# ruff: noqa: DTZ001

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
import tomllib
from datetime import date, datetime
from pathlib import Path

import polars as pl

PERIOD = "2026-03"
START = datetime(2026, 3, 1)  # naive local time, as in the inputs
SECONDS_IN_PERIOD = 31 * 86400
DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "src" / "scorecard" / "data" / "scorecard.toml"
US = 1_000_000


def parse_count(text: str) -> int:
    """'10M' -> 10_000_000, '2k' -> 2_000, '2000' -> 2000."""
    text = text.strip().upper().replace("_", "")
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    return int(float(number) * scale)


def label(n: int) -> str:
    """2_000 -> '2k', 10_000_000 -> '10M' (inverse of parse_count for round numbers)."""
    for suffix, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale and n % (scale // 10) == 0:
            return f"{n / scale:g}{suffix}"
    return str(n)


# -- random numbers as expressions over the row number "i" -------------------------------------------------


def uniform(seed: int, stream: int) -> pl.Expr:
    """Uniform on (0, 1), independent per (seed, stream), from a hash of the row number."""
    return (pl.col("i").hash(seed * 7919 + stream).cast(pl.Float64) + 0.5) / 2.0**64


def normal(seed: int, stream: int) -> pl.Expr:
    """Standard normal by Box–Muller from two uniform streams."""
    return (-2.0 * uniform(seed, stream).log()).sqrt() * (2 * math.pi * uniform(seed, stream + 1)).cos()


def lognormal(seed: int, stream: int, median: float, sigma: float) -> pl.Expr:
    return median * (sigma * normal(seed, stream)).exp()


def rows(n: int) -> pl.DataFrame:
    return pl.DataFrame({"i": pl.int_range(0, n, eager=True, dtype=pl.Int64)})


def ids(prefix: str, width: int, index: pl.Expr | None = None) -> pl.Expr:
    index = pl.col("i") + 1 if index is None else index
    return pl.concat_str(pl.lit(prefix), index.cast(pl.String).str.zfill(width))


def stamp(seconds: pl.Expr) -> pl.Expr:
    """Seconds after the period start -> naive Datetime("us")."""
    start_us = int((START - datetime(1970, 1, 1)).total_seconds()) * US
    return (pl.lit(start_us) + seconds.cast(pl.Int64) * US).cast(pl.Datetime("us"))


def yuan(fen: pl.Expr) -> pl.Expr:
    """Money as a Float64 of yuan with 2 decimals, as most exports store it."""
    return (fen.round(0) / 100.0).round(2)


# -- the tables ---------------------------------------------------------------------------------------


def partner_table(n_partners: int, n_tickets: int, seed: int) -> pl.DataFrame:
    """Partners with the hidden traits that shape their tickets: weight (share) and slowness."""
    df = rows(n_partners).with_columns(
        partner_id=ids("SI-", 5),
        partner_name=ids("合作伙伴", 5),
        mode=pl.when(uniform(seed, 1) < 0.7).then(pl.lit("C")).otherwise(pl.lit("EMP")),
        volume=lognormal(seed, 2, 1.0, 1.3),
        slowness=lognormal(seed, 4, 1.0, 0.5),
        rate_per_10k=lognormal(seed, 6, 3.0, 0.45),
        group_customers=lognormal(seed, 8, 300, 0.8).round(0).cast(pl.Int64),
        gross_fen=lognormal(seed, 10, 200_000_00, 1.0),
    )
    emp = pl.col("mode") == "EMP"
    df = df.with_columns(volume=pl.when(emp).then(pl.col("volume") * 0.005).otherwise("volume"))
    df = df.with_columns(share=pl.col("volume") / pl.col("volume").sum())
    expected_valid = pl.col("share") * n_tickets * 0.92
    return df.with_columns(
        billed_users=pl.when(pl.col("mode") == "C").then(
            (expected_valid * 10_000 / pl.col("rate_per_10k")).round(0).cast(pl.Int64).clip(1)
        ),
        group_customers=pl.when(pl.col("mode") == "EMP").then("group_customers"),
    )


def complaint_table(partners: pl.DataFrame, n_tickets: int, seed: int) -> pl.DataFrame:
    """Tickets in received order, ids in that order, all received inside the period."""
    cum = partners["share"].cum_sum()
    df = rows(n_tickets)
    pick = cum.search_sorted(df.select(uniform(seed, 20)).to_series(), side="right")
    pick = pick.clip(0, partners.height - 1)
    df = df.with_columns(
        p=pick,
        received_s=((pl.col("i") + uniform(seed, 21)) * (SECONDS_IN_PERIOD / n_tickets)).floor(),
    )
    df = df.with_columns(
        partner_id=partners["partner_id"].gather(df["p"]),
        slowness=partners["slowness"].gather(df["p"]),
    )
    resolve_s = (lognormal(seed, 22, 5.0 * 3600, 1.0) * pl.col("slowness")).round(0).clip(60)
    unresolved = uniform(seed, 24) < 0.015
    received = stamp(pl.col("received_s"))
    u_cat = uniform(seed, 25)
    return df.select(
        ticket_id=ids("TS202603", 9),
        partner_id="partner_id",
        received_at=received,
        resolved_at=pl.when(~unresolved).then(stamp(pl.col("received_s") + resolve_s)),
        first_reply_at=pl.when(~unresolved | (uniform(seed, 26) < 0.5)).then(
            stamp(pl.col("received_s") + (resolve_s * 0.6 * uniform(seed, 27)).round(0))
        ),
        category=pl.when(u_cat < 0.1)
        .then(pl.lit("urgent"))
        .when(u_cat < 0.9)
        .then(pl.lit("normal"))
        .otherwise(pl.lit("difficult")),
        valid=uniform(seed, 28) >= 0.08,
        is_repeat=uniform(seed, 29) < 0.05,
        is_major=uniform(seed, 30) < 0.0005,
    )


def pick_partner(partners: pl.DataFrame, u: pl.Expr) -> pl.Expr:
    ids_ = partners["partner_id"]
    return pl.lit(ids_).gather((u * ids_.len()).floor().cast(pl.Int64))


def refund_table(partners: pl.DataFrame, seed: int) -> pl.DataFrame:
    n = max(1, partners.height // 10)
    return rows(n).select(
        refund_id=ids("RF202603", 7),
        partner_id=pick_partner(partners, uniform(seed, 40)),
        amount=yuan(lognormal(seed, 41, 50_00, 1.0).clip(1)),
        kind=pl.when(uniform(seed, 43) < 0.8).then(pl.lit("double")).otherwise(pl.lit("full")),
        customer_id=ids("CU", 8, (uniform(seed, 44) * 1e7).floor().cast(pl.Int64)),
    )


def conduct_table(partners: pl.DataFrame, seed: int) -> pl.DataFrame:
    events = sorted(tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))["response"]["deductions"])
    n = max(1, partners.height // 20)
    day = (uniform(seed, 51) * 31).floor().cast(pl.Int32)
    return rows(n).select(
        partner_id=pick_partner(partners, uniform(seed, 50)),
        event_type=pl.lit(pl.Series(events)).gather((uniform(seed, 52) * len(events)).floor().cast(pl.Int64)),
        occurred_on=pl.lit(date(2026, 3, 1)) + pl.duration(days=day),
        note=pl.when(uniform(seed, 53) < 0.5).then(pl.lit("回访发现")),
    )


def survey_table(partners: pl.DataFrame, seed: int) -> pl.DataFrame:
    emp = partners.filter(pl.col("mode") == "EMP")
    if emp.height == 0:
        return pl.DataFrame(schema={"partner_id": pl.String, "customer_id": pl.String, "score": pl.Int64})
    return rows(emp.height * 5).select(
        partner_id=pick_partner(emp, uniform(seed, 60)),
        customer_id=ids("GC", 8, (uniform(seed, 61) * 1e7).floor().cast(pl.Int64)),
        score=(100 - lognormal(seed, 62, 8.0, 0.8)).clip(0, 100).round(0).cast(pl.Int64),
    )


def month(n_tickets: int, n_partners: int, seed: int = 2026) -> dict[str, pl.DataFrame]:
    """Every input table of one period, canonical columns only."""
    partners = partner_table(n_partners, n_tickets, seed)
    return {
        "partners": partners.select("partner_id", "partner_name", "mode"),
        "billing": partners.select("partner_id", "billed_users", "group_customers"),
        "settlement": partners.select("partner_id", gross_amount=yuan(pl.col("gross_fen"))),
        "complaints": complaint_table(partners, n_tickets, seed),
        "refunds": refund_table(partners, seed),
        "conduct": conduct_table(partners, seed),
        "surveys": survey_table(partners, seed),
    }


# -- workspaces ---------------------------------------------------------------------------------------


def workspace_path(out: Path, n_tickets: int, n_partners: int, fmt: str) -> Path:
    return out / f"{label(n_tickets)}-{n_partners}p-{fmt}"


def write_table(df: pl.DataFrame, folder: Path, name: str, fmt: str) -> None:
    path = folder / f"{name}.{fmt}"
    if fmt == "parquet":
        df.write_parquet(path)
    else:
        df.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d", float_precision=2)


def generate(
    out: Path, n_tickets: int, n_partners: int, formats: list[str], seed: int = 2026, *, force: bool = False
) -> dict[str, Path]:
    """One workspace per format; a workspace already generated with the same parameters is kept."""
    params = {"tickets": n_tickets, "partners": n_partners, "seed": seed, "period": PERIOD, "polars": pl.__version__}
    wanted = {fmt: workspace_path(out, n_tickets, n_partners, fmt) for fmt in formats}
    todo = [f for f, ws in wanted.items() if force or not _is_current(ws, params)]
    if todo:
        tables = month(n_tickets, n_partners, seed)
        for fmt in todo:
            ws = wanted[fmt]
            if ws.exists():
                shutil.rmtree(ws)
            folder = ws / "inputs" / PERIOD
            folder.mkdir(parents=True)
            (ws / "config").mkdir()
            shutil.copyfile(DEFAULT_CONFIG, ws / "config" / "scorecard.toml")
            for name, df in tables.items():
                write_table(df, folder, name, fmt)
            (ws / "generated.json").write_text(json.dumps(params) + "\n")
    return wanted


def _is_current(ws: Path, params: dict[str, object]) -> bool:
    marker = ws / "generated.json"
    return marker.exists() and json.loads(marker.read_text()) == params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", default="1M", help="ticket rows, e.g. 2000, 1M, 10M")
    ap.add_argument("--partners", type=int, default=10_000)
    ap.add_argument("--format", default="parquet,csv", help="parquet, csv or both")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--force", action="store_true", help="write again even when up to date")
    args = ap.parse_args()
    t0 = time.perf_counter()
    paths = generate(
        args.out, parse_count(args.tickets), args.partners, args.format.split(","), args.seed, force=args.force
    )
    for fmt, ws in paths.items():
        print(f"{fmt}: {ws}")
    print(f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
