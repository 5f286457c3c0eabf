"""Load one period's inputs: find, read, map headers, type, check, scope.

The stages, in order:

1. :mod:`files` finds ``<table>.csv|.parquet|.xlsx`` and reads it untyped
   (a plain CSV file is read and typed in blocks instead, :mod:`csvblocks`);
2. :mod:`columns` matches headers to canonical columns;
3. rows of excluded (terminated) partners are dropped first, so nothing in
   them can block the run (:mod:`scope`);
4. :mod:`parse` types every column;
5. :mod:`validate` checks keys, references and completeness across tables;
6. :mod:`scope` leaves out tickets and events outside the period and surveys
   of C-mode partners.

Bad input never raises: every problem becomes an Issue (errors capped by
``max_errors``), and the caller checks ``issues.has_errors``. Frames are
returned even when there are errors (unreadable cells are null) so a caller
can show what was read; they must not be assessed then.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from scorecard.i18n import expr, t
from scorecard.inputs.columns import ColumnMap, map_columns
from scorecard.inputs.csvblocks import CsvBlocks, NotPlain
from scorecard.inputs.files import RawTable, find_table_file, missing_table, position, read_table_file
from scorecard.inputs.model import LoadedTable, PeriodInputs, StagedTable, bad_flag
from scorecard.inputs.parse import empty_values, expected_for, parse_column
from scorecard.inputs.problems import ErrorSink
from scorecard.inputs.schema import DTYPES, TABLES, Column, Table, polars_schema, with_declared_columns
from scorecard.inputs.scope import (
    conduct_in_period,
    pauses_of_excluded,
    split_excluded,
    surveys_of_emp,
    tickets_in_period,
)
from scorecard.inputs.settings import LoadSettings
from scorecard.inputs.validate import check_tables
from scorecard.issues import Issue, Issues, Severity
from scorecard.periods import Period
from scorecard.report.shown import shown, shown_expr

__all__ = ["LoadSettings", "LoadedTable", "PeriodInputs", "load_period"]


def load_period(folder: Path, period: Period, settings: LoadSettings) -> PeriodInputs:
    """Every table of the period, typed and checked, with all problems found."""
    sink = ErrorSink(settings.max_errors, folder.name)
    warnings: list[Issue] = []
    files = _list_files(folder, sink)
    tables = {**TABLES, "complaints": with_declared_columns(TABLES["complaints"], settings.declared_columns())}
    staged = {
        name: _stage(folder, files, table, settings=settings, sink=sink, warnings=warnings)
        for name, table in tables.items()
    }
    complaints = staged["complaints"]
    if complaints.source is not None:
        for name in settings.declared_columns():
            if name not in complaints.given:
                message = t("stage_column_missing")
                warnings.append(Issue(complaints.source, 1, name, message, None, Severity.WARNING))
    left: dict[str, pl.DataFrame] = {}
    staged["pauses"], found, left["pauses"] = pauses_of_excluded(staged["pauses"], complaints)
    warnings += found
    check_tables(staged, sink, settings.stages, frozenset(settings.excluded_partners))
    staged["complaints"], found, left["complaints"] = tickets_in_period(staged["complaints"], period)
    warnings += found
    staged["conduct"], found, left["conduct"] = conduct_in_period(staged["conduct"], period)
    warnings += found
    staged["surveys"], found, left["surveys"] = surveys_of_emp(staged["surveys"], staged["partners"])
    warnings += found
    loaded = {name: s.loaded() for name, s in staged.items()}
    return PeriodInputs(period, folder, loaded, Issues([*sink.issues(), *warnings]), left)


def _list_files(folder: Path, sink: ErrorSink) -> list[Path] | None:
    """The folder's files; None (reported once) when there is no folder to look in."""
    if not folder.is_dir():
        sink.add(folder.name, None, None, t("no_input_folder"), t("a_folder", folder=folder))
        return None
    try:
        return sorted(p for p in folder.iterdir() if p.is_file())
    except OSError as e:
        sink.add(folder.name, None, None, t("cannot_list_folder", why=e.strerror or e))
        return None


