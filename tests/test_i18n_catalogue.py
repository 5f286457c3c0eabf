"""One language at a time: every message in the catalogue in Chinese and English, no message that
bypasses it, and real refusals through the command line in each language (docs/language.md)."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import approve_and_close, new_workspace
from typer.testing import CliRunner, Result

import scorecard
from scorecard import pipeline
from scorecard.cli import READ_ONLY, WRITING, app
from scorecard.i18n import LABELS, speaking, t, tn
from scorecard.periods import Period
from scorecard.workspace import Workspace

SRC = Path(scorecard.__file__).parent
IDEOGRAPH = re.compile(r"[\u4e00-\u9fff]")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

# Chinese entries that are punctuation around values only (no word to translate).
ZH_WITHOUT_WORDS = frozenset({"list_sep", "os_hint", "cell_failure"})
# English entries that name Chinese values a cell may hold (是/否 are accepted as written).
EN_WITH_CJK = frozenset({"expected_bool"})


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# --- the catalogue -------------------------------------------------------------------------------


def test_every_entry_has_both_languages_with_the_same_values() -> None:
    problems = []
    for key, entry in LABELS.items():
        assert isinstance(entry, tuple) and len(entry) == 2, key
        zh, en = entry
        if not (isinstance(zh, str) and zh.strip() and isinstance(en, str) and en.strip()):
            problems.append(f"{key}: an empty entry")
            continue
        if fields(zh) != fields(en):
            problems.append(f"{key}: zh has {sorted(fields(zh))}, en has {sorted(fields(en))}")
        if not IDEOGRAPH.search(zh) and key not in ZH_WITHOUT_WORDS:
            problems.append(f"{key}: the Chinese entry has no Chinese in it: {zh!r}")
        if CJK.search(en) and key not in EN_WITH_CJK:
            problems.append(f"{key}: the English entry has Chinese in it: {en!r}")
    assert problems == []


def test_the_allowlists_are_short_and_still_needed() -> None:
    assert len(ZH_WITHOUT_WORDS) <= 5 and len(EN_WITH_CJK) <= 3
    assert all(not IDEOGRAPH.search(LABELS[k][0]) for k in ZH_WITHOUT_WORDS)
    assert all(CJK.search(LABELS[k][1]) for k in EN_WITH_CJK)


def test_t_fills_both_languages_with_the_same_values() -> None:
    assert t("run_out_of_order", "en", period="2026-03", last="2026-01", next="2026-02") == (
        "cannot run 2026-03: the last closed month is 2026-01, so the next to run is 2026-02"
    )
    assert t("run_out_of_order", "zh", period="2026-03", last="2026-01", next="2026-02") == (
        "无法运行 2026-03：最后一个已关账月份是 2026-01，下一个应运行的是 2026-02"
    )
    with speaking("zh"):
        assert t("close_closed", period="2026-01") == "2026-01 已经关账"
    assert t("close_closed", period="2026-01") == "2026-01 is already closed"  # English outside


@pytest.mark.parametrize(
    ("count", "en", "zh"),
    [
        (0, "0 errors found", "发现 0 个错误"),
        (1, "1 error found", "发现 1 个错误"),
        (2, "2 errors found", "发现 2 个错误"),
    ],
)
def test_counts_take_the_plural_in_english_only(count: int, en: str, zh: str) -> None:
    assert (tn("errors_found", count, "en"), tn("errors_found", count, "zh")) == (en, zh)


def test_every_count_message_has_both_forms() -> None:
    ones = {k.removesuffix("_one") for k in LABELS if k.endswith("_one")}
    others = {k.removesuffix("_other") for k in LABELS if k.endswith("_other")}
    assert ones == others
    for key in ones:
        assert "{count}" in LABELS[f"{key}_one"][1] and "{count}" in LABELS[f"{key}_other"][1], key


# --- the source: no message bypasses the catalogue -------------------------------------------------

CATALOGUE_CALLS = frozenset({"t", "tn", "expr", "metric_text"})  # metric_text(key, value): a number
# calls whose arguments at these positions (and keywords) are messages a person reads
MESSAGE_ARGS: dict[str, tuple[slice, frozenset[str]]] = {
    "Issue": (slice(3, 5), frozenset({"message", "expected"})),
    "add": (slice(3, 5), frozenset({"message", "expected"})),  # ErrorSink.add(source, line, column, …)
    "add_rows": (slice(3, 5), frozenset({"message", "expected"})),
    "Finding": (slice(2, 3), frozenset({"message"})),
    "LedgerError": (slice(0, 1), frozenset({"message"})),
    "DisputeError": (slice(0, 1), frozenset({"message", "expected"})),
    "AccountError": (slice(0, 1), frozenset({"message"})),
    "UploadError": (slice(0, 1), frozenset()),
    "LedgerUnusable": (slice(1, 3), frozenset()),
    "BadParameter": (slice(0, 1), frozenset()),
}
# Issues.error(source, line, column, message, expected) and the two-or-three argument forms
# (checks' findings: error(loc, message, expected); a table row's error(column, message, expected))
ERROR_CALLS = frozenset({"error", "warning"})
PRINTS = frozenset({"print", "echo"})
PRINTING_MODULES = frozenset({"cli.py", "demo.py"})
# ValueError is a user's message only where pydantic or the command line shows it
VALUE_ERROR_MODULES = frozenset({"config.py", "periods.py"})
# literal text that is a technical token, not a sentence (kept as written in both languages)
TOKENS = frozenset(
    {"void", "path=value", "YYYY-MM", "table, csv, json", "score.points.", " = [[x, score], ...]"}
    | {": scorecard -w ", " serve  → http://127.0.0.1:8080/"}  # the command that starts the demo's portal
)
WORD = re.compile(r"[A-Za-z]{2,}")


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _literals(node: ast.AST) -> Iterator[ast.Constant]:
    """String constants of an argument, not counting what goes through the catalogue."""
    if isinstance(node, ast.Call) and _name(node) in CATALOGUE_CALLS:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
        return
    if isinstance(node, ast.Subscript):  # row["held_out"]: a key, not a message
        yield from _literals(node.value)
        return
    if isinstance(node, ast.Call) and _name(node) in ("join", "dumps"):
        node = node.args[0] if node.args else node  # the separator of ", ".join(…) is no message
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FormattedValue) and isinstance(child.value, ast.Call):
            yield from _literals(child.value)
        elif not isinstance(child, ast.keyword | ast.arguments):
            yield from _literals(child)


def _message_args(call: ast.Call, module: str) -> list[ast.AST]:
    name = _name(call)
    if name in MESSAGE_ARGS:
        where, keywords = MESSAGE_ARGS[name]
        return [*call.args[where], *(k.value for k in call.keywords if k.arg in keywords)]
    if name in ERROR_CALLS and isinstance(call.func, ast.Attribute | ast.Name):
        skip = 3 if len(call.args) >= 4 else 1
        return [*call.args[skip:], *(k.value for k in call.keywords if k.arg in ("message", "expected"))]
    if name == "ValueError" and module in VALUE_ERROR_MODULES:
        return list(call.args)
    if name in PRINTS and module in PRINTING_MODULES and call.args:
        return [call.args[0]]
    return []


def untranslated() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or (_name(node) == "warning" and _is_logging(node)):
                continue
            for arg in _message_args(node, module):
                for lit in _literals(arg):
                    if WORD.search(lit.value) and lit.value not in TOKENS:
                        found.append(f"{path.relative_to(SRC)}:{lit.lineno}: {lit.value!r}")
    return found


def _is_logging(call: ast.Call) -> bool:
    """log.warning("… %s", …) writes to the server's log, for its operator: not a message of the catalogue."""
    return bool(call.args) and isinstance(call.args[0], ast.Constant) and "%s" in str(call.args[0].value)


