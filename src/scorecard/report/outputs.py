"""A month's output folder as a cache of its record (docs/ledger.md#outputs).

``out/YYYY-MM/`` holds scorecard.csv, notices.csv, watch.csv and manifest.json rendered
from the record, and later the workbook and statements. A stamp file
(``.record.json``) names the run the folder was rendered from and the hash of
every file in it, so any command can tell whether the folder still agrees
with the ledger, and put right a folder that does not (a run cut between the
ledger's commit and the folder's swap).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from scorecard.i18n import t
from scorecard.record import MonthRecord, PeriodInfo
from scorecard.report.csvfiles import notices_csv, scorecard_csv
from scorecard.report.watchlist import watch_csv
from scorecard.workspace import Workspace, fsync_write, staged_dir

STAMP = ".record.json"


def manifest(record: MonthRecord) -> dict[str, object]:
    i = record.info
    return {
        "period": str(i.period),
        "tool_version": i.tool_version,
        "rule_version": i.ruleset_version,
        "ruleset_hash": i.ruleset_hash,
        "config_hash": i.config_hash,
        "inputs_hash": i.inputs_hash,
        "inputs": [{"table": t, "file": f, "sha256": h, "rows": n} for t, f, h, n in record["inputs"].iter_rows()],
        "counts": record.counts(),
        "totals_fen": record.totals(),
        "warnings": [
            {"file": f, "line": line, "column": col, "key": key, "message": msg}
            for _, f, line, col, key, msg in record["warnings"].iter_rows()
        ],
    }


def month_files(record: MonthRecord, lang: str) -> dict[str, bytes]:
    """The files every run writes, rendered from the record alone."""
    return {
        "scorecard.csv": scorecard_csv(record),
        "notices.csv": notices_csv(record, lang),
        "watch.csv": watch_csv(record, lang),
        "manifest.json": json.dumps(manifest(record), indent=2, ensure_ascii=False).encode() + b"\n",
    }


def _run_id(info: PeriodInfo) -> dict[str, object]:
    return {"period": str(info.period), "run": info.run_seq, "run_at": info.run_at}


def write_month(folder: Path, record: MonthRecord, lang: str) -> None:
    """Render the month's files into ``folder`` (a staged folder), with the stamp."""
    files = month_files(record, lang)
    for name, data in files.items():
        fsync_write(folder / name, data)
    stamp(folder, record.info, {n: _sha(d) for n, d in files.items()})


def stamp(folder: Path, info: PeriodInfo, files: dict[str, str]) -> None:
    data = {**_run_id(info), "files": dict(sorted(files.items()))}
    fsync_write(folder / STAMP, json.dumps(data, indent=1).encode() + b"\n")


def add_to_stamp(folder: Path, info: PeriodInfo, paths: list[Path]) -> None:
    """Record files written later (workbook, statements index) in the folder's stamp."""
    current = read_stamp(folder) or {}
    listed = current.get("files")
    files: dict[str, str] = dict(listed) if isinstance(listed, dict) and _same_run(current, info) else {}
    for p in paths:
        files[str(p.relative_to(folder))] = _sha(p.read_bytes())
    stamp(folder, info, files)


def read_stamp(folder: Path) -> dict[str, object] | None:
    try:
        data = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _same_run(stamped: dict[str, object], info: PeriodInfo) -> bool:
    return {k: stamped.get(k) for k in ("period", "run", "run_at")} == _run_id(info)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mismatch(folder: Path, info: PeriodInfo) -> str | None:
    """Why ``folder`` does not agree with the month's record; None when it does."""
    stamped = read_stamp(folder)
    if stamped is None:
        return t("out_missing") if not folder.exists() else t("out_foreign")
    if not _same_run(stamped, info):
        return t("out_other_run", run=stamped.get("run"), ledger=info.run_seq)
    files = stamped.get("files")
    for name, digest in files.items() if isinstance(files, dict) else []:
        path = folder / name
        if not path.is_file():
            return t("out_file_missing", name=name)
        if _sha(path.read_bytes()) != digest:
            return t("out_file_changed", name=name)
    return None


def holds_more_than_the_run(folder: Path) -> bool:
    """Whether ``folder`` holds files a run does not make (a workbook, statements): those may
    have been handed out, so a re-run moves them aside instead of replacing them."""
    made = {"scorecard.csv", "notices.csv", "watch.csv", "manifest.json", STAMP}
    return folder.exists() and any(p.name not in made for p in folder.iterdir())


def move_aside(ws: Workspace, period_name: str, run_seq: int) -> Path | None:
    """Move ``out/P/`` to ``out/.discarded/P-N/``: never left where finance could pay from it."""
    folder = ws.out / period_name
    if not folder.exists():
        return None
    target = ws.out / ".discarded" / f"{period_name}-{run_seq}"
    n = 1
    while target.exists():
        n += 1
        target = ws.out / ".discarded" / f"{period_name}-{run_seq}.{n}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(folder, target)
    return target


def render_month(ws: Workspace, record: MonthRecord, lang: str) -> Path | None:
    """Put ``out/P/`` right from the record: what disagrees is moved aside, the month's files rendered."""
    folder = ws.out_for(record.period)
    moved = None
    if folder.exists() and mismatch(folder, record.info) is not None:
        stamped = read_stamp(folder) or {}
        run = stamped.get("run")
        moved = move_aside(ws, str(record.period), run if isinstance(run, int) else 0)
    if not folder.exists():
        with staged_dir(folder) as tmp:
            write_month(tmp, record, lang)
    return moved
