"""`briefbot health`: exit 0 only with a store that opens, its own index and no source past cap."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from feed_server import FeedServer, feed_server
from live_harness import PROXY_VARIABLES, Clock

from bot.cli import main
from retrieval import Article, Engine
from retrieval.source_health import MAX_RETRY, backoff
from retrieval.sources import SourceTracker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A feed server on loopback whose /broken path always answers 500."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with feed_server() as httpd:
        yield httpd


def health(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    """Run `briefbot [args] health --json`; its exit code and its checks by name."""
    code = main([*args, "health", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is (code == 0)
    return code, {check["name"]: check for check in report["checks"]}


def fingerprint(db: Path) -> dict[str, str]:
    """A hash of the store's content (its SQL dump: a WAL checkpoint moves bytes, not rows)
    and of every file of its saved index."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        dump = "\n".join(connection.iterdump()).encode()
    found = {str(db): hashlib.sha256(dump).hexdigest()}
    for path in sorted(p for p in Path(f"{db}.index").rglob("*") if p.is_file()):
        found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_a_served_store_is_healthy_and_checking_writes_nothing(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an ingest every check passes, exit 0; the check leaves every file as it was."""
    assert main(["ingest", str(ROOT / "seeds")]) == 0
    capsys.readouterr()
    before = fingerprint(env)
    code, checks = health(capsys)
    assert code == 0
    assert list(checks) == ["store", "index", "sources"]
    assert all(check["ok"] for check in checks.values())
    assert "8 stored passages" in str(checks["store"]["why"])
    assert fingerprint(env) == before
    assert main(["health"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "healthy"


def test_no_store_fails_and_says_how_to_make_one(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a store file, health fails (and does not create one)."""
    code, checks = health(capsys)
    assert code == 1
    assert not checks["store"]["ok"]
    assert "briefbot ingest" in str(checks["store"]["why"])
    assert not env.exists()


def test_a_store_that_is_not_a_store_fails_in_one_line(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is not SQLite fails the store check with the reason, no traceback."""
    env.write_bytes(b"not a database at all" * 100)
    code, checks = health(capsys)
    assert code == 1
    assert "cannot open the store" in str(checks["store"]["why"])


def test_a_missing_or_foreign_index_fails(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No saved index, or one saved from other articles, fails the index check."""
    assert main(["ingest", str(ROOT / "seeds")]) == 0
    capsys.readouterr()
    shutil.rmtree(f"{env}.index")
    code, checks = health(capsys)
    assert code == 1
    assert checks["store"]["ok"]
    assert "no saved index" in str(checks["index"]["why"])
    other = Engine.open(tmp_path / "other.sqlite3")
    other.ingest([Article(title="Else", text="Something else entirely, and more of it.")])
    other.close()
    shutil.copytree(tmp_path / "other.sqlite3.index", f"{env}.index")
    code, checks = health(capsys)
    assert code == 1
    assert "cannot be used" in str(checks["index"]["why"])


def test_a_damaged_posting_fails_the_index_check_with_the_folder_to_delete(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Health reads every posting, though loading and searching other words would not."""
    assert main(["ingest", str(ROOT / "seeds")]) == 0
    capsys.readouterr()
    code, checks = health(capsys)
    assert code == 0
    index = Path(f"{env}.index")
    manifest = json.loads((index / "manifest.json").read_text())
    docs_path = index / manifest["segments"][0]["name"] / "docs.npy"
    docs = np.load(docs_path)
    docs[-1] = 10**9  # a passage id far past the end, in the last term's postings
    np.save(docs_path, docs)
    code, checks = health(capsys)
    assert code == 1
    assert checks["store"]["ok"]
    assert "damaged" in str(checks["index"]["why"])
    assert f"delete the folder {index}" in str(checks["index"]["why"])


def test_a_source_failing_past_its_back_off_cap_fails(
    env: Path, tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source backing off is still healthy; once its back-off reaches the cap, it is not."""
    broken = server.url("/broken")
    config = tmp_path / "c.toml"
    config.write_text(f'[[sources]]\nlocation = "{broken}"\nevery = 600\n')
    engine, clock = Engine.open(env), Clock()
    tracker = SourceTracker(engine, timeout=5.0, clock=clock)
    try:
        tracker.poll(broken, 600.0)
        code, checks = health(capsys, "--config", str(config))
        assert code == 0
        assert "1 backing off" in str(checks["sources"]["why"])
        failures = 1
        while backoff(600.0, failures) < MAX_RETRY:
            clock.now += backoff(600.0, failures)
            tracker.poll(broken, 600.0)
            failures += 1
    finally:
        tracker.close()
        engine.close()
    assert server.answers == [500] * failures
    code, checks = health(capsys, "--config", str(config))
    assert code == 1
    why = str(checks["sources"]["why"])
    assert broken in why
    assert f"{failures} failed polls" in why
    assert "HTTP 500" in why