def test_no_message_bypasses_the_catalogue() -> None:
    assert untranslated() == []


def test_the_scan_finds_a_message_written_in_place(tmp_path: Path) -> None:
    """The scan itself can fail: literal messages in each kind of call are found."""
    code = (
        "raise LedgerError(f'{period} has not been run')\n"
        "Issue(src, 1, 'col', 'not a number', 'a number')\n"
        "out.error(key, 'weights sum to 2')\n"
        "Issue(src, 1, 'col', t('not_int'), 'YYYY-MM')\n"
    )
    tree = ast.parse(code)
    hits = [
        lit.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for arg in _message_args(node, "x.py")
        for lit in _literals(arg)
        if WORD.search(lit.value) and lit.value not in TOKENS
    ]
    assert sorted(hits) == [" has not been run", "a number", "not a number", "weights sum to 2"]


def test_every_catalogue_key_in_the_source_exists() -> None:
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _name(node) in CATALOGUE_CALLS and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            keys = [f"{first.value}_one", f"{first.value}_other"] if _name(node) == "tn" else [first.value]
            missing += [f"{path.relative_to(SRC)}:{node.lineno}: {k}" for k in keys if k not in LABELS]
    assert missing == []


def test_every_command_is_read_only_or_writing() -> None:
    import typer.main

    def paths(group: object, prefix: str = "") -> Iterator[str]:
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                yield from paths(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}"

    commands = set(paths(typer.main.get_command(app)))
    assert not (WRITING & READ_ONLY)
    assert commands == WRITING | READ_ONLY


