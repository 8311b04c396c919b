"""Each SQLite table has one owner: the module that creates it is the only one that writes it.

Read from the source, so a new statement in the wrong module fails here before it reaches a
store. An operation that spans owners (/forgetme) calls each owner instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CREATES = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
# SQL keywords are upper case in this code base, table names lower case.
WRITES = re.compile(
    r"(?:INSERT(?: OR [A-Z]+)? INTO|DELETE FROM|DROP TABLE|ALTER TABLE) ([a-z_]+)"
    r"|UPDATE ([a-z_]+) SET"
)


def statements(pattern: re.Pattern[str]) -> dict[str, set[str]]:
    """Each table the pattern names, and the modules of bot/ and retrieval/ naming it so."""
    found: dict[str, set[str]] = defaultdict(set)
    for folder in ("bot", "retrieval"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for match in pattern.finditer(path.read_text(encoding="utf-8")):
                table = next(group for group in match.groups() if group)
                found[table].add(str(path.relative_to(ROOT)))
    return found


def test_every_table_is_written_only_by_the_module_that_creates_it() -> None:
    """No module writes a table another module created (or one nobody creates)."""
    creators = statements(CREATES)
    assert all(len(modules) == 1 for modules in creators.values()), creators
    assert {"articles", "passages", "sources", "bot_queries", "bot_watches", "bot_alerts"} <= set(
        creators
    )
    strays = {
        table: sorted(modules - creators.get(table, set()))
        for table, modules in statements(WRITES).items()
        if modules - creators.get(table, set())
    }
    assert strays == {}


def test_the_check_sees_a_stray_write() -> None:
    """The pattern catches the statements a stray write would use."""
    sql = "DELETE FROM bot_alerts WHERE x; INSERT OR IGNORE INTO meta VALUES; UPDATE bot_alerts SET"
    tables = [next(g for g in match.groups() if g) for match in WRITES.finditer(sql)]
    assert tables == ["bot_alerts", "meta", "bot_alerts"]
