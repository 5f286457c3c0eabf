"""Configuration: the TOML file, validated by strict pydantic models.

A configuration holds the general settings, column mappings, the response
deductions and completion/reply windows, and one or more *rule sets*
(``[[rulesets]]``), each effective from a period. Numbers are kept exact
(``Decimal``): TOML floats are converted through their text, so ``0.4`` is
``Decimal("0.4")``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
import types
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from scorecard.i18n import LABELS, t
from scorecard.inputs.settings import DEFAULT_MAX_SHEET_CELLS
from scorecard.issues import InputError, Issue
from scorecard.periods import Period
from scorecard.tomlkeys import key_lines, line_of

MetricName = Literal[
    "valid_complaints",
    "repeat_complaints",
    "major_complaints",
    "complaint_rate_per_10k",
    "on_time_rate",
    "reply_on_time_rate",
    "avg_resolution_hours",
    "p90_resolution_hours",
    "response_score",
    "satisfaction",
    "refund_total",
    "service_cost",
    "gross_amount",
]
# Metrics that are amounts of money (fen inside the engine, yuan in the file).
MONEY_METRICS = frozenset({"refund_total", "service_cost", "gross_amount"})
# Metrics that are shares (0..1).
RATE_METRICS = frozenset({"on_time_rate", "reply_on_time_rate"})
# A named stage's own on-time rate, e.g. "stage_on_time_rate:forward" (see docs/service-clock.md).
STAGE_METRIC_PREFIX = "stage_on_time_rate:"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _rule_metric(name: str) -> str:
    """A metric of the list above, or a stage's on-time rate (the stage is checked against [windows.stages])."""
    if name in get_args(MetricName):
        return name
    if name.startswith(STAGE_METRIC_PREFIX) and _NAME_RE.match(name.removeprefix(STAGE_METRIC_PREFIX)):
        return name
    guess = did_you_mean(name, get_args(MetricName))
    raise ValueError(
        t("not_allowed_here", value=repr(name))
        + (t("did_you_mean", guess=repr(guess)) if guess else "")
        + t("metric_choices", choices=", ".join(get_args(MetricName)), prefix=STAGE_METRIC_PREFIX)
    )


# What a rule may compare: every metric, and the on-time rate of each configured stage.
RuleMetric = Annotated[str, AfterValidator(_rule_metric)]


def is_rate_metric(name: str) -> bool:
    """A share (0..1): shown as a percentage."""
    return name in RATE_METRICS or name.startswith(STAGE_METRIC_PREFIX)


Mode = Literal["C", "EMP"]
_WINDOW_RE = re.compile(r"^([1-9][0-9]*)(h|wd|bh)$")
_BUSINESS_HOURS_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]|24):([0-5][0-9])$")
_PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A label in both languages; the manager words it."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Window(Strict):
    """A window: clock hours ("24h"), working days ("2wd") or business hours ("8bh")."""

    amount: int
    unit: Literal["h", "wd", "bh"]

    @classmethod
    def parse(cls, text: str) -> Window:
        m = _WINDOW_RE.match(text.strip())
        if not m:
            raise ValueError(t("not_a_window", text=repr(text)))
        return cls(amount=int(m.group(1)), unit=m.group(2))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


WindowField = Annotated[
    Window, Field(description="clock hours ('24h'), working days ('2wd') or business hours ('8bh')")
]


class Windows(Strict):
    urgent: WindowField
    normal: WindowField
    difficult: WindowField

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: object) -> object:
        if isinstance(data, dict):
            return {k: Window.parse(v) if isinstance(v, str) else v for k, v in data.items()}
        return data

    def for_category(self, category: str) -> Window:
        window: Window = getattr(self, category)
        return window


