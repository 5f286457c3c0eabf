"""The service clock: pauses, working days, business hours, checked against a second calendar.

The second calendar is the ``chinesecalendar`` package (a separate source of the
State Council's schedule); the brute-force oracle below walks time in 10-minute
steps on that calendar and knows nothing of the product's readings and lookups.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import chinese_calendar
import polars as pl
import pytest
from conftest import InputsFolder
from factories import default_config

from scorecard import pipeline
from scorecard.checks import check
from scorecard.clock import ClockSettings, DeadlineSpec, with_deadlines
from scorecard.config import Config, Window, default_config_path, load_config, parse_config
from scorecard.inputs.load import load_period
from scorecard.issues import InputError
from scorecard.metrics import cutoff, ticket_status
from scorecard.periods import Period
from scorecard.workdays import working_days

D = datetime
NINE_TO_SIX = ClockSettings((9 * 60, 18 * 60))
PAUSE_SCHEMA = {"ticket_id": pl.String, "paused_at": pl.Datetime("us"), "resumed_at": pl.Datetime("us")}


def deadlines(
    window: str,
    received: Sequence[datetime],
    pauses: Sequence[tuple[int, datetime, datetime | None]] = (),
    period: Period | None = None,
) -> list[datetime | None]:
    """Deadline of each ticket received at ``received[i]``; a pause names its ticket by index."""
    tickets = pl.DataFrame(
        {"ticket_id": [f"T{i}" for i in range(len(received))], "category": "normal", "received_at": list(received)},
        schema={"ticket_id": pl.String, "category": pl.String, "received_at": pl.Datetime("us")},
    )
    frame = pl.DataFrame(
        [(f"T{i}", p, q) for i, p, q in pauses],
        schema=PAUSE_SCHEMA,
        orient="row",
    )
    period = period or Period(received[0].year, received[0].month)
    spec = DeadlineSpec("deadline", "received_at", {"normal": Window.parse(window)})
    out = with_deadlines(tickets.lazy(), [spec], frame, period, NINE_TO_SIX).collect()
    return out.get_column("deadline").to_list()


def config_with(completion: str) -> Config:
    data = default_config().config.model_dump(by_alias=True)
    data["windows"]["completion"] = dict.fromkeys(("urgent", "normal", "difficult"), completion)
    data["windows"]["reply"] = {k: str(Window(**v)) for k, v in data["windows"]["reply"].items()}
    return Config.model_validate(data)


def states(
    config: Config,
    period: Period,
    tickets: Sequence[tuple[datetime, datetime | None]],
    pauses: Sequence[tuple[int, datetime, datetime | None]] = (),
) -> pl.DataFrame:
    """ticket_status over tickets (received_at, resolved_at), ordered by ticket."""
    n = len(tickets)
    complaints = pl.DataFrame(
        {
            "ticket_id": [f"T{i:05d}" for i in range(n)],
            "partner_id": "P1",
            "received_at": [t[0] for t in tickets],
            "resolved_at": [t[1] for t in tickets],
            "category": "normal",
            "valid": True,
            "is_repeat": False,
            "is_major": False,
            "_line": list(range(2, n + 2)),
        },
        schema_overrides={"received_at": pl.Datetime("us"), "resolved_at": pl.Datetime("us")},
    )
    frame = pl.DataFrame([(f"T{i:05d}", p, q) for i, p, q in pauses], schema=PAUSE_SCHEMA, orient="row")
    out = ticket_status(complaints.lazy(), period, config, False, frame).collect()
    return out.sort("ticket_id")


# --- the calendar against a second source ------------------------------------------------------


def test_official_calendar_agrees_with_chinesecalendar_every_day_2019_to_2026() -> None:
    first, last = date(2019, 1, 1), date(2026, 12, 31)
    ours = working_days(first, last)
    theirs = [chinese_calendar.is_workday(first + timedelta(d)) for d in range((last - first).days + 1)]
    disagree = [first + timedelta(d) for d, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    assert len(ours) == 2922
    assert disagree == []
    # the two sources also agree that the 调休 weekends of 2026 are working days
    for day in (date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert day.weekday() >= 5 and ours[(day - first).days] and chinese_calendar.is_workday(day)


# --- clock hours with pauses ---------------------------------------------------------------------


def test_pause_across_midnight_moves_a_clock_hour_deadline_by_its_length() -> None:
    # received 20:00, 24 h; paused 23:00 to 01:30 the next day: 2.5 h later
    assert deadlines("24h", [D(2026, 3, 10, 20)], [(0, D(2026, 3, 10, 23), D(2026, 3, 11, 1, 30))]) == [
        D(2026, 3, 11, 22, 30)
    ]


def test_resolution_at_the_moved_deadlines_exact_second_is_on_time() -> None:
    config = config_with("24h")
    pause = (D(2026, 3, 10, 23), D(2026, 3, 11, 1, 30))
    received = D(2026, 3, 10, 20)
    out = states(
        config,
        Period(2026, 3),
        [(received, D(2026, 3, 11, 22, 30)), (received, D(2026, 3, 11, 22, 30, 1)), (received, D(2026, 3, 11, 20))],
        [(0, *pause), (1, *pause)],
    )
    assert out.get_column("deadline").to_list() == [D(2026, 3, 11, 22, 30), D(2026, 3, 11, 22, 30), D(2026, 3, 11, 20)]
    assert out.get_column("state").cast(pl.String).to_list() == ["on_time", "late", "on_time"]


def test_several_pauses_a_pause_after_the_first_deadline_counts_once_the_deadline_moved() -> None:
    received = D(2026, 3, 10, 8)  # 24 h: 2026-03-11 08:00
    pauses = [
        (0, D(2026, 3, 10, 9), D(2026, 3, 10, 11)),  # 2 h: deadline 10:00
        (0, D(2026, 3, 11, 9), D(2026, 3, 11, 10)),  # begins before 10:00: 1 h more, 11:00
        (0, D(2026, 3, 11, 10, 30), D(2026, 3, 11, 12)),  # begins before 11:00: 1.5 h more, 12:30
        (0, D(2026, 3, 11, 12, 30), D(2026, 3, 11, 20)),  # begins at the deadline: does not count
    ]
    assert deadlines("24h", [received], pauses) == [D(2026, 3, 11, 12, 30)]


def test_pause_that_begins_after_the_deadline_does_not_move_it() -> None:
    assert deadlines("24h", [D(2026, 3, 10, 8)], [(0, D(2026, 3, 11, 8, 0, 1), D(2026, 3, 12))]) == [D(2026, 3, 11, 8)]


def test_open_pause_at_the_cutoff_keeps_an_unresolved_ticket_pending() -> None:
    config = config_with("24h")
    period = Period(2026, 3)
    received = D(2026, 3, 30, 9)
    out = states(
        config,
        period,
        [(received, None), (received, None), (received, D(2026, 4, 20)), (received, None)],
        [
            (0, D(2026, 3, 30, 10), None),  # open, began before the deadline: pending
            (1, D(2026, 3, 31, 10), None),  # open, began after the deadline 03-31 09:00: late
            (2, D(2026, 3, 30, 10), None),  # resolved while paused: on time
            (3, D(2026, 3, 30, 10), D(2026, 4, 10)),  # resumed after the cut-off: deadline after it, pending
        ],
    )
    assert cutoff(period, config) == date(2026, 4, 4)
    assert out.get_column("deadline").to_list() == [None, D(2026, 3, 31, 9), None, D(2026, 4, 10, 23)]
    assert out.get_column("state").cast(pl.String).to_list() == ["pending", "late", "on_time", "pending"]


# --- working days --------------------------------------------------------------------------------


def test_working_day_deadline_skips_the_national_day_holiday() -> None:
    # Tue 2026-09-29, 2wd: Wed 09-30 and Thu 10-08 (10-01..07 are holidays): end of 10-08
    assert deadlines("2wd", [D(2026, 9, 29, 10)]) == [D(2026, 10, 9)]


def test_pause_across_a_holiday_moves_a_working_day_deadline_by_the_working_time_paused() -> None:
    # paused from 09-30 12:00 to 10-08 12:00: 12 h of 09-30 and 12 h of 10-08 count as paused,
    # the holiday itself was never counted: one working day later, end of Fri 10-09
    pause = (0, D(2026, 9, 30, 12), D(2026, 10, 8, 12))
    assert deadlines("2wd", [D(2026, 9, 29, 20)], [pause]) == [D(2026, 10, 10)]
    # on clock hours (deadline 09-30 20:00) the same pause moves it by all of its 192 hours
    assert deadlines("24h", [D(2026, 9, 29, 20)], [pause]) == [D(2026, 10, 8, 20)]


def test_pause_on_the_day_of_receipt_does_not_move_a_working_day_deadline() -> None:
    # the day of receipt is never counted, so pausing on it changes nothing
    assert deadlines("1wd", [D(2026, 3, 10, 9)], [(0, D(2026, 3, 10, 10), D(2026, 3, 10, 23))]) == [D(2026, 3, 12)]


# --- business hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "window", "expected"),
    [
        (D(2026, 3, 10, 10), "8bh", D(2026, 3, 10, 18)),  # ends exactly at closing time, not next morning
        (D(2026, 3, 10, 10), "9bh", D(2026, 3, 11, 10)),
        (D(2026, 3, 10, 7, 15), "8bh", D(2026, 3, 10, 17)),  # before 09:00: counts from 09:00
        (D(2026, 3, 10, 19), "8bh", D(2026, 3, 11, 17)),  # after 18:00: counts from 09:00 next day
        (D(2026, 3, 10, 18), "1bh", D(2026, 3, 11, 10)),  # at closing time exactly
        (D(2026, 3, 14, 11), "8bh", D(2026, 3, 16, 17)),  # Saturday: from Monday 09:00
        (D(2026, 10, 1, 11), "8bh", D(2026, 10, 8, 17)),  # National Day: from the first working day after it
        (D(2026, 9, 19, 11), "8bh", D(2026, 9, 20, 17)),  # Sat 09-19, then Sun 09-20 is a 调休 working day
        (D(2026, 10, 9, 15), "12bh", D(2026, 10, 10, 18)),  # Fri 3 h, then all 9 h of Sat 10-10 (调休)
        (D(2026, 10, 9, 15), "13bh", D(2026, 10, 12, 10)),  # Sun 10-11 is a plain weekend day
    ],
)
def test_business_hours_windows(received: datetime, window: str, expected: datetime) -> None:
    assert deadlines(window, [received]) == [expected]


def test_business_hours_pause_counts_only_its_business_hours() -> None:
    # Tue 10:00 + 8bh = 18:00; a pause 17:00 to Wed 10:00 holds 1 + 1 business hours
    assert deadlines("8bh", [D(2026, 3, 10, 10)], [(0, D(2026, 3, 10, 17), D(2026, 3, 11, 10))]) == [D(2026, 3, 11, 11)]


# --- the brute-force oracle ------------------------------------------------------------------------

STEP = timedelta(minutes=10)


@functools.cache
def _workday(day: date) -> bool:
    return chinese_calendar.is_workday(day)


def _counts(unit: str, received: datetime, at: datetime) -> bool:
    """Does the 10 minutes starting at ``at`` count, on the second calendar?"""
    if unit == "h":
        return True
    if not _workday(at.date()):
        return False
    if unit == "wd":
        return at.date() > received.date()
    return 9 <= at.hour < 18


def oracle_deadline(
    unit: str, amount: int, received: datetime, pauses: list[tuple[datetime, datetime | None]]
) -> datetime | None:
    """Walk forward 10 minutes at a time, counting what counts and is not paused."""
    need = amount * (24 * 6 if unit == "wd" else 6)
    at, counted = received, 0
    while True:
        paused = [p for p in pauses if p[0] <= at and (p[1] is None or at < p[1])]
        if paused and paused[0][1] is None:
            return None  # stopped for good
        if not paused and _counts(unit, received, at):
            counted += 1
            if counted == need:
                return at + STEP
        at += STEP


def _random_time(rng: random.Random, start: datetime, hours: int) -> datetime:
    return start + STEP * rng.randrange(hours * 6)


def test_brute_force_oracle_over_random_tickets_and_pauses() -> None:
    rng = random.Random(14)
    cases = 0
    mismatches: list[str] = []
    periods = [Period(y, m) for y in range(2019, 2027) for m in range(1, 13)][:-2]  # deadlines stay in 2026
    for _batch in range(60):
        period = rng.choice(periods)
        unit = rng.choice(["h", "wd", "bh"])
        amount = {"h": rng.randint(1, 72), "wd": rng.randint(1, 5), "bh": rng.randint(1, 30)}[unit]
        window = f"{amount}{unit}"
        days = (period.end - period.start).days
        received, pauses, spans = [], [], []
        for i in range(150):
            r = _random_time(rng, period.start, days * 24)
            received.append(r)
            mine: list[tuple[datetime, datetime | None]] = []
            at = r
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                p = _random_time(rng, at, 60)
                q = None if rng.random() < 0.08 else _random_time(rng, p, 80)
                mine.append((p, q))
                pauses.append((i, p, q))
                if q is None:
                    break
                at = q
            spans.append(mine)
        ours = deadlines(window, received, pauses, period)
        for i, r in enumerate(received):
            expected = oracle_deadline(unit, amount, r, spans[i])
            cases += 1
            if ours[i] != expected:
                mismatches.append(f"{window} received {r} pauses {spans[i]}: {ours[i]} != {expected}")
    assert mismatches == []
    assert cases == 9000


def test_states_against_the_oracle_at_and_around_the_deadline() -> None:
    """Resolved at the oracle's deadline is on time, one second later late; unresolved by the cut-off rule."""
    rng = random.Random(1414)
    checked = 0
    for window, period in (("2wd", Period(2026, 9)), ("8bh", Period(2026, 1)), ("36h", Period(2025, 12))):
        config = config_with(window)
        unit, amount = Window.parse(window).unit, Window.parse(window).amount
        cut = datetime.combine(cutoff(period, config), datetime.min.time())
        tickets: list[tuple[datetime, datetime | None]] = []
        pauses: list[tuple[int, datetime, datetime | None]] = []
        expected: list[str] = []
        for i in range(0, 600, 3):
            r = _random_time(rng, period.start, 24 * (period.end - period.start).days)
            p = _random_time(rng, r, 48)
            q = _random_time(rng, p, 30) if rng.random() < 0.9 else None
            due = oracle_deadline(unit, amount, r, [(p, q)])
            if due is None:
                tickets += [(r, None), (r, p + timedelta(days=40)), (r, None)]
                expected += ["pending", "on_time", "pending"]
            else:
                tickets += [(r, due), (r, due + timedelta(seconds=1)), (r, None)]
                expected += ["on_time", "late", "late" if due <= cut else "pending"]
            pauses += [(i, p, q), (i + 1, p, q), (i + 2, p, q)]
        out = states(config, period, tickets, pauses)
        assert out.get_column("state").cast(pl.String).to_list() == expected
        checked += len(expected)
    assert checked == 1800