# --- real refusals, in each language --------------------------------------------------------------

# Latin words a Chinese message keeps: commands and options, formats, names of systems and files.
KEPT_WORDS = frozenset(
    {"scorecard", "run", "close", "reopen", "approve", "verify", "reason", "discard", "draft", "table", "csv"}
    | {"dispute", "list"}  # "dispute list" names where a refusal comes from
    | {"json", "xml", "format", "YYYY", "MM", "DD", "HH", "SS", "ISO", "UTF", "GB", "GBK", "Excel", "SQLite"}
)
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-/]*")


def english_left(text: str, root: Path) -> list[str]:
    """Latin words of a Chinese output that are not tokens: ids, files, columns and periods hold a
    digit, a dot, a dash or an underscore; the rest must be on the short list above."""
    text = re.sub(r"'[^']*'", "", text.replace(str(root), ""))  # a quoted cell is data
    words = LATIN.findall(text)
    return [w for w in words if not re.search(r"[0-9_.\-/]", w) and w not in KEPT_WORDS]


@pytest.fixture(scope="module")
def ledger_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """January run and closed; February's inputs there (one bad cell), not run; March's inputs there."""
    ws = new_workspace(tmp_path_factory.mktemp("i18n") / "ws", ["2026-01", "2026-02", "2026-03"])
    pipeline.run(ws, Period.parse("2026-01"))
    approve_and_close(ws, Period.parse("2026-01"))
    billing = ws.inputs_for(Period.parse("2026-02")) / "billing.csv"
    lines = billing.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    row[header.index("billed_users")] = "many"
    lines[1] = ",".join(row) + "\n"
    billing.write_text("".join(lines), encoding="utf-8")
    return ws


REFUSALS = [
    ("run", "2026-03"),  # out of order: January is the last closed month
    ("run", "2026-01"),  # closed
    ("close", "2026-02"),  # not run: nothing to close
    ("reopen", "2026-01", "--reason", " "),  # a reason is needed
    ("approve", "2026-02"),
    ("validate", "2026-02"),  # a bad cell
    ("explain", "SI-9999", "2026-01"),
    ("dispute", "list", "--format", "xml"),
    ("final-settlement", "SI-0001", "--pay", "--reason", "x"),
]


def invoke(ws: Workspace, lang: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["-w", str(ws.root), "--lang", lang, *args], env={"COLUMNS": "200"})


@pytest.mark.parametrize("args", REFUSALS, ids=lambda a: " ".join(a).strip())
def test_a_refusal_in_chinese_has_no_english_in_it(ledger_ws: Workspace, args: tuple[str, ...]) -> None:
    result = invoke(ledger_ws, "zh", *args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("错误") and "发现 1 个错误" in result.output
    assert english_left(result.output, ledger_ws.root) == []


@pytest.mark.parametrize("args", REFUSALS, ids=lambda a: " ".join(a).strip())
def test_a_refusal_in_english_has_no_chinese_in_it(ledger_ws: Workspace, args: tuple[str, ...]) -> None:
    result = invoke(ledger_ws, "en", *args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error") and "1 error found" in result.output
    assert CJK.findall(result.output) == []


def test_the_two_languages_carry_the_same_values(ledger_ws: Workspace) -> None:
    en = invoke(ledger_ws, "en", "run", "2026-03").output
    zh = invoke(ledger_ws, "zh", "run", "2026-03").output
    assert "cannot run 2026-03: the last closed month is 2026-01, so the next to run is 2026-02" in en
    assert "无法运行 2026-03：最后一个已关账月份是 2026-01，下一个应运行的是 2026-02" in zh


def test_only_a_command_that_writes_says_nothing_was_written(ledger_ws: Workspace) -> None:
    wrote = invoke(ledger_ws, "en", "run", "2026-03").output
    read = invoke(ledger_ws, "en", "validate", "2026-02").output
    assert wrote.splitlines()[-1] == "1 error found; nothing was written"
    assert read.splitlines()[-1] == "1 error found"
    assert invoke(ledger_ws, "zh", "run", "2026-03").output.splitlines()[-1] == "发现 1 个错误，未写入任何内容"
    assert invoke(ledger_ws, "zh", "dispute", "list", "--format", "xml").output.splitlines()[-1] == "发现 1 个错误"


def test_the_configured_language_is_the_default(ledger_ws: Workspace) -> None:
    """No --lang: the configuration's language (zh in the shipped configuration)."""
    result = CliRunner().invoke(app, ["-w", str(ledger_ws.root), "close", "2026-02"])
    assert result.exit_code == 1
    assert "2026-02 尚未运行：没有可关账的内容" in result.output
