"""Every table view through the real command line, on an 80-column terminal (and narrower), piped, and
as --format csv / json: every number of the underlying record, read from the ledger with the library,
appears whole; the data formats parse and equal the record (docs/terminal.md)."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_workspace, new_workspace
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner, Result

from scorecard import approval
from scorecard.cli import app
from scorecard.ledger import Ledger
from scorecard.money import format_fen
from scorecard.periods import Period
from scorecard.record import MonthRecord, day_text, exact
from scorecard.report.csvfiles import SCORECARD_COLUMNS
from scorecard.report.formats import fixed
from scorecard.report.tables import Column, Grid, show
from scorecard.report.watchlist import WATCH_COLUMNS, watch_rows
from scorecard.simulate import MONEY_FIELDS, simulate
from scorecard.workspace import Workspace

SCORECARD = str(Path(sys.executable).with_name("scorecard"))
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX = set("┃│━─┏┓┗┛└┘┡┩╇┳┻┴┼╋┠┨")
SET_5 = ["--set", "rules.c-complaint-rate.threshold=5"]

# (tty, columns): a terminal 80 wide, narrow ones (tables split, then label: value blocks), and a pipe
LAYOUTS = [(True, 80), (True, 44), (True, 24), (False, 80)]


def cli(ws: Workspace, lang: str, *args: str, tty: bool = False, columns: int = 80) -> Result:
    env = {"COLUMNS": str(columns), "TTY_COMPATIBLE": "1" if tty else "0", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["--lang", lang, "-w", str(ws.root), *args], env=env)
    assert result.exit_code == 0, f"exit {result.exit_code}:\n{result.output}\n{result.exception!r}"
    return result


def shown(ws: Workspace, lang: str, *args: str, tty: bool, columns: int) -> str:
    text = ANSI.sub("", cli(ws, lang, *args, tty=tty, columns=columns).stdout)
    check_layout(text, tty, columns)
    return text


def check_layout(text: str, tty: bool, columns: int) -> None:
    lines = text.splitlines()
    # nothing is cut: an ellipsis only starts the "… N more" line of a list the terminal shortens
    assert not [line for line in lines if "…" in line and not line.startswith("… ")]
    if tty:  # within the width, but for a word longer than the width itself, kept whole on a line of its own
        assert not [line for line in lines if cell_len(line) > columns and " " in line.strip()]
    else:
        assert not BOX & set(text), "piped output has no box drawing"


def assert_whole(text: str, values: set[str]) -> None:
    """Each value appears in ``text`` as a whole: not preceded or followed by more of a number or an id."""
    assert values
    missing = sorted(v for v in values if not re.search(rf"(?<![0-9A-Za-z.\-]){re.escape(v)}(?![0-9A-Za-z.\-])", text))
    assert not missing, f"not shown in full: {missing}"


@pytest.fixture(scope="module")
def ws(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One copy of the demo for the read-only views of this module."""
    return copy_workspace(demo_template, tmp_path_factory.mktemp("width") / "demo")


@pytest.fixture(scope="module")
def run_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """January's inputs only, nothing run yet: ``run 2026-01`` may be run again and again (it replaces its draft)."""
    return new_workspace(tmp_path_factory.mktemp("width-run") / "ws", ["2026-01"])


def ledger(ws: Workspace) -> Ledger:
    return Ledger(ws.db, readonly=True)


def record(ws: Workspace, period: str, partner_id: str | None = None) -> MonthRecord:
    with ledger(ws) as lg:
        return lg.record(Period.parse(period), partner_id)


def money(fen: int) -> str:
    return format_fen(fen)


def pct(num: int | None, den: int | None) -> str:
    value = exact(num, den)
    return "—" if value is None else fixed(value * 100, 2)


# --- what each view must show, from the record ---------------------------------------------------


def history_values(ws: Workspace, partner_id: str, lang: str) -> set[str]:
    values = set()
    with ledger(ws) as lg:
        for info in lg.periods():
            rec = lg.record(info.period, partner_id)
            if rec["partner_results"].height == 0:
                continue
            r = rec.rows("partner_results")[0]
            values |= {
                str(info.period),
                str(r["valid_complaints"]),
                fixed(exact(r["complaint_rate_num"], r["complaint_rate_den"]), 4),
                pct(r["on_time_rate_num"], r["on_time_rate_den"]),
                str(r["score"]),
                money(r["held_out"]),
                money(r["receivable_out"]),
                money(r["payout"]),
                *rec.breached_rules().get(partner_id, []),
            }
    return values


