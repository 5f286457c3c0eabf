"""Configuration: the TOML file, validated by strict pydantic models.

A configuration holds the general settings, column mappings, the response
deductions and completion/reply windows, and one or more *rule sets*
(``[[rulesets]]``), each effective from a period. Numbers are kept exact
(``Decimal``): TOML floats are converted through their text, so ``0.4`` is
``Decimal("0.4")``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scorecard.issues import InputError, Issue
from scorecard.periods import Period

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

Mode = Literal["C", "EMP"]
_WINDOW_RE = re.compile(r"^([1-9][0-9]*)(h|wd)$")
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
    """A completion or reply window: clock hours ("24h") or working days ("2wd")."""

    amount: int
    unit: Literal["h", "wd"]

    @classmethod
    def parse(cls, text: str) -> Window:
        m = _WINDOW_RE.match(text.strip())
        if not m:
            raise ValueError(f"not a window: {text!r} (expected e.g. '24h' or '2wd')")
        return cls(amount=int(m.group(1)), unit=m.group(2))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


WindowField = Annotated[Window, Field(description="clock hours ('24h') or working days ('2wd')")]


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
        return getattr(self, category)


class WindowsConfig(Strict):
    completion: Windows = Windows(
        urgent=Window(amount=24, unit="h"), normal=Window(amount=24, unit="h"), difficult=Window(amount=24, unit="h")
    )
    reply: Windows = Windows(
        urgent=Window(amount=24, unit="h"), normal=Window(amount=12, unit="h"), difficult=Window(amount=72, unit="h")
    )


class General(Strict):
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    cutoff_grace_days: int = Field(3, ge=0, le=31)
    max_errors: int = Field(200, ge=1)


class Response(Strict):
    """客服工作响应率: 100 minus the points of each conduct event, floored at 0."""

    deductions: dict[str, Decimal]

    @field_validator("deductions")
    @classmethod
    def _non_negative(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for key, points in v.items():
            if points < 0:
                raise ValueError(f"{key}: points must be >= 0")
        return v


ActionKind = Literal["notice", "hold_until_compliant", "hold_months", "terminate", "review", "sanction"]


class Action(Strict):
    kind: ActionKind
    # Fires when the streak equals ``streak``; or, without it, when the streak is
    # at least ``min_streak`` (default 1: every breaching period).
    streak: int | None = Field(None, ge=1)
    min_streak: int = Field(1, ge=1)
    months: int | None = Field(None, ge=1)  # hold_months
    deadline_days: int | None = Field(None, ge=1)  # notice
    label: Text | None = None  # sanction (约见谈话 …) or notice text

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Action:
        if self.kind == "hold_months" and self.months is None:
            raise ValueError("hold_months needs 'months'")
        if self.kind != "hold_months" and self.months is not None:
            raise ValueError("'months' belongs to hold_months only")
        if self.kind == "sanction" and self.label is None:
            raise ValueError("a sanction needs a 'label'")
        return self

    def fires_at(self, streak: int) -> bool:
        if streak < 1:
            return False
        return streak == self.streak if self.streak is not None else streak >= self.min_streak


class Rule(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    modes: list[Mode]
    metric: MetricName
    op: Literal[">=", ">", "<=", "<", "=="]
    threshold: Decimal | None = None  # compare with a number …
    against: MetricName | None = None  # … or with another metric
    description: Text
    source: str = ""
    actions: list[Action]

    @model_validator(mode="after")
    def _one_comparand(self) -> Rule:
        if (self.threshold is None) == (self.against is None):
            raise ValueError("give exactly one of 'threshold' or 'against'")
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


class RuleSet(Strict):
    version: str
    effective_from: Annotated[str, Field(pattern=_PERIOD_RE.pattern)]
    description: str = ""
    zero_base: Literal["breach", "skip"] = "breach"
    unit_cost: Decimal = Field(Decimal("30.00"), ge=0)  # yuan per valid complaint
    rules: list[Rule]
    score: Score

    @property
    def start(self) -> Period:
        return Period.parse(self.effective_from)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, v: list[Rule]) -> list[Rule]:
        ids = [r.id for r in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id: {', '.join(dup)}")
        return v


class Approval(Strict):
    """Maker–checker (docs/sign-off-and-audit.md): close needs another user's approval of the draft."""

    required: bool = True


class Config(Strict):
    general: General = General()
    approval: Approval = Approval()
    columns: dict[
        Literal[
            "partners", "billing", "complaints", "settlement", "refunds", "conduct", "surveys", "payees", "deposits"
        ],
        dict[str, str],
    ] = {}
    response: Response
    windows: WindowsConfig = WindowsConfig()
    rulesets: list[RuleSet] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        from scorecard.inputs.schema import TABLES

        for table, mapping in v.items():
            names = TABLES[table].names
            for header, target in mapping.items():
                if target not in names:
                    raise ValueError(
                        f"{table}: {header!r} maps to {target!r}, which is not a column of {table} "
                        f"(columns: {', '.join(names)})"
                    )
        return v

    @field_validator("rulesets")
    @classmethod
    def _unique_versions(cls, v: list[RuleSet]) -> list[RuleSet]:
        versions = [r.version for r in v]
        if len(set(versions)) != len(versions):
            raise ValueError("rule set versions must be unique")
        starts = [r.effective_from for r in v]
        if len(set(starts)) != len(starts):
            raise ValueError("two rule sets take effect in the same period")
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
                        f"no rule set is in effect for {period}",
                        f"effective_from <= {period}; the first is {first}",
                    )
                ]
            )
        return max(in_effect, key=lambda r: r.start)


class LoadedConfig:
    """A validated configuration with where it came from and its hash."""

    def __init__(self, config: Config, path: Path | None, raw: bytes) -> None:
        self.config = config
        self.path = path
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.text = raw.decode("utf-8-sig", errors="replace")  # kept in each month's record

    def ruleset_hash(self, period: Period) -> str:
        """Hash of everything that decides a month's assessment: the rule set, the shared settings
        and the column mappings the inputs are read with."""
        c = self.config
        payload = {
            "columns": c.columns,
            "ruleset": c.ruleset_for(period).model_dump(mode="json"),
            "response": c.response.model_dump(mode="json"),
            "windows": c.windows.model_dump(mode="json"),
            "general": c.general.model_dump(mode="json", exclude={"language", "max_errors"}),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_config(data: dict[str, object], source: str, raw: bytes = b"", path: Path | None = None) -> LoadedConfig:
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        issues = [
            Issue(source, None, _loc(err["loc"]) or None, err["msg"].removeprefix("Value error, "))
            for err in exc.errors()
        ]
        raise InputError(issues, "configuration errors") from None
    return LoadedConfig(config, path, raw or json.dumps(data, sort_keys=True, default=str).encode())


def load_config(path: Path) -> LoadedConfig:
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Issue(source, None, None, "configuration file not found")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError([Issue(source, None, None, "not UTF-8 text", "a UTF-8 TOML file")]) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        raise InputError([Issue(source, line, None, f"not valid TOML: {exc}")]) from None
    return parse_config(data, source, raw, path)


def default_config_path() -> Path:
    return Path(__file__).parent / "data" / "scorecard.toml"


def json_schema() -> dict[str, object]:
    return Config.model_json_schema()
