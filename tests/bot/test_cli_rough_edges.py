"""What a new user hits first: the token file, a mistyped language, read-only commands, JSON."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from retrieval import Engine

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def fingerprint(db: Path) -> dict[str, str]:
    """A hash of the store's content (its SQL dump: a WAL checkpoint moves bytes, not rows)
    and of every file of its saved index."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        dump = "\n".join(connection.iterdump()).encode()
    found = {str(db): hashlib.sha256(dump).hexdigest()}
    for path in sorted(p for p in Path(f"{db}.index").rglob("*") if p.is_file()):
        found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_config_toml_is_ignored_by_git() -> None:
    """config.toml may hold the bot token, so the repository's .gitignore keeps it out."""
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"config.toml", "/config.toml"} & {line.strip() for line in lines}


@pytest.mark.parametrize(
    ("args", "variables", "where"),
    [
        (["--language", "klingon"], {}, "unknown language 'klingon'"),
        ([], {"BRIEFBOT_LANGUAGE": "klingon"}, "$BRIEFBOT_LANGUAGE: expected one of"),
    ],
    ids=["option", "environment"],
)
def test_an_unknown_language_is_one_line_and_exit_2(
    env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    variables: dict[str, str],
    where: str,
) -> None:
    """A language Snowball cannot stem is named in one line with exit code 2, no traceback."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(capsys, *args, "search", "weapons")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert where in err
    assert "english" in err  # the languages it can use are listed


@pytest.mark.parametrize(
    "command", [["search", "weapons"], ["latest"], ["stats"], ["stats", "--json"]]
)
def test_read_only_commands_in_another_language_never_write(
    env: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """search, latest and stats with another --language than the store's leave the store and
    its saved index byte for byte as they were, and say what to run instead."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    before = fingerprint(env)
    code, out, err = run(capsys, "--language", "german", *command)
    assert code == 2
    assert out == ""
    assert "is in english, not german" in err
    assert "--language english" in err
    assert "briefbot --language german ingest" in err
    assert fingerprint(env) == before
    engine = Engine.open(env, read_only=True)  # still an English index
    assert engine.search("weapons").hits
    engine.close()


def test_stats_json_is_one_object_with_the_figures(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`stats --json` prints one JSON object with the sizes and how the index agrees."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    code, out, _ = run(capsys, "stats", "--json")
    assert code == 0
    figures = json.loads(out)
    assert figures["store"] == str(env)
    assert figures["articles"] == 1
    assert figures["passages"] == figures["stored_passages"] == figures["searchable_passages"]
    assert figures["passages"] > 1
    assert figures["repaired"] is None
    assert figures["vocabulary"] > 0