class Stage(Strict):
    """A named stage of handling: from one timestamp column of complaints to another, within a window."""

    from_: str = Field(alias="from")
    to: str
    window: WindowField
    description: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("window"), str):
            return {**data, "window": Window.parse(data["window"])}
        return data

    @model_validator(mode="after")
    def _columns(self) -> Stage:
        from scorecard.inputs.schema import TABLES

        complaints = TABLES["complaints"]
        for key, name in (("from", self.from_), ("to", self.to)):
            if not _NAME_RE.match(name):
                raise ValueError(t("stage_not_a_column_name", key=key, name=repr(name)))
            if name in complaints.names and complaints.column(name).kind != "datetime":
                raise ValueError(t("stage_not_datetime", key=key, name=repr(name)))
        if self.to == "received_at":
            raise ValueError(t("stage_ends_at_received"))
        if self.to == self.from_:
            raise ValueError(t("stage_same_columns", name=repr(self.to)))
        return self


class WindowsConfig(Strict):
    completion: Windows = Windows(
        urgent=Window(amount=24, unit="h"), normal=Window(amount=24, unit="h"), difficult=Window(amount=24, unit="h")
    )
    reply: Windows = Windows(
        urgent=Window(amount=24, unit="h"), normal=Window(amount=12, unit="h"), difficult=Window(amount=72, unit="h")
    )
    # Named multi-stage limits (the banking association's forward / verify / report / answer).
    stages: dict[str, Stage] = {}

    @field_validator("stages")
    @classmethod
    def _stage_names(cls, v: dict[str, Stage]) -> dict[str, Stage]:
        for name in v:
            if not _NAME_RE.match(name):
                raise ValueError(t("stage_bad_name", name=repr(name)))
        return v

    def stage_columns(self) -> list[str]:
        """Timestamp columns of complaints the stages read, beyond the table's own columns."""
        from scorecard.inputs.schema import TABLES

        own = set(TABLES["complaints"].names)
        names = [c for s in self.stages.values() for c in (s.from_, s.to)]
        return [c for c in dict.fromkeys(names) if c not in own]


class General(Strict):
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    cutoff_grace_days: int = Field(3, ge=0, le=31)
    max_errors: int = Field(200, ge=1)
    # largest Excel sheet read (rows x columns from A1); see docs/inputs.md, "Hostile and damaged inputs"
    max_sheet_cells: int = Field(DEFAULT_MAX_SHEET_CELLS, ge=1)
    # Business-hours windows ("8bh") count these hours of each working day.
    business_hours: str = "09:00-18:00"

    @field_validator("business_hours")
    @classmethod
    def _business_hours(cls, v: str) -> str:
        m = _BUSINESS_HOURS_RE.match(v.strip())
        if not m or (m.group(3) == "24" and m.group(4) != "00"):
            raise ValueError(t("not_business_hours", value=repr(v)))
        if int(m.group(1)) * 60 + int(m.group(2)) >= int(m.group(3)) * 60 + int(m.group(4)):
            raise ValueError(t("business_hours_reversed", value=repr(v)))
        return v.strip()

    @property
    def business_minutes(self) -> tuple[int, int]:
        """Opening and closing time of a working day, in minutes after midnight."""
        start, end = self.business_hours.split("-")
        return tuple(int(h) * 60 + int(m) for h, m in (t.split(":") for t in (start, end)))  # type: ignore[return-value]