# --- the pauses table ----------------------------------------------------------------------------

PAUSES_HEADER = "ticket_id,paused_at,resumed_at\n"


def test_pause_problems_are_reported_at_their_lines(inputs: InputsFolder) -> None:
    inputs.csv(
        "pauses",
        PAUSES_HEADER + "T1,2026-03-02 10:00,2026-03-02 11:00\n"  # 2: fine
        "T9,2026-03-02 10:00,2026-03-02 11:00\n"  # 3: unknown ticket
        "T1,2026-03-02 12:00,2026-03-02 11:59\n"  # 4: resumed before paused
        "T1,2026-03-02 10:30,2026-03-02 12:30\n"  # 5: overlaps line 2
        "T1,2026-03-02 10:00,2026-03-02 11:00\n"  # 6: line 2 again
        "T1,2026-03-02 11:00,2026-03-02 11:10\n"  # 7: touches line 2's end: fine, but inside line 5
        "T2,2026-03-05 09:00,2026-03-05 09:30\n"  # 8: before T2 was received (10:00)
        "T2,2026-03-06 09:00,\n"  # 9: fine, open
        "T2,2026-03-07 09:00,2026-03-07 10:00\n",  # 10: after the open pause began
    )
    assert inputs.errors() == [
        "pauses.csv:3: ticket_id: unknown ticket 'T9' (expected a ticket_id of complaints.csv)",
        "pauses.csv:4: resumed_at: 2026-03-02 11:59:00 is before paused_at 2026-03-02 12:00:00 "
        "(expected resumed_at at or after paused_at)",
        "pauses.csv:5: paused_at: pause of ticket 'T1' overlaps the pause on line 2 "
        "(expected pauses of one ticket that do not overlap (one may end as the next starts))",
        "pauses.csv:6: pause of ticket 'T1' given twice (first on line 2) (expected each pause once)",
        "pauses.csv:7: paused_at: pause of ticket 'T1' overlaps the pause on line 5 "
        "(expected pauses of one ticket that do not overlap (one may end as the next starts))",
        "pauses.csv:8: paused_at: 2026-03-05 09:00:00 is before the ticket was received (2026-03-05 10:00:00) "
        "(expected paused_at at or after received_at)",
        "pauses.csv:10: paused_at: pause of ticket 'T2' overlaps the pause on line 9 "
        "(expected pauses of one ticket that do not overlap (one may end as the next starts))",
    ]


