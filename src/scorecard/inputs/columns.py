"""Match a file's headers to a table's canonical columns.

Users feed their source system's exports unchanged, so a header is either a
canonical name or mapped to one by ``[columns.<table>]``. A configuration may
map several alternative headers to one column (two export layouts); only a
file that carries two of them at once is ambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scorecard.i18n import t
from scorecard.inputs.files import RawTable, position
from scorecard.inputs.schema import Table
from scorecard.issues import Issue, Severity
from scorecard.report.shown import shown


@dataclass(frozen=True, slots=True)
class ColumnMap:
    raw: dict[str, str]  # canonical name -> raw frame column ("c3") for columns present in the file
    labels: dict[str, str]  # canonical name -> how messages name it: the header as written (+ canonical)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


def label_for(header: str, name: str) -> str:
    """The user sees their own header; the canonical name ties it to the documentation."""
    return name if header == name else f"{shown(header)} ({name})"


def map_columns(table: Table, raw: RawTable, mapping: Mapping[str, str]) -> tuple[ColumnMap, list[Issue]]:
    """The columns found, and the problems with the header line (errors and warnings)."""
    aliases = {k.replace("\ufeff", "").strip(): v for k, v in mapping.items()}
    names = set(table.names)
    claims: dict[str, list[tuple[int, str]]] = {}
    issues: list[Issue] = []
    for i, header in enumerate(raw.headers):
        if not header:
            if raw.frame.get_column(position(i)).null_count() < raw.frame.height:
                issues.append(_warn(raw.source, t("column_n", n=i + 1), t("column_no_header")))
            continue
        target = aliases.get(header, header if header in names else None)
        if target not in names:
            hint = t("mapped_not_a_column", target=shown(target), table=table.name) if target else ""
            expected = t("a_column_of", table=table.name, columns=", ".join(table.names))
            issues.append(_warn(raw.source, shown(header), t("unknown_column", hint=hint), expected))
            continue
        claims.setdefault(target, []).append((i, header))

    for name, found in claims.items():
        if len(found) > 1:
            listed = t("and_sep").join(t("header_at_column", header=shown(h), n=i + 1) for i, h in found)
            issues.append(Issue(raw.source, 1, name, t("column_twice", listed=listed), t("one_column_for", name=name)))
    for column in table.columns:
        if column.required and column.name not in claims:
            alternatives = sorted(k for k, v in aliases.items() if v == column.name)
            expected = t("a_column_named", name=column.name)
            if alternatives:
                expected += t("or_mapped", table=table.name, alternatives=", ".join(alternatives))
            issues.append(Issue(raw.source, 1, column.name, t("missing_column"), expected))

    found_raw = {name: position(found[0][0]) for name, found in claims.items()}
    labels = {name: label_for(found[0][1], name) for name, found in claims.items()}
    return ColumnMap(found_raw, labels), issues


def _warn(source: str, column: str, message: str, expected: str | None = None) -> Issue:
    return Issue(source, 1, column, message, expected, Severity.WARNING)
