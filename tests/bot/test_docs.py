"""The README's command table is checked against the one command registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.commands import COMMANDS, Command

README = Path(__file__).resolve().parents[2] / "README.md"


def bot_section() -> str:
    """The "What the bot does" section of the README."""
    match = re.search(r"^## What the bot does\n(.*?)(?=^## |\Z)", README.read_text(), re.M | re.S)
    assert match, "README.md has no '## What the bot does' section"
    return match.group(1)


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_command_is_in_the_readme(command: Command) -> None:
    """Each registered command is documented, admin ones marked as such."""
    section = bot_section()
    assert f"`/{command.name}" in section
    if command.admin:
        assert re.search(rf"`/{command.name}[^|]*\(admins\)", section)
