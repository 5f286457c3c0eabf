"""Checks across rows and tables, rows left out with warnings, and the error cap."""

# Messages are asserted whole, as users read them.

from __future__ import annotations

import polars as pl
import pytest
from conftest import InputsFolder

from scorecard.inputs.validate import _increasing
from scorecard.issues import grouped

COMPLAINTS_HEADER = "ticket_id,partner_id,received_at,resolved_at\n"


def test_duplicate_keys_name_the_first_line(inputs: InputsFolder) -> None:
    inputs.csv("partners", "partner_id,partner_name,mode\nP1,Alpha,C\nP2,Beta,EMP\nP1,Again,C\n")
    inputs.csv("billing", "partner_id,billed_users,group_customers\nP1,20000,\nP2,,12\nP2,,13\n")
    inputs.csv("settlement", "partner_id,gross_amount\nP1,1\nP2,2\nP1,3\n")
    inputs.csv(
        "complaints",
        COMPLAINTS_HEADER + "T1,P1,2026-03-02 09:00,\nT2,P1,2026-03-02 09:00,\nT1,P2,2026-03-02 09:00,\n"
        "T1,P2,2026-03-03 09:00,\n",
    )
    inputs.csv("refunds", "refund_id,partner_id,amount,kind\nR1,P1,10,double\nR1,P1,10,double\n")
    assert inputs.errors() == [
        "billing.csv:4: partner_id: duplicate partner_id 'P2' (first on line 3) (expected a unique partner_id)",
        "complaints.csv:4: ticket_id: duplicate ticket_id 'T1' (first on line 2) (expected a unique ticket_id)",
        "complaints.csv:5: ticket_id: duplicate ticket_id 'T1' (first on line 2) (expected a unique ticket_id)",
        "partners.csv:4: partner_id: duplicate partner_id 'P1' (first on line 2) (expected a unique partner_id)",
        "refunds.csv:3: refund_id: duplicate refund_id 'R1' (first on line 2) (expected a unique refund_id)",
        "settlement.csv:4: partner_id: duplicate partner_id 'P1' (first on line 2) (expected a unique partner_id)",
    ]


def test_unknown_partner_in_every_other_table(inputs: InputsFolder) -> None:
    inputs.csv("complaints", COMPLAINTS_HEADER + "T1,P1,2026-03-02 09:00,\nT2,P9,2026-03-02 09:00,\n")
    inputs.csv("billing", "partner_id,billed_users,group_customers\nP1,20000,\nP2,,12\nP8,1,1\n")
    inputs.csv("refunds", "refund_id,partner_id,amount,kind\nR1,P7,10,double\n")
    inputs.csv("conduct", "partner_id,event_type,occurred_on\nP6,delay,2026-03-03\n")
    inputs.csv("surveys", "partner_id,customer_id,score\nP5,C1,90\n")
    expected = "(expected a partner_id of partners.csv)"
    assert inputs.errors() == [
        f"billing.csv:4: partner_id: unknown partner 'P8' {expected}",
        f"complaints.csv:3: partner_id: unknown partner 'P9' {expected}",
        f"conduct.csv:2: partner_id: unknown partner 'P6' {expected}",
        f"refunds.csv:2: partner_id: unknown partner 'P7' {expected}",
        f"surveys.csv:2: partner_id: unknown partner 'P5' {expected}",
    ]


def test_mapped_partner_header_is_named_as_written(inputs: InputsFolder) -> None:
    inputs.csv("refunds", "退费单号,合作伙伴,amount,kind\nR1,P7,10,double\n")
    errors = inputs.errors(columns={"refunds": {"退费单号": "refund_id", "合作伙伴": "partner_id"}})
    assert errors == [
        "refunds.csv:2: 合作伙伴 (partner_id): unknown partner 'P7' (expected a partner_id of partners.csv)"
    ]