def _stage(
    folder: Path,
    files: list[Path] | None,
    table: Table,
    *,
    settings: LoadSettings,
    sink: ErrorSink,
    warnings: list[Issue],
) -> StagedTable:
    if files is None:
        return _empty(table, None)
    path, problems = find_table_file(folder, files, table.name)
    for issue in problems:
        sink.add_issue(issue)
    if path is None:
        if table.required and not problems:
            sink.add_issue(missing_table(folder, table.name))
        return _empty(table, None)
    outside = _outside(path, settings.root or folder.parent.parent)
    if outside is not None:
        sink.add_issue(outside)
        return _empty(table, path.name)
    if path.suffix.lower() == ".csv":
        plain = _stage_plain_csv(path, table, settings=settings, warnings=warnings)
        if plain is not None:
            return plain
    raw = read_table_file(path, max_sheet_cells=settings.max_sheet_cells, max_errors=settings.max_errors)
    if isinstance(raw, list):
        for issue in raw:
            sink.add_issue(issue)
        return _empty(table, path.name)

    width = len(raw.headers)
    sink.add_rows(
        raw.source,
        None,
        raw.ragged,
        pl.lit(t("more_fields", width=width)),
        t("more_fields_expected", width=width),
    )
    columns, header_issues = map_columns(table, raw, settings.columns.get(table.name, {}))
    for issue in header_issues:
        (sink.add_issue if issue.is_error else warnings.append)(issue)

    # the raw table goes now, so that each text column is freed once it is typed: a
    # million tickets' date-times as text are most of what loading them holds at its peak
    text = [_canonical(raw.frame, columns)]
    source, sha256 = raw.source, raw.sha256
    del raw
    out, excluded_keys = _typed(text, table, columns, source=source, settings=settings, sink=sink, warnings=warnings)
    return StagedTable(table, source, sha256, out, frozenset(columns.raw), dict(columns.labels), excluded_keys)


def _stage_plain_csv(path: Path, table: Table, *, settings: LoadSettings, warnings: list[Issue]) -> StagedTable | None:
    """A plain CSV file typed block by block (:mod:`csvblocks`); None when it is not plain or
    anything in it is wrong: the whole-file reader then reads it again and words every problem
    exactly as it always has, so only a good file ever takes this way."""
    sink = ErrorSink(settings.max_errors, path.name)  # counts only: any error sends the file back
    found: list[Issue] = []
    mapped: list[ColumnMap] = []

    def padded(headers: tuple[str, ...]) -> list[str]:
        # the frame is only looked at for a column without a header, which is not plain
        header = RawTable(path.name, "", headers, pl.DataFrame(), pl.DataFrame())
        columns, issues = map_columns(table, header, settings.columns.get(table.name, {}))
        if any(issue.is_error for issue in issues):
            raise NotPlain
        found.extend(issues)
        mapped.append(columns)
        kept = {c: name for name, c in columns.raw.items()}
        return [position(i) for i in range(len(headers)) if _strip_matters(kept.get(position(i)), table, settings)]

    typed: list[pl.DataFrame] = []
    keys: list[pl.Series] = []
    blocks = CsvBlocks(path, padded)
    try:
        for frame in blocks.frames():
            columns = mapped[0]
            text = [_canonical(frame, columns)]
            del frame
            out, gone = _typed(text, table, columns, source=path.name, settings=settings, sink=sink, warnings=found)
            if sink.count:
                return None
            # polars parses a block in many pieces; one piece a column per block keeps later
            # checks fast and lean (a column of 171 pieces cost 200 MB more to compare at 3M rows)
            typed.append(out.rechunk())
            if gone is not None:
                keys.append(gone)
    except (NotPlain, OSError):
        return None
    if not mapped or not typed or blocks.sha256 is None:
        return None
    warnings += found
    columns = mapped[0]
    return StagedTable(
        table,
        path.name,
        blocks.sha256,
        pl.concat(typed, how="vertical"),
        frozenset(columns.raw),
        dict(columns.labels),
        pl.concat(keys) if keys else None,
    )


def _strip_matters(name: str | None, table: Table, settings: LoadSettings) -> bool:
    """Whether a padded cell of this column (None: a column not read) could be taken as valid.

    Text is kept as it is, and date-times are read past leading spaces, so their cells are
    stripped. A flag, a number, an amount or an enum value (none of the choices padded) that is
    padded matches nothing and is an error, which sends the file to the whole-file reader: the
    cells of those columns need not be looked at for padding on the way in.
    """
    if name is None:
        return True
    column = table.column(name)
    if column.kind in ("bool", "int", "money", "points"):
        return False
    if column.kind == "enum":
        return any(not c or c != c.strip() for c in _choices(column, settings))
    return True


def _canonical(frame: pl.DataFrame, columns: ColumnMap) -> pl.DataFrame:
    """``_line`` and the file's columns by their canonical names."""
    return frame.select("_line", *(pl.col(c).alias(name) for name, c in columns.raw.items()))


