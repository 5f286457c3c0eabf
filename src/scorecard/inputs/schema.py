"""The input tables of docs/inputs.md: their columns, kinds, defaults and keys.

This is the contract between loading and the engine. After loading, every
table is a polars frame with exactly the canonical column names below, typed
by kind, plus ``_line`` (Int64: the line a person sees in the source file,
header = 1):

- ``str``/``enum``  -> pl.String (enum values checked against ``choices``)
- ``int``           -> pl.Int64
- ``money``         -> pl.Int64 holding **fen** (1234.50 yuan -> 123450)
- ``points``        -> pl.Int64 holding **hundredths** (87.5 -> 8750), 0..10000
- ``datetime``      -> pl.Datetime("us"), naive local time of the configured zone
- ``date``          -> pl.Date
- ``bool``          -> pl.Boolean
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

Kind = Literal["str", "enum", "int", "money", "points", "datetime", "date", "bool"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # an empty cell is allowed (takes ``default``)
    default: object = None
    choices: tuple[str, ...] = ()
    min_value: int | None = None  # for int/money/points, in the stored unit
    max_value: int | None = None
    positive: bool = False  # money > 0


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    required: bool
    columns: tuple[Column, ...]
    key: str | None = None  # unique key column
    references_partner: bool = True
    # Rows of terminated partners are kept (not left out with a warning): a final settlement pays them.
    keeps_terminated: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


MODES = ("C", "EMP")
CATEGORIES = ("urgent", "normal", "difficult")
REFUND_KINDS = ("double", "full")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "partners",
            required=True,
            key="partner_id",
            references_partner=False,
            columns=(
                Column("partner_id", "str"),
                Column("partner_name", "str"),
                Column("mode", "enum", choices=MODES),
            ),
        ),
        Table(
            "billing",
            required=True,
            key="partner_id",
            columns=(
                Column("partner_id", "str"),
                Column("billed_users", "int", nullable=True, min_value=0),
                Column("group_customers", "int", nullable=True, min_value=0),
            ),
        ),
        Table(
            "complaints",
            required=True,
            key="ticket_id",
            columns=(
                Column("ticket_id", "str"),
                Column("partner_id", "str"),
                Column("received_at", "datetime"),
                Column("resolved_at", "datetime", nullable=True),
                Column("first_reply_at", "datetime", required=False, nullable=True),
                Column("category", "enum", required=False, nullable=True, default="normal", choices=CATEGORIES),
                Column("valid", "bool", required=False, nullable=True, default=True),
                Column("is_repeat", "bool", required=False, nullable=True, default=False),
                Column("is_major", "bool", required=False, nullable=True, default=False),
                # times the ticket was sent back after an unsatisfied revisit (回访不满意转回); feeds the
                # service report's first-time completion rate (docs/reports.md)
                Column("reopen_count", "int", required=False, nullable=True, default=0, min_value=0),
            ),
        ),
        Table(
            "settlement",
            required=True,
            key="partner_id",
            columns=(
                Column("partner_id", "str"),
                Column("gross_amount", "money", min_value=0),
            ),
        ),
        Table(
            "refunds",
            required=False,
            key="refund_id",
            columns=(
                Column("refund_id", "str"),
                Column("partner_id", "str"),
                Column("amount", "money", positive=True),
                Column("kind", "enum", choices=REFUND_KINDS),
                Column("customer_id", "str", required=False, nullable=True),
            ),
        ),
        Table(
            "conduct",
            required=False,
            columns=(
                Column("partner_id", "str"),
                # choices come from the configuration's [response.deductions]
                Column("event_type", "enum"),
                Column("occurred_on", "date"),
                Column("note", "str", required=False, nullable=True),
                # the id a dispute names; a conduct row without one cannot be disputed
                Column("event_id", "str", required=False, nullable=True),
            ),
        ),
        Table(
            # the service clock stops while a ticket waits on the customer (docs/service-clock.md)
            "pauses",
            required=False,
            references_partner=False,
            columns=(
                Column("ticket_id", "str"),
                Column("paused_at", "datetime"),
                Column("resumed_at", "datetime", nullable=True),  # empty: still paused
            ),
        ),
        Table(
            "surveys",
            required=False,
            columns=(
                Column("partner_id", "str"),
                Column("customer_id", "str"),
                Column("score", "points", min_value=0, max_value=10000),
            ),
        ),
        # Who is paid, and where (docs/sign-off-and-audit.md#payees): one row per partner.
        Table(
            "payees",
            required=False,
            key="partner_id",
            keeps_terminated=True,
            columns=(
                Column("partner_id", "str"),
                Column("payee_name", "str"),
                Column("bank_name", "str"),
                Column("account_no", "str"),
            ),
        ),
        # Guarantee deposits (保证金) received this month (docs/sign-off-and-audit.md#deposits).
        Table(
            "deposits",
            required=False,
            key="partner_id",
            columns=(
                Column("partner_id", "str"),
                Column("amount", "money", positive=True),
            ),
        ),
        # disputes filed and decided in the operator's own system (docs/disputes.md#the-disputes-table);
        # checked against the ledger's records, not against this month's partners
        Table(
            "disputes",
            required=False,
            key="dispute_id",
            references_partner=False,
            columns=(
                Column("dispute_id", "str"),
                Column("partner_id", "str"),
                Column("period", "str"),
                Column("record", "enum", choices=("ticket", "refund", "conduct")),
                Column("record_id", "str"),
                Column("decision", "enum", required=False, nullable=True, choices=("accepted", "rejected")),
                Column("correction", "str", required=False, nullable=True),
                Column("filed_on", "date", required=False, nullable=True),
                Column("late", "bool", required=False, nullable=True, default=False),
                Column("decided_by", "str", required=False, nullable=True),
                Column("decided_on", "date", required=False, nullable=True),
                Column("note", "str", required=False, nullable=True),
            ),
        ),
    )
}

FORMATS = (".csv", ".parquet", ".xlsx")

# How each kind is typed after loading (see the module docstring).
DTYPES: dict[Kind, pl.DataType] = {
    "str": pl.String(),
    "enum": pl.String(),
    "int": pl.Int64(),
    "money": pl.Int64(),
    "points": pl.Int64(),
    "datetime": pl.Datetime("us"),
    "date": pl.Date(),
    "bool": pl.Boolean(),
}


def polars_schema(table: Table) -> dict[str, pl.DataType]:
    """The loaded frame's schema: canonical columns in order, then ``_line``."""
    return {**{c.name: DTYPES[c.kind] for c in table.columns}, "_line": pl.Int64()}


def with_declared_columns(table: Table, names: Sequence[str]) -> Table:
    """``table`` with optional date-time columns the configuration declares (the stages' timestamps)."""
    extra = tuple(Column(n, "datetime", required=False, nullable=True) for n in names if n not in table.names)
    return dataclasses.replace(table, columns=table.columns + extra) if extra else table