def test_times_before_received_at(inputs: InputsFolder) -> None:
    inputs.csv(
        "complaints",
        "ticket_id,partner_id,received_at,resolved_at,first_reply_at\n"
        "T1,P1,2026-03-02 09:00,2026-03-02 08:59,\n"
        "T2,P1,2026-03-02 09:00,2026-03-02 09:00,2026-03-02 09:00\n"
        "T3,P1,2026-03-02 09:00,,2026-03-01 23:00\n",
    )
    assert inputs.errors() == [
        "complaints.csv:2: resolved_at: 2026-03-02 08:59:00 is before received_at 2026-03-02 09:00:00 "
        "(expected resolved_at at or after received_at)",
        "complaints.csv:4: first_reply_at: 2026-03-01 23:00:00 is before received_at 2026-03-02 09:00:00 "
        "(expected first_reply_at at or after received_at)",
    ]


def test_partner_without_billing_or_settlement_row(inputs: InputsFolder) -> None:
    inputs.csv("partners", "partner_id,partner_name,mode\nP1,Alpha,C\nP2,Beta,EMP\nP3,Gamma,C\n")
    inputs.csv("settlement", "partner_id,gross_amount\nP1,1\nP3,2\n")
    assert inputs.errors() == [
        "partners.csv:3: partner_id: partner 'P2' has no row in settlement.csv "
        "(expected one row per partner in settlement.csv)",
        "partners.csv:4: partner_id: partner 'P3' has no row in billing.csv "
        "(expected one row per partner in billing.csv)",
    ]


def test_mode_needs_its_base(inputs: InputsFolder) -> None:
    inputs.csv("billing", "partner_id,billed_users,group_customers\nP1,,5\nP2,300,\n")
    assert inputs.errors() == [
        "billing.csv:2: billed_users: empty for C-mode partner 'P1' "
        "(expected the number of billed users (C mode is measured per 10,000 billed users))",
        "billing.csv:3: group_customers: empty for EMP-mode partner 'P2' "
        "(expected the number of signed group customers (EMP mode))",
    ]


def test_bad_cell_is_not_also_reported_as_empty(inputs: InputsFolder) -> None:
    inputs.csv("billing", "partner_id,billed_users,group_customers\nP1,lots,\nP2,,12\n")
    assert inputs.errors() == ["billing.csv:2: billed_users: not a whole number: 'lots' (expected a whole number ≥ 0)"]


def test_missing_partners_table_gives_one_error(inputs: InputsFolder) -> None:
    inputs.path("partners.csv").unlink()
    assert inputs.errors() == [
        "2026-03: missing required table 'partners' (expected one of partners.csv, partners.parquet, partners.xlsx)"
    ]


def test_tickets_outside_the_period_are_left_out(inputs: InputsFolder) -> None:
    inputs.csv(
        "complaints",
        COMPLAINTS_HEADER
        + "T1,P1,2026-03-01 00:00,\n"  # first instant: in
        + "T2,P1,2026-02-28 23:59:59,\n"
        + "".join(f"T{i},P2,2026-04-01 00:00,\n" for i in range(3, 10))  # first instant of April: out
        + "T10,P1,2026-03-31 23:59:59,\n",
    )
    result = inputs.load()
    assert not result.issues.has_errors
    warnings = result.issues.warnings
    assert [(w.line, w.key) for w in warnings] == [(3, "T2"), *((i + 1, f"T{i}") for i in range(3, 10))]
    assert str(warnings[0]) == "complaints.csv:3: received_at: T2: received outside 2026-03, left out"
    assert grouped(warnings) == [
        "complaints.csv: received_at: 8 tickets received outside 2026-03, left out: T2 (line 3), T3 (line 4), "
        "T4 (line 5), T5 (line 6), T6 (line 7) and 3 more"
    ]
    assert result.tables["complaints"].frame["ticket_id"].to_list() == ["T1", "T10"]


def test_conduct_outside_the_period_is_left_out(inputs: InputsFolder) -> None:
    inputs.csv(
        "conduct",
        "partner_id,event_type,occurred_on\nP1,delay,2026-03-31\nP1,delay,2026-04-01\nP2,attitude,2026-03-01\n",
    )
    result = inputs.load()
    assert [str(w) for w in result.issues.warnings] == ["conduct.csv:3: occurred_on: P1: outside 2026-03, left out"]
    assert grouped(result.issues.warnings) == [
        "conduct.csv: occurred_on: 1 event outside 2026-03, left out: P1 (line 3)"
    ]
    assert result.tables["conduct"].frame["_line"].to_list() == [2, 4]