class Response(Strict):
    """客服工作响应率: 100 minus the points of each conduct event, floored at 0."""

    deductions: dict[str, Decimal]

    @field_validator("deductions")
    @classmethod
    def _non_negative(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for key, points in v.items():
            if points < 0:
                raise ValueError(t("points_negative", key=key))
        return v


ActionKind = Literal["notice", "hold_until_compliant", "hold_months", "terminate", "review", "sanction", "fine"]


class Action(Strict):
    kind: ActionKind
    # Fires when the streak equals ``streak``; or, without it, when the streak is
    # at least ``min_streak`` (default 1: every breaching period).
    streak: int | None = Field(None, ge=1)
    min_streak: int = Field(1, ge=1)
    months: int | None = Field(None, ge=1)  # hold_months
    deadline_days: int | None = Field(None, ge=1)  # notice
    label: Text | None = None  # sanction (约见谈话 …) or notice text
    # fine (违约金): a fixed amount in yuan, or a share of the gross amount; exactly one of the
    # two (`config check` reports a fine with neither or both; docs/settlement.md#fines)
    amount: Decimal | None = Field(None, ge=0)
    pct: Decimal | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Action:
        if self.kind == "hold_months" and self.months is None:
            raise ValueError(t("hold_months_needs_months"))
        if self.kind != "hold_months" and self.months is not None:
            raise ValueError(t("months_for_hold_months"))
        if self.kind != "fine" and (self.amount is not None or self.pct is not None):
            raise ValueError(t("amount_pct_for_fine"))
        if self.kind == "sanction" and self.label is None:
            raise ValueError(t("sanction_needs_label"))
        return self

    def fires_at(self, streak: int) -> bool:
        if streak < 1:
            return False
        return streak == self.streak if self.streak is not None else streak >= self.min_streak


class Rule(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    modes: list[Mode]
    metric: RuleMetric
    op: Literal[">=", ">", "<=", "<", "=="]
    threshold: Decimal | None = None  # compare with a number …
    against: RuleMetric | None = None  # … or with another metric
    description: Text
    source: str = ""
    actions: list[Action]

    @model_validator(mode="after")
    def _one_comparand(self) -> Rule:
        if (self.threshold is None) == (self.against is None):
            raise ValueError(t("threshold_or_against"))
        return self


class Band(Strict):
    min_score: Decimal = Field(ge=0, le=100)
    deduction: Decimal = Field(ge=0, le=1)


class Score(Strict):
    weights: dict[Mode, dict[MetricName, Decimal]]
    # When a metric of a partner is empty (no survey), its weight moves to another.
    fallback: dict[MetricName, MetricName] = {}
    points: dict[MetricName, list[tuple[Decimal, Decimal]]]
    bands: list[Band]

    @field_validator("bands")
    @classmethod
    def _bands_sorted(cls, v: list[Band]) -> list[Band]:
        return sorted(v, key=lambda b: b.min_score, reverse=True)


class Caps(Strict):
    """What one month may deduct: score deduction plus fines, as a share of the gross
    (docs/settlement.md#caps). Refunds are customer money and never capped."""

    deduction_cap_pct: Decimal


class RuleSet(Strict):
    version: str
    effective_from: Annotated[str, Field(pattern=_PERIOD_RE.pattern)]
    description: str = ""
    zero_base: Literal["breach", "skip"] = "breach"
    unit_cost: Decimal = Field(Decimal("30.00"), ge=0)  # yuan per valid complaint
    # A compliant value within this share of a rule's threshold puts the partner on the
    # watch list (docs/metrics-and-rules.md#watch-list).
    watch_margin: Decimal = Decimal("0.10")
    rules: list[Rule]
    score: Score
    caps: Caps | None = None

    @property
    def start(self) -> Period:
        return Period.parse(self.effective_from)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, v: list[Rule]) -> list[Rule]:
        ids = [r.id for r in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(t("duplicate_rule_id", ids=", ".join(dup)))
        return v


class Approval(Strict):
    """Maker–checker (docs/sign-off-and-audit.md): close needs another user's approval of the draft."""

    required: bool = True


class Disputes(Strict):
    """How long a partner may dispute a month's record (docs/disputes.md#window)."""

    window_days: int = Field(10, ge=0, le=366)  # default: calendar days after the month's last day


class Config(Strict):
    general: General = General.model_validate({})
    approval: Approval = Approval()
    # before columns: a column mapping may name a stage's timestamp column
    windows: WindowsConfig = WindowsConfig()
    columns: dict[
        Literal[
            "partners",
            "billing",
            "complaints",
            "settlement",
            "refunds",
            "conduct",
            "surveys",
            "pauses",
            "disputes",
            "payees",
            "deposits",
        ],
        dict[str, str],
    ] = {}
    response: Response
    rulesets: list[RuleSet] = Field(min_length=1)
    disputes: Disputes = Disputes()

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, v: dict[str, dict[str, str]], info: ValidationInfo) -> dict[str, dict[str, str]]:
        from scorecard.inputs.schema import TABLES

        windows = info.data.get("windows")
        declared = windows.stage_columns() if isinstance(windows, WindowsConfig) else []
        for table, mapping in v.items():
            names = TABLES[table].names + (declared if table == "complaints" else [])
            for header, target in mapping.items():
                if target not in names:
                    raise ValueError(
                        t(
                            "mapped_to_unknown",
                            table=table,
                            header=repr(header),
                            target=repr(target),
                            columns=", ".join(names),
                        )
                    )
        return v

    @model_validator(mode="after")
    def _stages_of_rules(self) -> Config:
        """A rule on a stage's on-time rate names a stage of [windows.stages]."""
        stages = self.windows.stages
        for i, rs in enumerate(self.rulesets):
            for j, rule in enumerate(rs.rules):
                for key, metric in (("metric", rule.metric), ("against", rule.against)):
                    if metric and metric.startswith(STAGE_METRIC_PREFIX):
                        name = metric.removeprefix(STAGE_METRIC_PREFIX)
                        if name not in stages:
                            known = ", ".join(stages) or t("none_configured")
                            raise ValueError(
                                t(
                                    "no_such_stage",
                                    where=f"rulesets[{i}].rules[{j}].{key}",
                                    name=repr(name),
                                    known=known,
                                )
                            )
        return self

    @field_validator("rulesets")
    @classmethod
    def _unique_versions(cls, v: list[RuleSet]) -> list[RuleSet]:
        versions = [r.version for r in v]
        if len(set(versions)) != len(versions):
            raise ValueError(t("ruleset_versions_unique"))
        starts = [r.effective_from for r in v]
        if len(set(starts)) != len(starts):
            raise ValueError(t("rulesets_same_period"))
        return v

    def ruleset_for(self, period: Period) -> RuleSet:
        """The newest rule set in effect for ``period``."""
        in_effect = [r for r in self.rulesets if r.start <= period]
        if not in_effect:
            first = min(r.effective_from for r in self.rulesets)
            raise InputError(
                [
                    Issue(
                        "configuration",
                        None,
                        "rulesets",
                        t("no_ruleset_in_effect", period=period),
                        t("no_ruleset_in_effect_expected", period=period, first=first),
                    )
                ]
            )
        return max(in_effect, key=lambda r: r.start)


class LoadedConfig:
    """A validated configuration with where it came from, its hash and the line of each key."""

    def __init__(self, config: Config, path: Path | None, raw: bytes, lines: dict[Any, int] | None = None) -> None:
        self.config = config
        self.path = path
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.text = raw.decode("utf-8-sig", errors="replace")  # kept in each month's record
        self.lines: dict[Any, int] = lines or {}

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "configuration"

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The line of a key path in the file (or of its nearest enclosing key)."""
        return line_of(self.lines, loc)

    def ruleset_hash(self, period: Period) -> str:
        """Hash of everything that decides a month's assessment: the rule set, the shared settings
        and the column mappings the inputs are read with."""
        c = self.config
        payload = {
            "columns": c.columns,
            "ruleset": c.ruleset_for(period).model_dump(mode="json"),
            "response": c.response.model_dump(mode="json"),
            "windows": c.windows.model_dump(mode="json"),
            "general": c.general.model_dump(mode="json", exclude={"language", "max_errors", "max_sheet_cells"}),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def key_text(loc: Sequence[str | int], data: object) -> str:
    """A key path as a person reads it: ``rulesets[0].rules[c-on-time].threshold``.

    A list item that has an ``id`` (a rule) is named by it rather than by its
    index, which shifts whenever a rule is added above it.
    """
    out = ""
    node: object = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, Sequence) and 0 <= part < len(node) else None
            ident = item.get("id") if isinstance(item, Mapping) else getattr(item, "id", None)
            out += f"[{ident}]" if isinstance(ident, str) and ident else f"[{part}]"
            node = item
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, Mapping) else getattr(node, part, None)
    return out


def _unwrap(tp: Any) -> Any:
    """``Annotated[X, …]`` -> X; ``X | None`` -> X."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else tp
            if len(rest) != 1:
                return tp
        else:
            return tp


def model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The configuration model that a key path leads to (``rulesets[0].rules[1]`` -> Rule)."""
    tp: Any = Config
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if not isinstance(part, str) or part not in tp.model_fields:
                return None
            tp = tp.model_fields[part].annotation
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _schema_words(err: ErrorDetails, english: str) -> str:
    key = f"schema_{err['type']}"
    if key not in LABELS:
        return english
    try:
        return t(key, **{k: v for k, v in (err.get("ctx") or {}).items() if k != "error"})
    except (KeyError, IndexError):
        return english


def schema_issue(err: ErrorDetails, data: object, source: str, lines: dict[Any, int]) -> Issue:
    loc = [p for p in err["loc"] if p != "[key]"]  # a bad dict key is reported at the key itself
    where = key_text(loc, data) or None
    line = line_of(lines, loc)
    message = err["msg"].removeprefix("Value error, ")
    expected = None
    if err["type"] == "extra_forbidden" and loc:
        model = model_at(loc[:-1])
        fields = list(model.model_fields) if model else []
        guess = did_you_mean(str(loc[-1]), fields)
        message = t("unknown_key", key=repr(loc[-1])) + (t("did_you_mean", guess=repr(guess)) if guess else "")
        expected = t("one_of", choices=", ".join(fields)) if fields else None
    elif err["type"] in ("literal_error", "enum") and isinstance(err.get("input"), str):
        choices = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        guess = did_you_mean(err["input"], choices)
        message = t("not_allowed_here", value=repr(err["input"])) + (
            t("did_you_mean", guess=repr(guess)) if guess else ""
        )
        expected = t("one_of", choices=", ".join(choices)) if choices else None
    elif err["type"] != "value_error":  # pydantic's own words, in the language in use where the catalogue has them
        message = _schema_words(err, message)
    return Issue(source, line, where, message, expected)


def parse_config(
    data: dict[str, object],
    source: str,
    raw: bytes = b"",
    path: Path | None = None,
    lines: dict[Any, int] | None = None,
) -> LoadedConfig:
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        issues = [schema_issue(err, data, source, lines or {}) for err in exc.errors()]
        raise InputError(issues, "configuration errors") from None
    return LoadedConfig(config, path, raw or json.dumps(data, sort_keys=True, default=str).encode(), lines)


def parse_config_text(text: str, source: str) -> LoadedConfig:
    """A configuration from its text, as a month's record keeps it."""
    raw = text.encode("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Issue(source, None, None, t("not_toml", why=exc))]) from None
    return parse_config(data, source, raw)


def load_config(path: Path) -> LoadedConfig:
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Issue(source, None, None, t("config_not_found"))]) from None
    try:
        text = raw.decode("utf-8-sig")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError([Issue(source, None, None, t("not_utf8_text"), t("utf8_toml"))]) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        raise InputError([Issue(source, line, None, t("not_toml", why=exc))]) from None
    return parse_config(data, source, raw, path, key_lines(text))


def default_config_path() -> Path:
    return Path(__file__).parent / "data" / "scorecard.toml"


def json_schema() -> dict[str, object]:
    return Config.model_json_schema()