def test_pauses_one_after_another_are_valid(inputs: InputsFolder) -> None:
    inputs.csv(
        "pauses",
        PAUSES_HEADER + "T1,2026-03-02 10:00,2026-03-02 11:00\nT1,2026-03-02 11:00,2026-03-02 12:00\n"
        "T1,2026-03-02 12:00,2026-03-02 12:00\nT2,2026-03-05 10:00,\n",
    )
    loaded = inputs.load()
    assert [str(i) for i in loaded.issues] == []
    assert loaded.tables["pauses"].frame.get_column("resumed_at").to_list() == [
        D(2026, 3, 2, 11),
        D(2026, 3, 2, 12),
        D(2026, 3, 2, 12),
        None,
    ]


def test_pauses_of_a_terminated_partners_tickets_are_left_out(inputs: InputsFolder) -> None:
    inputs.csv("pauses", PAUSES_HEADER + "T1,2026-03-02 10:00,2026-03-02 11:00\nT2,2026-03-05 11:00,\n")
    loaded = inputs.load(excluded_partners={"P2": "terminated in 2026-02"})
    assert [str(i) for i in loaded.issues.errors] == []
    assert "pauses.csv:3: ticket_id: T2: pause of a ticket of a partner no longer assessed, left out" in [
        str(i) for i in loaded.issues.warnings
    ]
    assert loaded.tables["pauses"].frame.get_column("ticket_id").to_list() == ["T1"]