def explain_values(ws: Workspace, partner_id: str, period: str) -> set[str]:
    rec = record(ws, period, partner_id)
    r = rec.rows("partner_results")[0]
    values = {partner_id, rec.info.ruleset_version, str(r["score"]), str(r["band_min"])}
    values |= {
        str(r["valid_complaints"]),
        str(r["repeat_complaints"]),
        str(r["major_complaints"]),
        fixed(exact(r["complaint_rate_num"], r["complaint_rate_den"]), 4),
        pct(r["on_time_rate_num"], r["on_time_rate_den"]),
        pct(r["reply_on_time_rate_num"], r["reply_on_time_rate_den"]),
        fixed(exact(r["p90_resolution_hours_num"], r["p90_resolution_hours_den"]), 2),
        fixed(Decimal(r["response_score"]), 2),
        money(r["refund_total"]),
        money(r["service_cost"]),
        money(r["gross_amount"]),
        fixed(Decimal(r["band_pct"]) * 100, 2),
    }
    if r["resolved_tickets"]:
        values.add(fixed(exact(r["resolution_seconds"], 3600 * r["resolved_tickets"]), 2))
    for p in rec.rows("sub_scores"):
        values |= {
            fixed(exact(p["sub_score_num"], p["sub_score_den"]), 2),
            fixed(exact(p["weight_num"], p["weight_den"]), 2),
        }
    for rr in rec.rows("rule_results"):
        values |= {rr["rule_id"], str(rr["streak"])}
    for a in rec.rows("actions"):
        if a["deadline"]:
            values.add(str(a["deadline"]))
    for line in rec.rows("money_lines"):
        values.add(money(line["amount"]))
        if line["source_id"]:
            values |= {line["source_id"], money(line["base_amount"])}
    values |= {money(r[f]) for f in ("payout", "held_in", "held_out", "receivable_out")}
    for c in rec.rows("corrections"):
        values |= {c["dispute_id"], c["disputed_period"], c["record_id"]}
    values |= {money(a["amount"]) for a in rec.rows("adjustments")}
    values |= {h["ends"] for h in rec.rows("holds") if h["kind"] != "until_compliant"}
    late = [t for t in rec.rows("tickets") if t["state"] in ("late", "pending")]
    for t in sorted(late, key=lambda t: t["received_at"])[:50]:  # the terminal lists 50
        values |= {t["ticket_id"], day_text(t["received_at"]), day_text(t["deadline"])}
        if t["resolved_at"]:
            values.add(day_text(t["resolved_at"]))
    return values


def status_values(ws: Workspace) -> set[str]:
    values = set()
    with ledger(ws) as lg:
        infos = lg.periods()
        for info in infos:
            rec = lg.record(info.period)
            statuses = rec["partner_results"].get_column("status").to_list()
            values |= {
                str(info.period),
                info.ruleset_version,
                str(len(statuses)),
                str(statuses.count("on_hold")),
                str(statuses.count("terminated")),
                money(rec.totals()["payout"]),
                info.run_by,
                info.run_at,
            }
            if info.closed_at:
                values |= {info.closed_by or "", info.closed_at}
            ok = approval.current(lg, info)
            if ok:
                values |= {ok.approved_by, ok.approved_at}
        states = lg.record(infos[-1].period)["states"]
    carried = [s for s in states.iter_rows(named=True) if s["held"] or s["receivable"]]
    assert carried, "the demo carries held balances of terminated partners"
    for s in carried:
        values |= {s["partner_id"], money(s["held"]), money(s["receivable"])}
    values.add(money(sum(s["held"] for s in carried)))
    return values


def simulate_values(ws: Workspace) -> set[str]:
    sim = simulate(ws, Period.parse("2026-05"), None, SET_5[1:])
    values = set()
    changed = [c for c in sim.changes if c.changed]
    assert [c.partner_id for c in changed] == ["SI-0021"]
    for c in changed:
        assert c.base is not None and c.alt is not None
        values.add(c.partner_id)
        for side in (c.base, c.alt):
            values |= {side.score, side.band_pct, *side.breached_rules}
            values |= {money(side.money[f]) for f in ("score_deduction", "fine_deduction", "held_out", "payout")}
    base, alt = sim.totals("base"), sim.totals("alt")
    for f in MONEY_FIELDS:
        values |= {money(base[f]), money(alt[f]), money(alt[f] - base[f])}
    return values


