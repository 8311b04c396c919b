"""How bot modules depend on each other and on python-telegram-bot, read from their source.

Every ``import`` counts, also one inside a function: a cycle hidden in a function body is still
a cycle a reader has to untangle, and still breaks once someone moves the import up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, by absolute name (``from bot import x`` counts as bot.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def bot_graph() -> dict[str, set[str]]:
    """Each bot module and the bot modules it imports."""
    modules = {f"bot.{path.stem}": path for path in BOT.glob("*.py") if path.stem != "__init__"}
    return {name: imported(path) & set(modules) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``graph`` as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_no_import_cycle_among_bot_modules() -> None:
    """No bot module imports, however indirectly, a module that imports it back."""
    graph = bot_graph()
    assert "bot.runtime" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: two modules importing each other through a third are a cycle."""
    graph = {"bot.a": {"bot.b"}, "bot.b": {"bot.c"}, "bot.c": {"bot.a"}, "bot.d": {"bot.a"}}
    assert find_cycle(graph) == ["bot.a", "bot.b", "bot.c", "bot.a"]
    assert find_cycle({"bot.a": {"bot.b"}, "bot.b": set()}) is None


@pytest.mark.parametrize("path", sorted(BOT.glob("*.py")), ids=lambda path: path.name)
def test_only_documented_telegram_modules(path: Path) -> None:
    """No bot module imports python-telegram-bot's private modules (``telegram._…``), which its
    stability policy does not cover."""
    private = sorted(
        name for name in imported(path) if name.startswith("telegram") and "._" in f".{name}"
    )
    assert private == []


def test_a_worker_does_not_import_the_command_line() -> None:
    """The worker process's module stands on its own: it no longer borrows from ``bot.cli``."""
    assert "bot.cli" not in bot_graph()["bot.worker"]


@pytest.mark.parametrize("path", sorted(BOT.glob("*.py")), ids=lambda path: path.name)
def test_no_bot_data_string_keys(path: Path) -> None:
    """Services reach handlers one way, the typed ``BotData``: nothing indexes ``bot_data``."""
    source = path.read_text(encoding="utf-8")
    assert "bot_data[" not in source
    assert "bot_data.get(" not in source
