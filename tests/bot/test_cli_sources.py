"""`briefbot sources`: every configured source and every other polled one, in plain words."""

from __future__ import annotations

import json
import shutil
import sqlite3
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


def remove_store(folder: Path) -> None:
    """Delete the store file, its WAL files and its saved index folder."""
    for path in folder.glob("store.sqlite3*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def test_sources_reads_without_writing(
    polled: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`sources` leaves the store byte for byte as it was, and a store that never polled a
    source (or does not exist yet) lists the configured ones as not polled, creating nothing."""
    db = tmp_path / "store.sqlite3"
    files = sorted(path for path in tmp_path.glob("store.sqlite3*") if path.is_file())
    before = {path.name: path.read_bytes() for path in files}
    assert main(["sources"]) == 0
    assert {path.name: path.read_bytes() for path in files} == before
    assert sorted(path for path in tmp_path.glob("store.sqlite3*") if path.is_file()) == files
    capsys.readouterr()
    remove_store(tmp_path)
    Engine.open(db).close()  # an article store with no source tables yet
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE IF EXISTS sources")
        conn.execute("DROP TABLE IF EXISTS source_files")
    conn.close()
    assert main(["sources"]) == 0
    assert capsys.readouterr().out.count("not polled yet") == 3
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "sources" not in tables
    remove_store(tmp_path)
    assert main(["sources"]) == 0
    assert capsys.readouterr().out.count("not polled yet") == 3
    assert not db.exists()
