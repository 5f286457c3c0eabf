"""tomlkeys: the line of every key path of a TOML text, for configuration messages."""

from __future__ import annotations

import tomllib

from scorecard.config import default_config_path
from scorecard.tomlkeys import key_lines, line_of

TEXT = """\
# a comment with [brackets] and key = "value"
top = 1
"quoted key" = 'literal # not a comment'
dotted.key = "x ] y"  # a comment

[general]
language = "zh"

[[rulesets]]
version = "a"

[[rulesets.rules]]
id = "first"
actions = [
  { kind = "notice", label = { zh = "限期", en = "Rectify, now" } },
  { kind = "terminate", streak = 3 },
]

[[rulesets.rules]]
id = "second"
text = \"\"\"two
lines\"\"\"
modes = ["C",
  "EMP"]

[rulesets.score.points]
rate = [[0, 100], [5, 60]]

[[rulesets]]
version = "b"

[[rulesets.rules]]
id = "third"
"""


def test_the_text_is_valid_toml() -> None:
    data = tomllib.loads(TEXT)
    assert data["rulesets"][0]["rules"][1]["modes"] == ["C", "EMP"]


def test_lines_of_keys_tables_and_array_entries() -> None:
    lines = key_lines(TEXT)
    number = {line: i + 1 for i, line in enumerate(TEXT.splitlines())}
    assert lines[("top",)] == number["top = 1"]
    assert lines[("quoted key",)] == 3
    assert lines[("dotted", "key")] == 4
    assert lines[("general", "language")] == 7
    assert lines[("rulesets", 0)] == 9
    assert lines[("rulesets", 0, "rules", 0, "id")] == 13
    assert lines[("rulesets", 0, "rules", 0, "actions", 0, "kind")] == 15
    assert lines[("rulesets", 0, "rules", 0, "actions", 0, "label", "en")] == 15
    assert lines[("rulesets", 0, "rules", 0, "actions", 1, "streak")] == 16
    assert lines[("rulesets", 0, "rules", 1, "id")] == 20
    assert lines[("rulesets", 0, "rules", 1, "modes", 1)] == 24  # an array over two lines
    assert lines[("rulesets", 0, "score", "points", "rate", 1, 0)] == 27
    assert lines[("rulesets", 1, "version")] == 30
    assert lines[("rulesets", 1, "rules", 0, "id")] == 33


def test_an_unknown_path_falls_back_to_its_nearest_known_key() -> None:
    lines = key_lines(TEXT)
    assert line_of(lines, ("rulesets", 0, "rules", 1, "thresold")) == 19  # the rule's table header
    assert line_of(lines, ("nowhere",)) is None


def test_every_key_of_the_shipped_configuration_has_its_line() -> None:
    text = default_config_path().read_text(encoding="utf-8")
    lines = key_lines(text)
    data = tomllib.loads(text)

    def walk(node: object, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))
        else:
            assert path in lines, path
            key = path[-1] if isinstance(path[-1], str) else next(p for p in reversed(path) if isinstance(p, str))
            assert key in text.splitlines()[lines[path] - 1] or isinstance(path[-1], int), path

    walk(data, ())