def test_pauses_headers_may_be_mapped(inputs: InputsFolder) -> None:
    inputs.csv("pauses", "工单编号,挂起时间,恢复时间\nT1,2026-03-02 10:00,2026-03-02 11:00\n")
    mapping = {"pauses": {"工单编号": "ticket_id", "挂起时间": "paused_at", "恢复时间": "resumed_at"}}
    loaded = inputs.load(columns=mapping)
    assert [str(i) for i in loaded.issues] == []
    assert loaded.tables["pauses"].frame.height == 1
    data = default_config().config.model_dump(by_alias=True)
    data["columns"] = mapping
    data["windows"] = {}
    assert Config.model_validate(data).columns["pauses"]["挂起时间"] == "paused_at"


# --- named stages ----------------------------------------------------------------------------------


def _uncommented_bank_stages() -> str:
    """The shipped configuration with its commented stages and stage rules uncommented in place."""
    lines = default_config_path().read_text(encoding="utf-8").splitlines()
    out, inside = [], False
    for i, line in enumerate(lines):
        if line == "# [windows.stages.forward]" or (
            line == "# [[rulesets.rules]]" and lines[i + 1] == '# id = "bank-stage-forward"'
        ):
            inside = True
        if inside and not line.startswith("#"):
            inside = False
        out.append(line.removeprefix("# ").removeprefix("#") if inside else line)
    return "\n".join(out) + "\n"


