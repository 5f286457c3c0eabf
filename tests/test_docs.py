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


def test_the_readme_lists_exactly_what_the_demo_writes(demo_template: Path) -> None:
    """Every file and folder `scorecard demo` makes is in the README's list, and the list names nothing else."""
    block = next(b for b in re.findall(r"```text\n(.*?)```", README, flags=re.S) if b.startswith("scorecard-demo/"))
    listed = set(
        re.findall(r"(?<![\w.-])(\.?[\w-]+(?:\.[\w-]+)*\.(?:csv|json|xlsx|html|db|toml|lock)|\.scorecard-demo)", block)
    )
    months = sorted(p.name for p in (demo_template / "inputs").iterdir())
    assert f"inputs/{months[0]}/ … inputs/{months[-1]}/" in block
    assert f"out/{months[0]}/ … out/{months[-1]}/" in block
    files, folders, statements = set(), set(), []
    for path in demo_template.rglob("*"):
        rel = path.relative_to(demo_template)
        if rel.parts[0] == "inputs" and len(rel.parts) > 1:
            continue  # the fixtures' tables, copied
        if rel.parent.name == "statements":
            statements.append(rel.name)
        elif path.is_dir():
            folders.add(rel.name)
        else:
            files.add(rel.name)
    assert files == listed
    assert folders - set(months) == {"config", "inputs", "out", "statements", "service", "2026H1"}
    for folder in folders - set(months):
        assert f"{folder}/" in block, folder
    assert sorted(p.name for p in (demo_template / "out").iterdir()) == [*months, "2026H1"]
    partners = int(re.search(r"(\d+) partners\)", block).group(1))  # type: ignore[union-attr]
    assert len(statements) == 2 * partners
    assert all(re.fullmatch(r"SI-\d{4}-[0-9a-f]+\.(html|xlsx)", name) for name in statements)