def _typed(
    text: list[pl.DataFrame],
    table: Table,
    columns: ColumnMap,
    *,
    source: str,
    settings: LoadSettings,
    sink: ErrorSink,
    warnings: list[Issue],
) -> tuple[pl.DataFrame, pl.Series | None]:
    """The typed frame of a text frame (the only item of ``text``, taken out so that each column is
    freed as soon as it is typed), and the keys of the rows of excluded partners left out."""
    frame = text.pop()
    excluded_keys = None
    if "partner_id" in columns.raw and not table.keeps_terminated:
        before = frame
        frame, dropped = _without_excluded(frame, table, settings, source, columns.label("partner_id"))
        warnings += dropped
        if table.key in columns.raw and frame.height < before.height:
            gone = before.join(frame.select("_line"), on="_line", how="anti").get_column(table.key)
            excluded_keys = parse_column(gone, table.column(table.key), choices=(), timezone="UTC").values
        del before

    typed: dict[str, pl.Series] = {}
    flags: dict[str, pl.Series] = {}
    for column in table.columns:
        if column.name not in columns.raw:
            typed[column.name] = _default(column, frame.height)
            continue
        label = columns.label(column.name)
        values, bad = _type(frame, column, source=source, label=label, settings=settings, sink=sink)
        typed[column.name] = values
        if bad is not None:
            flags[bad_flag(column.name)] = bad
        frame = frame.drop(column.name)
    out = pl.DataFrame([*typed.values(), frame.get_column("_line"), *(s.alias(n) for n, s in flags.items())])
    return out, excluded_keys


def _outside(path: Path, root: Path) -> Issue | None:
    """A file (or a symlink) that resolves outside the workspace is refused before it is opened:
    a link to another folder must not become an input, nor its first line a message."""
    try:
        target = path.resolve(strict=True)
        inside = target.is_relative_to(root.resolve(strict=True))
    except (OSError, RuntimeError) as e:  # a dangling or looping link
        return Issue(path.name, None, None, t("cannot_follow", why=shown(getattr(e, "strerror", None) or e)))
    if inside:
        return None
    return Issue(
        path.name,
        None,
        None,
        t("outside_workspace", target=shown(target, 120)),
        t("a_file_inside", root=shown(root, 120)),
    )


def _without_excluded(
    frame: pl.DataFrame, table: Table, settings: LoadSettings, source: str, label: str
) -> tuple[pl.DataFrame, list[Issue]]:
    """Partner ids are typed first, so a terminated partner's rows go before anything in them is checked."""
    ids = parse_column(frame.get_column("partner_id"), table.column("partner_id"), choices=(), timezone="UTC")
    if ids.type_error is None:
        frame = frame.with_columns(ids.values.alias("partner_id"))
    return split_excluded(frame, settings.excluded_partners, source, label, table.name)


def _type(
    frame: pl.DataFrame, column: Column, *, source: str, label: str, settings: LoadSettings, sink: ErrorSink
) -> tuple[pl.Series, pl.Series | None]:
    """Typed values of one column (errors reported), and the mask of unreadable cells if any."""
    raw = frame.get_column(column.name)
    choices = _choices(column, settings)
    expected = expected_for(column, choices)
    cells = frame.select("_line", pl.col(column.name).alias("v"))
    if not column.nullable:
        sink.add_rows(source, label, cells.filter(pl.col("v").is_null()), pl.lit(t("empty_cell")), expected)
    parsed = parse_column(raw, column, choices=choices, timezone=settings.timezone)
    if parsed.type_error is not None:
        sink.add(source, 1, label, parsed.type_error, expected)
        return _default(column, frame.height), raw.is_not_null()
    bad: pl.Series | None = None
    for failure in parsed.failures:
        if not failure.mask.any():
            continue
        message = expr("cell_failure", what=pl.lit(failure.message), value=shown_expr(pl.col("v")))
        sink.add_rows(source, label, cells.filter(failure.mask), message, failure.expected)
        bad = failure.mask if bad is None else bad | failure.mask
    values = parsed.values.cast(DTYPES[column.kind]).alias(column.name)
    if column.default is not None:
        # only an empty cell takes the default; an unreadable one stays null
        filled = pl.when(pl.lit(raw).is_null()).then(pl.lit(column.default)).otherwise(pl.lit(values))
        values = pl.select(filled.cast(DTYPES[column.kind]).alias(column.name)).to_series()
    return values, bad


def _choices(column: Column, settings: LoadSettings) -> Collection[str]:
    """Allowed enum values; conduct event types come from the configuration."""
    if column.kind == "enum" and column.name == "event_type":
        return settings.event_types
    return column.choices


def _default(column: Column, height: int) -> pl.Series:
    values = empty_values(column, height)
    return values if column.default is None else values.fill_null(column.default)


def _empty(table: Table, source: str | None) -> StagedTable:
    """An absent (or unreadable) table: no rows, the right dtypes."""
    return StagedTable(table, source, None, pl.DataFrame(schema=polars_schema(table)), frozenset(), {})