def watch_values(ws: Workspace, period: str, lang: str) -> set[str]:
    rows = watch_rows(record(ws, period), lang)
    assert rows
    values = set()
    for w in rows:
        values |= {w.partner_id, w.rule_id, str(w.streak), w.threshold_text}
        if re.fullmatch(r"[0-9.]+( %)?", w.value_text):
            values.add(w.value_text.removesuffix(" %"))
    return values


def run_values(ws: Workspace) -> set[str]:
    rec = record(ws, "2026-01")
    rows = rec.rows("partner_results")
    values = set()
    fields = ("gross_amount", "score_deduction", "held_out", "released", "payout")
    for status in ("active", "on_hold", "terminated", None):
        rs = [r for r in rows if status is None or r["status"] == status]
        values |= {str(len(rs)), *(money(sum(r[f] for r in rs)) for f in fields)}
    breached = rec.breached_rules()
    flagged = [r for r in rows if breached.get(r["partner_id"]) or r["status"] != "active" or r["released"]]
    assert flagged
    for r in flagged[:40]:
        values |= {r["partner_id"], money(r["held_out"]), money(r["released"]), money(r["payout"])}
        values |= set(breached.get(r["partner_id"], []))
    for w in watch_rows(rec, "en")[:40]:
        values |= {w.partner_id, w.rule_id, w.threshold_text}
    return values


def log_values(ws: Workspace, period: str) -> set[str]:
    with ledger(ws) as lg:
        events = [dict(e) for e in lg.events(Period.parse(period))]
    assert events
    return {v for e in events for v in (str(e["id"]), e["at"], e["user"], e["command"], e["period"], e["hash"][:12])}


VIEWS: dict[str, tuple[list[str], Callable[[Workspace, str], set[str]]]] = {
    "history SI-0009": (["history", "SI-0009"], lambda ws, lang: history_values(ws, "SI-0009", lang)),
    "history SI-0005": (["history", "SI-0005"], lambda ws, lang: history_values(ws, "SI-0005", lang)),
    "explain SI-0009 2026-05": (
        ["explain", "SI-0009", "2026-05"],
        lambda ws, _: explain_values(ws, "SI-0009", "2026-05"),
    ),
    "explain SI-0027 2026-07": (
        ["explain", "SI-0027", "2026-07"],
        lambda ws, _: explain_values(ws, "SI-0027", "2026-07"),
    ),
    "explain SI-0003 2026-03": (
        ["explain", "SI-0003", "2026-03"],
        lambda ws, _: explain_values(ws, "SI-0003", "2026-03"),
    ),
    "status": (["status"], lambda ws, _: status_values(ws)),
    "simulate": (["simulate", "2026-05", *SET_5], lambda ws, _: simulate_values(ws)),
    "watch 2026-02": (["watch", "2026-02"], lambda ws, lang: watch_values(ws, "2026-02", lang)),
    "log 2026-07": (["log", "--period", "2026-07"], lambda ws, _: log_values(ws, "2026-07")),
}


