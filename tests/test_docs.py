"""The README is part of the product: commands, rules and set-up are checked against the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import typer.main

from scorecard.cli import app
from scorecard.config import default_config_path
from scorecard.rules import ACTIONS

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: object, prefix: str = "") -> list[str]:
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(cmd, "commands"):
            names += _commands(cmd, f"{prefix}{name} ")
        else:
            names.append(prefix + name)
    return names


def _code_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_every_command_is_documented_with_help() -> None:
    click_app = typer.main.get_command(app)
    commands = _commands(click_app)
    assert len(commands) >= 13
    for name in commands:
        assert f"scorecard {name}" in README, name
    for cmd in click_app.commands.values():  # type: ignore[attr-defined]
        assert cmd.help, cmd.name


def test_every_default_rule_and_action_kind_is_documented() -> None:
    config = tomllib.loads(default_config_path().read_text(encoding="utf-8"))
    for ruleset in config["rulesets"]:
        for rule in ruleset["rules"]:
            assert f"`{rule['id']}`" in README, rule["id"]
            assert rule["source"], rule["id"]
    for kind in ACTIONS:
        assert f"`{kind}`" in README, kind


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    blocks = _code_blocks()
    demo, tests = (b.strip().splitlines()[-1] for b in blocks[:2])
    assert demo.endswith("scorecard demo")
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_shipped_config_is_the_repository_config() -> None:
    assert (ROOT / "config" / "scorecard.toml").read_bytes() == default_config_path().read_bytes()
