"""What loading needs to know from the configuration and the ledger.

Kept apart from the configuration models so that the input stage can be used
(and tested) without a configuration file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# 5 million cells: a 250,000-row sheet of 20 columns. Reading a sheet holds its whole grid in
# memory (about 90 bytes a cell at the peak), so this bounds a sheet at roughly 450 MB.
DEFAULT_MAX_SHEET_CELLS = 5_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSettings:
    # per table: source header -> canonical name, e.g. {"complaints": {"受理时间": "received_at"}}
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # allowed conduct event_type values: the keys of [response.deductions]
    event_types: frozenset[str]
    # partner_id -> reason (terminated in an earlier period); their rows in any table are left out
    excluded_partners: Mapping[str, str] = field(default_factory=dict)
    # error Issues reported at most; then one Issue with the count of the rest
    max_errors: int = 200
    # largest Excel sheet read, in cells counted from A1 to its last cell (rows x columns)
    max_sheet_cells: int = DEFAULT_MAX_SHEET_CELLS
    # input files must resolve inside this folder; None: the parent of the inputs folder
    root: Path | None = None
    # zone that datetimes given with an offset (or Z) are converted to before being made naive
    timezone: str = "Asia/Shanghai"
    # (from, to) timestamp columns of complaints of each configured stage; columns not in the
    # table's own list are read as optional date-times (docs/service-clock.md)
    stages: tuple[tuple[str, str], ...] = ()

    def declared_columns(self) -> list[str]:
        return list(dict.fromkeys(c for pair in self.stages for c in pair))