@pytest.mark.parametrize(("tty", "columns"), LAYOUTS, ids=["terminal-80", "terminal-44", "terminal-24", "piped"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_every_number_is_shown_whole(ws: Workspace, view: str, lang: str, tty: bool, columns: int) -> None:
    args, expected = VIEWS[view]
    text = shown(ws, lang, *args, tty=tty, columns=columns)
    assert_whole(text, expected(ws, lang))


@pytest.mark.parametrize(("tty", "columns"), LAYOUTS, ids=["terminal-80", "terminal-44", "terminal-24", "piped"])
def test_the_run_summary_shows_every_number_whole(run_ws: Workspace, tty: bool, columns: int) -> None:
    text = shown(run_ws, "en", "run", "2026-01", tty=tty, columns=columns)
    assert_whole(text, run_values(run_ws))


def test_an_80_column_terminal_keeps_the_history_a_table(ws: Workspace) -> None:
    """Not the label: value blocks at 80 columns: the table is split into two that share the period."""
    text = shown(ws, "en", "history", "SI-0009", tty=True, columns=80)
    heads = [line for line in text.splitlines() if line.startswith("┃ Period")]
    assert len(heads) == 2
    row = next(line for line in text.splitlines() if line.startswith("│ 2026-06") and "158653.84" in line)
    assert "0.00" in row
    # 200 columns: one table, one line per month
    wide = shown(ws, "en", "history", "SI-0009", tty=True, columns=200)
    assert sum(line.startswith("┃ Period") for line in wide.splitlines()) == 1
    assert len([line for line in wide.splitlines() if line.startswith("│ 2026-")]) == 7


def test_piped_output_is_one_plain_line_per_row(ws: Workspace) -> None:
    text = shown(ws, "en", "history", "SI-0009", tty=False, columns=80)
    rows = [line.split() for line in text.splitlines() if re.match(r"2026-\d\d ", line)]
    assert [r[0] for r in rows] == [f"2026-0{m}" for m in range(1, 8)]
    may = next(r for r in rows if r[0] == "2026-05")
    assert may[1:5] == ["83", "5.5333", "69.88", "%"]
    assert may[-3:] == ["76736.03", "0.00", "0.00"]


# --- the real console script: piped, and on a pseudo-terminal 80 columns wide ----------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TTY_COMPATIBLE", "FORCE_COLOR")}
    return env | {"TERM": "xterm-256color"}


def test_console_script_piped(ws: Workspace) -> None:
    proc = subprocess.run(
        [SCORECARD, "--lang", "en", "-w", str(ws.root), "history", "SI-0009"],
        capture_output=True,
        text=True,
        check=False,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    check_layout(proc.stdout, False, 80)
    assert "\x1b[" not in proc.stdout
    assert_whole(proc.stdout, history_values(ws, "SI-0009", "en"))


def _on_pty(args: list[str], columns: int) -> str:
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=_env(), close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError("no output from the console script")
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed (Linux: EIO)
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    return ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminal sizes as on Linux")
def test_console_script_on_an_80_column_terminal(ws: Workspace) -> None:
    text = _on_pty([SCORECARD, "--lang", "en", "-w", str(ws.root), "history", "SI-0009"], 80)
    check_layout(text, True, 80)
    assert BOX & set(text), "a terminal gets the boxed table"
    assert_whole(text, history_values(ws, "SI-0009", "en"))


# --- --format json and csv ------------------------------------------------------------------------


def data(ws: Workspace, lang: str, fmt: str, *args: str) -> Any:
    out = cli(ws, lang, *args, "--format", fmt).stdout_bytes
    if fmt == "json":
        return json.loads(out.decode("utf-8"))
    assert out.startswith("\ufeff".encode()), "CSV starts with a BOM (Excel on a Chinese Windows)"
    return list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"), newline="")))


def no_floats(value: object) -> Iterator[object]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from no_floats(v)
    elif isinstance(value, list):
        for v in value:
            yield from no_floats(v)


def as_csv(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def scorecard_rows(ws: Workspace, period: str) -> dict[str, dict[str, str]]:
    with (ws.out_for(Period.parse(period)) / "scorecard.csv").open(encoding="utf-8-sig", newline="") as f:
        return {r["partner_id"]: r for r in csv.DictReader(f)}


def assert_csv_equals_json(rows: list[dict[str, str]], sections: dict[str, list[dict[str, object]]]) -> None:
    """The CSV holds the JSON's rows, field by field (a first ``section`` column when there are several tables)."""
    several = len(sections) > 1
    expected = [(name, row) for name, table in sections.items() for row in table]
    assert len(rows) == len(expected)
    for got, (name, row) in zip(rows, expected, strict=True):
        if several:
            assert got["section"] == name
        assert {k: got[k] for k in row} == {k: as_csv(v) for k, v in row.items()}
        assert all(v == "" for k, v in got.items() if k not in row and k != "section")


def test_history_json_and_csv_are_scorecard_csv_rows(ws: Workspace) -> None:
    got = data(ws, "en", "json", "history", "SI-0009")
    assert not list(no_floats(got))
    assert [r["period"] for r in got] == [f"2026-0{m}" for m in range(1, 8)]
    for row in got:
        assert list(row)[:2] == ["period", "period_status"] and row["period_status"] == "closed"
        assert set(SCORECARD_COLUMNS) <= set(row)
        on_file = scorecard_rows(ws, row["period"])["SI-0009"]
        assert {k: as_csv(row[k]) for k in SCORECARD_COLUMNS} == on_file
        r = record(ws, row["period"], "SI-0009").rows("partner_results")[0]
        for f in ("gross_amount", "score_deduction", "held_out", "released", "payout", "adjustment"):
            assert Decimal(row[f]) * 100 == r[f]  # exact fen, as yuan text
        assert row["valid_complaints"] == r["valid_complaints"]
    may = next(r for r in got if r["period"] == "2026-05")
    assert may["breached_rules"] == ["c-complaint-rate", "c-on-time"] and may["held_out"] == "76736.03"
    assert_csv_equals_json(data(ws, "en", "csv", "history", "SI-0009"), {"history": got})


@pytest.mark.parametrize(("partner_id", "period"), [("SI-0009", "2026-05"), ("SI-0027", "2026-07")])
def test_explain_json_and_csv_equal_the_record(ws: Workspace, partner_id: str, period: str) -> None:
    got = data(ws, "en", "json", "explain", partner_id, period)
    assert not list(no_floats(got))
    rec = record(ws, period, partner_id)
    (partner,) = got["partner"]
    assert {k: as_csv(partner[k]) for k in SCORECARD_COLUMNS} == scorecard_rows(ws, period)[partner_id]
    assert [line["amount"] for line in got["money_lines"]] == [money(m["amount"]) for m in rec.rows("money_lines")]
    # the lines add up to the payout: nothing rounded on the way
    assert sum(Decimal(line["amount"]) for line in got["money_lines"]) * 100 == rec.rows("partner_results")[0]["payout"]
    assert [(r["rule_id"], r["breached"], r["streak"]) for r in got["rules"]] == [
        (r["rule_id"], r["breached"], r["streak"]) for r in rec.rows("rule_results")
    ]
    late = sorted((t for t in rec.rows("tickets") if t["state"] in ("late", "pending")), key=lambda t: t["received_at"])
    assert [(t["ticket_id"], t["received_at"]) for t in got["tickets"]] == [
        (t["ticket_id"], day_text(t["received_at"])) for t in late
    ]
    assert [c["dispute_id"] for c in got["corrections"]] == [c["dispute_id"] for c in rec.rows("corrections")]
    assert [a["amount"] for a in got["adjustments"]] == [money(a["amount"]) for a in rec.rows("adjustments")]
    metrics = {m["metric"]: m["value"] for m in got["metrics"]}
    r = rec.rows("partner_results")[0]
    assert metrics["valid_complaints"] == r["valid_complaints"]
    assert metrics["complaint_rate_per_10k"] == fixed(exact(r["complaint_rate_num"], r["complaint_rate_den"]), 4)
    assert_csv_equals_json(data(ws, "en", "csv", "explain", partner_id, period), got)


def test_status_json_and_csv_equal_the_ledger(ws: Workspace) -> None:
    got = data(ws, "en", "json", "status")
    assert not list(no_floats(got))
    with ledger(ws) as lg:
        infos = lg.periods()
        expected = []
        for info in infos:
            rec = lg.record(info.period)
            expected.append(
                {
                    "period": str(info.period),
                    "period_status": info.status,
                    "payout": money(rec.totals()["payout"]),
                    "partners": rec["partner_results"].height,
                    "run_at": info.run_at,
                    "closed_at": info.closed_at,
                    "outputs_match": True,
                }
            )
        states = [
            s for s in lg.record(infos[-1].period)["states"].iter_rows(named=True) if s["held"] or s["receivable"]
        ]
    assert [{k: m[k] for k in expected[0]} for m in got["months"]] == expected
    assert [(b["partner_id"], b["held"], b["receivable"]) for b in got["balances"]] == [
        (s["partner_id"], money(s["held"]), money(s["receivable"])) for s in states
    ]
    assert_csv_equals_json(data(ws, "en", "csv", "status"), got)


def test_simulate_json_and_csv_equal_the_simulation(ws: Workspace) -> None:
    got = data(ws, "en", "json", "simulate", "2026-05", *SET_5)
    assert not list(no_floats(got))
    sim = simulate(ws, Period.parse("2026-05"), None, SET_5[1:])
    base, alt = sim.totals("base"), sim.totals("alt")
    assert got["totals"] == [
        {"item": f, "base": money(base[f]), "simulated": money(alt[f]), "difference": money(alt[f] - base[f])}
        for f in MONEY_FIELDS
    ]
    assert [(c["partner_id"], c["side"], c["status"], c["payout"]) for c in got["changes"]] == [
        ("SI-0021", "base", "on_hold", "0.00"),
        ("SI-0021", "simulated", "active", "36183.97"),
    ]
    assert_csv_equals_json(data(ws, "en", "csv", "simulate", "2026-05", *SET_5), got)
    every = data(ws, "en", "json", "simulate", "2026-05", *SET_5, "--all")
    assert len({c["partner_id"] for c in every["changes"]}) == len(sim.changes)


def test_watch_json_and_csv_are_watch_csv_rows(ws: Workspace) -> None:
    got = data(ws, "zh", "json", "watch", "2026-02")
    with (ws.out_for(Period.parse("2026-02")) / "watch.csv").open(encoding="utf-8-sig", newline="") as f:
        on_file = list(csv.DictReader(f))
    assert on_file and [{k: as_csv(v) for k, v in row.items()} for row in got] == on_file
    assert_csv_equals_json(data(ws, "zh", "csv", "watch", "2026-02"), {"watch": got})
    # a month without a watch list: an empty list, and a CSV with watch.csv's header alone
    assert data(ws, "zh", "json", "watch", "2026-05") == []
    empty = cli(ws, "zh", "watch", "2026-05", "--format", "csv").stdout_bytes.decode("utf-8-sig")
    assert empty.splitlines() == [",".join(WATCH_COLUMNS)]


def test_run_json_is_the_summary_alone_on_stdout(run_ws: Workspace) -> None:
    result = cli(run_ws, "en", "run", "2026-01", "--format", "json")
    got = json.loads(result.stdout)  # the "written to" line went to stderr
    assert "2026-01" in result.stderr
    rec = record(run_ws, "2026-01")
    totals = rec.totals()
    (total,) = [r for r in got["totals"] if r["status"] == "total"]
    assert total["partners"] == rec["partner_results"].height
    assert {f: total[f] for f in ("gross_amount", "held_out", "payout")} == {
        f: money(totals[f]) for f in ("gross_amount", "held_out", "payout")
    }
    breached = rec.breached_rules()
    assert [(n["partner_id"], n["held_out"]) for n in got["notable"]] == [
        (r["partner_id"], money(r["held_out"]))
        for r in rec.rows("partner_results")
        if breached.get(r["partner_id"]) or r["status"] != "active" or r["released"]
    ]
    assert len(got["watch"]) == rec["watch"].height
    rows = data(run_ws, "en", "csv", "run", "2026-01")
    assert_csv_equals_json(rows, got)


def test_an_unknown_format_is_a_usage_error(ws: Workspace) -> None:
    for lang, words in (("en", "table, csv or json"), ("zh", "只能是 table、csv 或 json")):
        result = CliRunner().invoke(app, ["-w", str(ws.root), "--lang", lang, "history", "SI-0009", "--format", "xml"])
        assert result.exit_code == 2
        assert words in result.output


# --- the layout itself ----------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghij-", min_size=1, max_size=12) | st.text(
    alphabet="暂停结算正常中止合作", min_size=1, max_size=6
)
NUMBER = st.integers(-(10**9), 10**9).map(format_fen)


@settings(max_examples=60, deadline=None)
@given(
    columns=st.integers(30, 160),
    kinds=st.lists(st.sampled_from(["num", "id", "text"]), min_size=1, max_size=9),
    data=st.data(),
)
def test_a_fitted_grid_never_cuts_a_value(columns: int, kinds: list[str], data: st.DataObject) -> None:
    cols = [Column(f"c{i}", f"column {i}", k) for i, k in enumerate(kinds)]  # type: ignore[arg-type]
    grid = Grid("title", cols)
    cells = []
    for _ in range(data.draw(st.integers(1, 5))):
        row = [
            data.draw(NUMBER)
            if k == "num"
            else data.draw(st.from_regex(r"[A-Z]{2}-[0-9]{4,14}", fullmatch=True))
            if k == "id"
            else " ".join(data.draw(st.lists(WORD, min_size=1, max_size=6)))
            for k in kinds
        ]
        grid.add(*row)
        cells.append(row)
    for tty in (True, False):
        buf = io.StringIO()
        console = Console(file=buf, width=columns, force_terminal=tty, color_system=None)
        show(console, grid)
        text = buf.getvalue()
        check_layout(text, tty, columns)
        values = {v for row in cells for v, k in zip(row, kinds, strict=True) if k != "text"}
        words = {w for row in cells for v, k in zip(row, kinds, strict=True) if k == "text" for w in v.split()}
        if values:
            assert_whole(text, values)
        for w in words:  # a word is broken only between Chinese characters
            if w.isascii():
                assert re.search(rf"(?<![a-j\-]){re.escape(w)}(?![a-j\-])", text), w
