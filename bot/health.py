"""``briefbot health``: whether the store a bot serves from is fit to answer, check by check.

A container's ``HEALTHCHECK`` or a unit's watchdog runs it beside the bot, on the same store:
healthy means the store opens, its saved search index loads as the store's own and every
posting of it reads intact (the bot checks each term only when a search first reads it), and
no configured source has failed so often that its back-off reached its cap. It reads only, like
``search``: it never writes the store or the index, so it can run as often as wanted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.render import counted
from bot.settings import Settings
from bot.store import open_engine
from retrieval import (
    MAX_RETRY,
    BriefbotError,
    Engine,
    IndexLanguageError,
    StoreError,
    past_cap,
    saved_rows,
)


@dataclass(frozen=True, slots=True)
class Check:
    """One health check: its name, whether it passed, and why, in plain words."""

    name: str
    ok: bool
    why: str


@dataclass(frozen=True, slots=True)
class Health:
    """Every check in order; healthy only when each one passed."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, object]:
        """What ``health --json`` prints."""
        return {"ok": self.ok, "checks": [{"name": c.name, "ok": c.ok, "why": c.why}
                                          for c in self.checks]}  # fmt: skip


def check_health(settings: Settings) -> Health:
    """Run the store, index and sources checks for ``settings`` (later ones need the store)."""
    path = settings.db_path
    if str(path) == ":memory:" or not Path(path).is_file():
        missing = Check("store", False, f"no store at {path}: run `briefbot ingest` or the bot")
        return Health((missing, *_skipped("index", "sources")))
    try:
        engine = open_engine(settings, read_only=True)
    except IndexLanguageError as error:
        store = Check("store", True, f"{path} opens")
        return Health((store, Check("index", False, str(error)), _sources(settings)))
    except BriefbotError as error:
        return Health((Check("store", False, str(error)), *_skipped("index", "sources")))
    try:
        check = engine.check()
        store = Check("store", True, f"{path} opens: {counted(check.stored, 'stored passage')}")
        index = _index(check.stored, check.saved, check.repaired)
        if index.ok:
            index = _postings(engine, index)
    finally:
        engine.close()
    return Health((store, index, _sources(settings)))


def _skipped(*names: str) -> tuple[Check, ...]:
    return tuple(Check(name, False, "not checked: the store did not open") for name in names)


def _index(stored: int, saved: int | None, repaired: str | None) -> Check:
    """Whether the saved index loaded as the store's own (a lag behind the store is normal)."""
    if repaired and repaired.startswith("rebuilt"):
        return Check("index", False, f"the saved index cannot be used: {repaired}")
    if saved is None:
        if stored == 0:
            return Check("index", True, "the store is empty: nothing to index yet")
        return Check("index", False, "no saved index: the bot or `briefbot ingest` saves one")
    behind = stored - saved
    lag = f"; {counted(behind, 'passage')} newer, indexed on open" if behind > 0 else ""
    return Check("index", True, f"loaded {counted(saved, 'passage')}{lag}")


def _postings(engine: Engine, loaded: Check) -> Check:
    """``loaded``, unless a posting of the index is damaged: a search checks only the terms
    it reads, so health reads them all (about a second at 10M passages)."""
    try:
        engine.verify_index()
    except StoreError as error:
        return Check("index", False, str(error))
    return loaded


def _sources(settings: Settings) -> Check:
    """Whether any configured source has failed past its back-off cap."""
    try:
        rows = {row.location: row for row in saved_rows(str(settings.db_path))}
    except BriefbotError as error:
        return Check("sources", False, str(error))
    broken = [
        f"{source.location} ({counted(rows[source.location].failures, 'failed poll')}: "
        f"{rows[source.location].last_error})"
        for source in settings.sources
        if source.location in rows and past_cap(source.every, rows[source.location].failures)
    ]
    if broken:
        cap = f"{MAX_RETRY / 3600:g} h"
        return Check("sources", False, f"failing past the {cap} back-off: {'; '.join(broken)}")
    failing = sum(1 for s in settings.sources if s.location in rows and rows[s.location].failures)
    why = f"{counted(len(settings.sources), 'configured source')}"
    return Check(
        "sources", True, why + (f", {failing} backing off" if failing else ", none failing")
    )


def health_lines(health: Health) -> list[str]:
    """The checks as aligned text, then the verdict."""
    lines = [f"{'ok' if c.ok else 'FAIL':<5} {c.name:<8} {c.why}" for c in health.checks]
    return [*lines, "healthy" if health.ok else "unhealthy"]
