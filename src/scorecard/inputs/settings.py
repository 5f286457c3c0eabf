"""What loading needs to know from the configuration and the ledger.

Kept apart from the configuration models so that the input stage can be used
(and tested) without a configuration file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
    # zone that datetimes given with an offset (or Z) are converted to before being made naive
    timezone: str = "Asia/Shanghai"
    # (from, to) timestamp columns of complaints of each configured stage; columns not in the
    # table's own list are read as optional date-times (docs/service-clock.md)
    stages: tuple[tuple[str, str], ...] = ()

    def declared_columns(self) -> list[str]:
        return list(dict.fromkeys(c for pair in self.stages for c in pair))
