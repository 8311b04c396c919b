"""`briefbot sources`: every configured source and every other polled one, in plain words."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.cli import main
from retrieval import Engine
from retrieval.sources import SourceTracker
from retrieval.titles import TITLE_WEIGHT

MINUTES_AGO = 180.0


@pytest.fixture
def polled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A config with four sources, three of them polled three minutes ago, one also unlisted."""
    db = tmp_path / "store.sqlite3"
    folder = tmp_path / "briefs"
    folder.mkdir()
    (folder / "a.txt").write_text("Harbour closed\n\nThe harbour closed.\n", encoding="utf-8")
    places = {
        "folder": str(folder),
        "missing": str(tmp_path / "gone"),
        "idle": str(tmp_path / "later"),
        "old": str(tmp_path / "old.txt"),
    }
    (tmp_path / "old.txt").write_text("Old note\n\nStill here.\n", encoding="utf-8")
    (tmp_path / "config.toml").write_text(
        f'[[sources]]\nlocation = "{places["folder"]}"\nevery = 900\n\n'
        f'[[sources]]\nlocation = "{places["missing"]}"\n\n'
        f'[[sources]]\nlocation = "{places["idle"]}"\nevery = 5400\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFBOT_DB", str(db))
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    engine = Engine.open(db, title_weight=TITLE_WEIGHT)  # as the command opens it
    tracker = SourceTracker(engine, clock=lambda: time.time() - MINUTES_AGO)
    for name in ("folder", "missing", "missing", "old"):
        tracker.poll(places[name], every=900)
    tracker.close()
    engine.close()
    return places


def test_sources_lists_each_source_in_plain_words(
    polled: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Configured sources come first in config order, then others known from earlier polls."""
    assert main(["sources"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        polled["folder"],
        "    every 15 min · last poll 3 min ago · added 1 (total 1) · ok",
        polled["missing"],
        "    at start only · last poll 3 min ago · added 0 (total 0) · "
        "failed 2 times in a row: no such file or folder",
        polled["idle"],
        "    every 1.5 h · last poll never · added 0 (total 0) · not polled yet",
        polled["old"],
        "    not in config.toml · last poll 3 min ago · added 1 (total 1) · ok",
    ]


def test_sources_json_has_one_object_per_source(
    polled: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints every field of the status row, times in ISO 8601."""
    assert main(["sources", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_place = {row["location"]: row for row in rows}
    assert [row["location"] for row in rows] == [
        polled["folder"], polled["missing"], polled["idle"], polled["old"]
    ]  # fmt: skip
    missing = by_place[polled["missing"]]
    assert (missing["failures"], missing["last_error"], missing["last_success"]) == (
        2, "no such file or folder", None
    )  # fmt: skip
    assert missing["every"] == 0.0
    assert missing["configured"] is True
    assert by_place[polled["old"]]["configured"] is False
    assert by_place[polled["old"]]["every"] is None
    assert by_place[polled["idle"]]["last_poll"] is None
    folder = by_place[polled["folder"]]
    assert (folder["added_last"], folder["added_total"]) == (1, 1)
    assert folder["next_poll"] is not None
    assert folder["next_poll"] > folder["last_poll"]