STAGES_HEADER = "ticket_id,partner_id,received_at,resolved_at,转办时间,verified_at,reported_at,answered_at\n"


def test_commented_bank_stages_example_is_valid_and_measures_each_stage(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.toml"
    text = _uncommented_bank_stages()
    path.write_text(text + '\n[columns.complaints]\n"转办时间" = "forwarded_at"\n', encoding="utf-8")
    loaded = load_config(path)
    assert list(loaded.config.windows.stages) == ["forward", "verify", "report", "answer"]
    assert [str(s.window) for s in loaded.config.windows.stages.values()] == ["2wd", "2wd", "5wd", "3wd"]
    assert [str(i) for i in check(loaded, [Period(2026, 3)])] == []

    folder = InputsFolder(tmp_path / "2026-03")
    folder.csv(
        "complaints",
        STAGES_HEADER
        # forward by Thu 00:00 on time; verify on time; report late (due 03-14); answer never: late
        + "T1,P1,2026-03-02 09:00,2026-03-20 10:00,2026-03-04 23:59,2026-03-07 00:00,2026-03-16 09:00,\n"
        # forwarded one second after the end of Wednesday: late; never verified: late; the rest not started
        + "T2,P1,2026-03-02 10:00,2026-03-09 10:00,2026-03-05 00:00:01,,,\n"
        # not forwarded, deadline pushed past the cut-off by a pause: pending
        + "T3,P1,2026-03-31 10:00,,,,,\n"
        + "T4,P2,2026-03-05 10:00,,2026-03-06 10:00,,,\n",
    )
    folder.csv("pauses", "ticket_id,paused_at,resumed_at\nT3,2026-04-01 00:00,2026-04-03 00:00\n")
    inputs = load_period(folder.folder, Period(2026, 3), pipeline.settings_for(loaded, {}))
    assert [str(i) for i in inputs.issues] == []
    a = pipeline.assess_inputs(inputs, loaded, {})
    tickets = a.tickets.collect().sort("ticket_id")
    assert tickets.get_column("deadline:forward").to_list() == [
        D(2026, 3, 5),
        D(2026, 3, 5),
        D(2026, 4, 8),  # Wed, Thu paused; Fri 04-03, then Tue 04-07 after Qingming
        D(2026, 3, 10),
    ]
    assert tickets.get_column("state:forward").cast(pl.String).to_list() == ["on_time", "late", "pending", "on_time"]
    assert tickets.get_column("state:verify").cast(pl.String).to_list() == ["on_time", "late", None, "late"]
    assert tickets.get_column("deadline:report").to_list() == [D(2026, 3, 14), None, None, None]
    by_partner = {m.partner_id: m for m in a.metrics}
    p1, p2 = by_partner["P1"], by_partner["P2"]
    assert p1.stages == (("forward", 1, 1, 1), ("verify", 1, 1, 0), ("report", 0, 1, 0), ("answer", 0, 1, 0))
    assert [p1.value(f"stage_on_time_rate:{s}") for s in ("forward", "verify", "report", "answer")] == [
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(0),
        Fraction(0),
    ]
    assert p2.value("stage_on_time_rate:forward") == 1
    assert p2.value("stage_on_time_rate:verify") == 0
    assert p2.value("stage_on_time_rate:report") is None  # nothing to assess: the rule does not fire
    assert a.tables is not None  # the record's rule results, as the columnar engine made them
    rules = a.tables["rule_results"].filter(pl.col("breached") & pl.col("rule_id").str.starts_with("bank-"))
    breached = {
        pid: list(ids)
        for pid, ids in rules.sort("partner_id", "seq")
        .group_by("partner_id", maintain_order=True)
        .agg("rule_id")
        .rows()
    }
    assert breached == {
        "P1": ["bank-stage-forward", "bank-stage-verify", "bank-stage-report", "bank-stage-answer"],
        "P2": ["bank-stage-verify"],
    }


def test_a_month_without_a_stages_columns_does_not_measure_it(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.toml"
    path.write_text(_uncommented_bank_stages(), encoding="utf-8")
    loaded = load_config(path)
    folder = InputsFolder(tmp_path / "2026-03")
    folder.csv(
        "complaints",
        "ticket_id,partner_id,received_at,resolved_at,forwarded_at\n"
        "T1,P1,2026-03-02 09:00,2026-03-02 17:30,2026-03-03 09:00\n"
        "T2,P2,2026-03-05 10:00,,2026-03-05 09:00\n",
    )
    inputs = load_period(folder.folder, Period(2026, 3), pipeline.settings_for(loaded, {}))
    assert [str(i) for i in inputs.issues.errors] == [
        "complaints.csv:3: forwarded_at: 2026-03-05 09:00:00 is before received_at 2026-03-05 10:00:00 "
        "(expected forwarded_at at or after received_at)"
    ]
    warnings = [str(i) for i in inputs.issues.warnings]
    assert warnings == [
        f"complaints.csv:1: {c}: column not in the file: the stages that use it are not measured this period"
        for c in ("answered_at", "reported_at", "verified_at")
    ]
    folder.csv(
        "complaints",
        "ticket_id,partner_id,received_at,resolved_at,forwarded_at\nT1,P1,2026-03-02 09:00,2026-03-02 17:30,"
        "2026-03-03 09:00\n",
    )
    inputs = load_period(folder.folder, Period(2026, 3), pipeline.settings_for(loaded, {}))
    a = pipeline.assess_inputs(inputs, loaded, {})
    p1 = next(m for m in a.metrics if m.partner_id == "P1")
    assert p1.stages == (("forward", 1, 0, 0),)
    assert p1.value("stage_on_time_rate:verify") is None


def test_stage_configuration_errors() -> None:
    base = default_config().config.model_dump(by_alias=True)
    base["windows"] = {}
    bad = {
        "to is received_at": ({"from": "forwarded_at", "to": "received_at", "window": "2wd"}, "cannot end at"),
        "not a date-time": ({"from": "received_at", "to": "category", "window": "2wd"}, "is not a date-time"),
        "bad window": ({"from": "received_at", "to": "forwarded_at", "window": "2d"}, "not a window"),
    }
    for name, (stage, message) in bad.items():
        data = {**base, "windows": {"stages": {"s": stage}}}
        with pytest.raises(InputError) as exc:
            parse_config(data, "scorecard.toml")
        assert message in str(next(iter(exc.value.issues))), name
    rules = [dict(r) for r in base["rulesets"][0]["rules"]]
    rules[1]["metric"] = "stage_on_time_rate:forward"
    data = {**base, "rulesets": [{**base["rulesets"][0], "rules": rules}]}
    with pytest.raises(InputError) as exc:
        parse_config(data, "scorecard.toml")
    assert "rulesets[0].rules[1].metric: no stage 'forward' in [windows.stages] (stages: none configured)" in str(
        next(iter(exc.value.issues))
    )
    rules[1]["metric"] = "on_time_rates"
    with pytest.raises(InputError) as exc:
        parse_config(data, "scorecard.toml")
    assert "'on_time_rates' is not allowed here; did you mean 'on_time_rate'?" in str(next(iter(exc.value.issues)))


def test_business_hours_setting_is_checked() -> None:
    base = default_config().config.model_dump(by_alias=True)
    base["windows"] = {}
    for text in ("9-18", "18:00-09:00", "09:00-24:30"):
        with pytest.raises(InputError) as exc:
            parse_config({**base, "general": {**base["general"], "business_hours": text}}, "scorecard.toml")
        assert str(next(iter(exc.value.issues))).startswith("scorecard.toml: general.business_hours:")
    ok = parse_config({**base, "general": {**base["general"], "business_hours": "08:30-24:00"}}, "scorecard.toml")
    assert ok.config.general.business_minutes == (510, 1440)


def test_categories_on_different_clocks_in_one_frame_match_each_clock_alone() -> None:
    rng = random.Random(7)
    period = Period(2026, 9)
    windows = {"urgent": "30h", "normal": "3wd", "difficult": "11bh"}
    rows, pauses = [], []
    for i in range(300):
        r = _random_time(rng, period.start, 24 * 30)
        p = _random_time(rng, r, 40)
        q = None if i % 17 == 0 else _random_time(rng, p, 50)
        rows.append((f"T{i:03d}", list(windows)[i % 3], r))
        if i % 2:
            pauses.append((f"T{i:03d}", p, q))
    tickets = pl.DataFrame(rows, schema=["ticket_id", "category", "received_at"], orient="row")
    frame = pl.DataFrame(pauses, schema=PAUSE_SCHEMA, orient="row")
    spec = DeadlineSpec("deadline", "received_at", {c: Window.parse(w) for c, w in windows.items()})
    mixed = with_deadlines(tickets.lazy(), [spec], frame, period, NINE_TO_SIX).collect().sort("ticket_id")
    alone: list[datetime | None] = []
    for ticket_id, category, received in rows:
        mine = [(0, p, q) for t, p, q in pauses if t == ticket_id]
        alone += deadlines(windows[category], [received], mine, period)
    assert mixed.get_column("deadline").to_list() == alone
    assert sum(d is None for d in alone) == 8  # of the 9 open pauses, one begins after its deadline


def test_config_check_wants_the_calendar_for_business_hours_and_stage_windows() -> None:
    base = default_config().config.model_dump(by_alias=True)
    base["windows"] = {"stages": {"forward": {"from": "received_at", "to": "forwarded_at", "window": "2wd"}}}
    loaded = parse_config(base, "scorecard.toml")
    assert [str(i) for i in check(loaded, [Period(2026, 3)])] == []
    out = [str(i) for i in check(loaded, [Period(2031, 3)])]
    assert any("windows.stages.forward.window: a 2wd window needs the official calendar of 2031" in f for f in out)
    base["windows"] = {"reply": {"urgent": "4bh", "normal": "12h", "difficult": "72h"}}
    out = [str(i) for i in check(parse_config(base, "scorecard.toml"), [Period(2031, 3)])]
    assert any("windows.reply.urgent: a 4bh window needs the official calendar of 2031" in f for f in out)