def test_surveys_of_c_mode_partners_are_left_out(inputs: InputsFolder) -> None:
    inputs.csv("surveys", "partner_id,customer_id,score\nP1,C1,90\nP2,C2,80\nP1,C3,70\n")
    result = inputs.load()
    assert grouped(result.issues.warnings) == [
        "surveys.csv: partner_id: 2 surveys of C-mode partners, left out: P1 (line 2), P1 (line 4)"
    ]
    assert result.tables["surveys"].frame.select("partner_id", "score").rows() == [("P2", 8000)]


def test_excluded_partners_rows_are_left_out_everywhere(inputs: InputsFolder) -> None:
    inputs.csv("partners", "partner_id,partner_name,mode\nP1,Alpha,C\nP2,Beta,EMP\nP3,Gone,C\n")
    inputs.csv("billing", "partner_id,billed_users,group_customers\nP1,20000,\nP2,,12\nP3,,\n")
    inputs.csv(
        "complaints",
        COMPLAINTS_HEADER + "T1,P1,2026-03-02 09:00,\nT2,P3,not a date,\nT3,P3,2026-03-02 09:00,\n"
        "T4,P4,2026-03-02 09:00,\n",
    )
    result = inputs.load(excluded_partners={"P3": "terminated in 2026-01", "P4": "terminated in 2025-11"})
    # nothing in their rows is checked: P3's bad date, empty billed_users and missing settlement row,
    # P4's absence from partners
    assert not result.issues.has_errors, [str(e) for e in result.issues.errors]
    assert grouped(result.issues.warnings) == [
        "billing.csv: partner_id: 1 row of partner 'P3' (terminated in 2026-01), left out: P3 (line 4)",
        "complaints.csv: partner_id: 2 rows of partner 'P3' (terminated in 2026-01), left out: "
        "T2 (line 3), T3 (line 4)",
        "complaints.csv: partner_id: 1 row of partner 'P4' (terminated in 2025-11), left out: T4 (line 5)",
        "partners.csv: partner_id: 1 row of partner 'P3' (terminated in 2026-01), left out: P3 (line 4)",
    ]
    assert result.tables["partners"].frame["partner_id"].to_list() == ["P1", "P2"]
    assert result.tables["complaints"].frame["ticket_id"].to_list() == ["T1"]


def test_error_cap(inputs: InputsFolder) -> None:
    inputs.csv("settlement", "partner_id,gross_amount\nP1,x\nP2,y\n")
    inputs.csv("complaints", COMPLAINTS_HEADER + "".join(f"T{i},P1,bad,\n" for i in range(10)))
    result = inputs.load(max_errors=3)
    errors = [str(e) for e in result.issues.errors]
    assert len(errors) == 4
    assert (
        errors[0] == "2026-03: ... and 9 more errors not shown (max_errors = 3) (complaints.csv: 7, settlement.csv: 2)"
    )
    assert [e.split(": ")[0] for e in errors[1:]] == [
        "complaints.csv:2",
        "complaints.csv:3",
        "complaints.csv:4",
    ]


def test_error_cap_single_file(inputs: InputsFolder) -> None:
    inputs.csv("complaints", COMPLAINTS_HEADER + "".join(f"T{i},P1,bad,\n" for i in range(1234)))
    errors = inputs.load(max_errors=200).issues.errors
    assert len(errors) == 201
    summary = next(e for e in errors if e.line is None)
    assert str(summary) == "complaints.csv: ... and 1034 more errors not shown (max_errors = 200)"
    assert max(e.line or 0 for e in errors) == 201


@pytest.mark.parametrize(
    ("ids", "increasing"),
    [([], True), (["T1"], True), (["T1", "T2", "T3"], True), (["T1", "T2", "T2"], False), (["T2", "T10"], False)],
)
def test_ids_in_order_skip_the_hash_check(ids: list[str], increasing: bool) -> None:
    assert _increasing(pl.Series(ids, dtype=pl.String)) is increasing


def test_a_repeat_among_ids_in_order_is_still_found(inputs: InputsFolder) -> None:
    inputs.csv("refunds", "refund_id,partner_id,amount,kind\nR1,P1,10,double\nR2,P1,10,double\nR2,P2,5,full\n")
    assert inputs.errors() == [
        "refunds.csv:4: refund_id: duplicate refund_id 'R2' (first on line 3) (expected a unique refund_id)"
    ]
