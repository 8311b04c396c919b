"""briefbot ingest --json and briefbot remove: every item named, removals confirmed or refused."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from writers import numbered, write_jsonl

from bot.cli import main
from bot.terminal import source_line
from bot.watches import WatchStore
from retrieval import Engine
from retrieval.sources import SourceStatus


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_json_names_every_item_and_what_happened_to_it(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One object per item: added, updated (same URL, new text), already stored, or skipped
    with its place and reason."""
    first, second = numbered("a", 2)
    run(capsys, "ingest", str(write_jsonl(tmp_path / "one.jsonl", [first, second])))
    changed = replace(first, text=first.text + " Now corrected.")
    fresh = numbered("b", 1)
    path = write_jsonl(tmp_path / "two.jsonl", [changed, second, *fresh])
    with path.open("a", encoding="utf-8") as out:
        out.write('{"title": "No body"}\n')
    code, out, _ = run(capsys, "ingest", "--json", str(path))
    assert code == 0
    items = [json.loads(line) for line in out.splitlines()]
    assert [(item["status"], item.get("id")) for item in items] == [
        ("added", "b-0"),
        ("updated", "a-0"),
        ("already stored", "a-1"),
        ("skipped", None),
    ]
    assert items[3]["where"] == f"{path} (line 4)"
    assert "text" in items[3]["reason"]
    _, text, _ = run(capsys, "search", "corrected")
    assert "Now **corrected**." in text


def test_ingest_text_summary_counts_and_names_updates(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plain summary counts updated articles and names each one."""
    (article,) = numbered("a", 1)
    run(capsys, "ingest", str(write_jsonl(tmp_path / "one.jsonl", [article])))
    changed = replace(article, text="Corrected text about grain.")
    _, out, _ = run(capsys, "ingest", str(write_jsonl(tmp_path / "two.jsonl", [changed])))
    assert "1 updated, 0 already stored" in out
    assert f"  updated {article.title} ({article.url})" in out


def test_remove_by_id_and_url_confirms_and_is_gone_from_search(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Removing prints what went, with its passages; the articles leave search at once."""
    run(capsys, "ingest", str(write_jsonl(tmp_path / "a.jsonl", numbered("a", 3))))
    code, out, _ = run(capsys, "remove", "a-0", "https://a.test/1")
    assert code == 0
    assert out.splitlines()[0] == "removed 2 articles (2 passages)"
    assert "a-0  Briefing a000000q  https://a.test/0" in out
    _, found, _ = run(capsys, "search", "a000000q", "--json")
    assert found == ""
    code, out, _ = run(capsys, "remove", "a-2")
    assert out.splitlines()[0] == "removed 1 article (1 passage)"


def test_remove_a_whole_source(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--source removes every article of that source and nothing else."""
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<rss version="2.0"><channel><title>Harbour Wire</title>'
        "<item><title>Port reopens</title><link>https://h.test/1</link>"
        "<description>The port reopened for grain ships.</description></item>"
        "<item><title>Port strike</title><link>https://h.test/2</link>"
        "<description>Dock workers struck over grain pay.</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    run(capsys, "ingest", str(feed), str(write_jsonl(tmp_path / "a.jsonl", numbered("a", 1))))
    _, listed, _ = run(capsys, "latest", "--json")
    sources = {json.loads(line)["source"] for line in listed.splitlines()}
    name = next(source for source in sources if source)
    code, out, _ = run(capsys, "remove", "--source", name)
    assert (code, out.splitlines()[0]) == (0, "removed 2 articles (2 passages)")
    _, left, _ = run(capsys, "latest", "--json")
    assert [json.loads(line)["id"] for line in left.splitlines()] == ["a-0"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["no-such-id"], 1, "nothing removed: no stored article has id or URL 'no-such-id'"),
        (["--source", "Nobody"], 1, "nothing removed: no stored article has source 'Nobody'"),
        ([], 2, "name articles by id or URL, or a source with --source NAME"),
    ],
    ids=["unknown-id", "unknown-source", "nothing-named"],
)
def test_remove_that_matches_nothing_says_so(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    """A removal that matches nothing (or names nothing) is one clear line and a failure."""
    run(capsys, "ingest", str(write_jsonl(tmp_path / "a.jsonl", numbered("a", 1))))
    got, out, err = run(capsys, "remove", *args)
    assert (got, out) == (code, "")
    assert message in err
    assert "Traceback" not in err


def test_sources_line_shows_updates_only_when_there_were_some() -> None:
    """A source that updated articles says how many; one that never did stays as before."""
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    base = SourceStatus("https://f.test/rss", now, now, 2, 5, 0, None, None)
    assert "updated" not in source_line(base, 600.0, now)
    updated = SourceStatus(
        "https://f.test/rss", now, now, 2, 5, 0, None, None, updated_last=1, updated_total=3
    )
    assert "added 2 (total 5) · updated 1 (total 3) · ok" in source_line(updated, 600.0, now)


def test_remove_drops_alerts_a_running_bot_has_not_sent_yet(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An alert queued for a removed article (by a bot on the same store) is dropped, so it is
    never sent; alerts about other articles stay."""
    run(capsys, "ingest", str(write_jsonl(tmp_path / "a.jsonl", numbered("a", 2))))
    engine = Engine.open(env)
    hits = engine.search("grain shipments", k=5).hits
    engine.close()
    watches = WatchStore(env)
    watch, _ = watches.add_watch(77, 77, "grain shipments")
    assert watches.alerts.queue(77, watch.id, watch.query, hits, 1.0) == 2
    watches.close()
    code, _, _ = run(capsys, "remove", "a-0")
    assert code == 0
    watches = WatchStore(env)
    assert [alert.article.id for alert in watches.alerts.pending(77)] == ["a-1"]
    watches.close()
