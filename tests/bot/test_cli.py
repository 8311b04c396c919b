"""The briefbot command: ingest with reasons, search and latest as text or JSON, clean errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from writers import numbered

from bot.cli import main
from bot.settings import Settings, Source
from bot.subcommands import poll_sources
from retrieval import Engine

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "retrieval" / "fixtures"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_malformed_jsonl_and_rss_reports_reasons(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad lines and entries are listed with place and reason; the good ones are stored."""
    code, out, _ = run(
        capsys, "ingest", str(FIXTURES / "malformed.jsonl"), str(FIXTURES / "rss2.xml")
    )
    assert code == 0
    assert "Added " in out
    assert "malformed.jsonl (line 2)" in out
    assert "rss2.xml (entry 2)" in out
    code, again, _ = run(capsys, "ingest", str(FIXTURES / "malformed.jsonl"))
    assert "Added 0 articles" in again
    assert "already stored" in again


def test_search_says_plainly_when_no_briefing_answers(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unanswerable question prints the plain sentence and nearest titles, no excerpts."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    code, out, _ = run(capsys, "search", "Ukraine", "weather", "in", "Reykjavik")
    assert code == 0
    assert out.startswith("No stored briefing answers that.")
    assert "Blinken Reaffirms U.S. Commitment" in out
    assert "[1]" not in out
    _, lines, _ = run(capsys, "search", "Ukraine", "weather", "in", "Reykjavik", "--json")
    assert {json.loads(line)["abstained"] for line in lines.splitlines()} == {True}


def test_search_counts_articles_and_carries_abstained_false(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An answered search counts one matching article as "1 result"; JSON says not abstained."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    _, out, _ = run(capsys, "search", "weapons", "Ukraine")
    assert out.startswith("1 result in ")
    assert "[2] " in out  # several passages of the one article
    _, lines, _ = run(capsys, "search", "weapons", "Ukraine", "--json")
    assert {json.loads(line)["abstained"] for line in lines.splitlines()} == {False}


def test_search_json_has_every_citation_field(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """search --json prints one object per hit whose spans point into the excerpt."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    code, out, _ = run(capsys, "search", "weapons", "Ukraine", "--json", "-k", "3")
    assert code == 0
    hits = [json.loads(line) for line in out.splitlines()]
    assert 1 <= len(hits) <= 3
    for hit in hits:
        assert set(hit) >= {"article_id", "title", "date", "url", "source", "passage_id",
                            "ranked_passage_id", "score", "excerpt", "excerpt_span", "highlights",
                            "cut_start", "cut_end"}  # fmt: skip
        assert hit["date"].startswith("2022-04-07")
        words = {hit["excerpt"][s:e].lower() for s, e in hit["highlights"]}
        assert words <= {"weapons", "ukraine", "weapon", "ukraine's"}
        assert words


def test_search_text_and_latest_and_stats(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The terminal output cites title, source and date; latest and stats describe the store."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    _, out, _ = run(capsys, "search", "Bucha")
    assert "[1] " in out
    assert "**Bucha**" in out
    assert "RFE/RL · 7 Apr 2022" in out
    _, out, _ = run(capsys, "latest", "--json")
    assert json.loads(out.splitlines()[0])["source"] == "RFE/RL"
    _, out, _ = run(capsys, "stats")
    assert "articles    1" in out


def test_stats_says_what_opening_repaired_and_that_all_is_searchable(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Passages stored but not in the saved index (a stopped ingest, another writer) are
    indexed in memory when stats opens the store, and stats says so until a writer saves."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    other = Engine.open(env, title_weight=Settings().title_weight)  # as the command opens it
    other.ingest(numbered("o", 2), persist=False)  # stored, never saved in the index
    passages = other.stats().passages
    other.close()
    for _ in range(2):  # stats never writes: the second run finds the same gap
        _, out, _ = run(capsys, "stats")
        assert f"searchable  {passages} of {passages} stored passages" in out
        assert "repaired    indexed 2 stored passages the saved index lacked" in out
        assert "in memory for this command only" in out
    run(capsys, "ingest", str(ROOT / "seeds"))  # a writer saves the repaired index
    _, out, _ = run(capsys, "stats")
    assert f"searchable  {passages} of {passages} stored passages" in out
    assert "repaired" not in out


def test_search_on_a_long_text_finds_related_briefings(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A text over the question limit is searched by its telling words, and the output says so."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    paste = "Officials talked for hours about it. " * 15 + "Blinken spoke in Brussels."
    code, out, _ = run(capsys, "search", paste)
    assert code == 0
    assert out.startswith("Briefings related to the text you gave (by its ")
    assert "[1] " in out
    code, out, _ = run(capsys, "search", "the of and " * 60)
    assert code == 2


def test_restart_keeps_the_data(env: Path) -> None:
    """Data ingested by one process is searchable by the next."""
    command = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*command, "ingest", str(ROOT / "seeds")], check=True, capture_output=True)
    found = subprocess.run(
        [*command, "search", "Kuleba", "--json"], check=True, capture_output=True, text=True
    )
    assert "Kuleba" in json.loads(found.stdout.splitlines()[0])["excerpt"]


def test_a_reader_that_leaves_early_gets_no_traceback(env: Path, tmp_path: Path) -> None:
    """`briefbot search … | head -c 1`: the closed pipe ends the command quietly."""
    sentence = "Officials discussed weapons deliveries and long negotiations in the capital. "
    # Words of its own in each article: identical texts would fold into one result.
    lines = [
        json.dumps(
            {
                "title": f"Talks {i}",
                "text": sentence + " ".join(f"w{i}x{j}" for j in range(40)),
                "id": str(i),
            }
        )
        for i in range(800)
    ]
    (tmp_path / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    command = [sys.executable, "-m", "bot.cli"]
    subprocess.run(
        [*command, "ingest", str(tmp_path / "many.jsonl")], check=True, capture_output=True
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read(1)"], stdin=subprocess.PIPE
    )
    assert reader.stdin is not None
    # Far more output than a pipe buffers, so the writer is still writing when the reader has gone.
    searcher = subprocess.run(
        [*command, "search", "weapons", "-k", "800", "--json"],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader.stdin.close()
    reader.wait()
    assert "Traceback" not in searcher.stderr
    assert searcher.returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "the", "of"], "only very common words"),
        (["ingest", "no/such/dir"], "no such file or folder"),
        (["--config", "missing.toml", "stats"], "config file not found"),
        (["search", "weapons", "-k", "1000000000"], "at most 1,000 results at a time"),
    ],
    ids=["stopwords", "missing-path", "missing-config", "huge-k"],
)
def test_errors_are_one_line(
    env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """User mistakes print a single line (or a summary) and a non-zero exit, no traceback."""
    code, out, err = run(capsys, *args)
    assert code in (1, 2)
    assert message in out + err
    assert "Traceback" not in out + err


def test_run_without_token_explains_how_to_get_one(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`briefbot run` with no token says how to get one and exits 2."""
    monkeypatch.delenv("BRIEFBOT_TOKEN", raising=False)
    code, _, err = run(capsys, "run")
    assert code == 2
    assert "@BotFather" in err


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    """--help works for the tool and each subcommand."""
    for args in (["--help"], *[[name, "--help"] for name in ("ingest", "search", "latest",
                                                             "stats", "eval", "run")]):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 0
        assert "usage: briefbot" in capsys.readouterr().out


def test_run_with_unreachable_bot_api_says_so_in_one_line(env: Path, tmp_path: Path) -> None:
    """A Bot API that cannot be reached ends `briefbot run` with one line and exit 2."""
    config = tmp_path / "c.toml"
    config.write_text("sources = []\n")
    environment = {
        **os.environ,
        "BRIEFBOT_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "BRIEFBOT_BASE_URL": "http://127.0.0.1:9/bot",  # the discard port: nothing listens
        "BRIEFBOT_CONFIG": str(config),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "cannot reach http://127.0.0.1:9/bot" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Unclosed" not in done.stderr  # the HTTP sessions were closed on the way out
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in done.stderr


def test_start_up_poll_of_a_poisoned_folder_ingests_the_rest(tmp_path: Path) -> None:
    """The start-up poll of `run` ingests a folder's good file and reports its bad ones."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "good.txt").write_text("Harbour closed\n\nThe harbour closed.\n")
    (folder / "year.txt").write_text("---\ndate: 0001-01-01T00:30:00+01:00\n---\nT\n\nB.\n")
    (folder / "deep.jsonl").write_text('{"title": "t", "text": ' + "[" * 5000 + "]" * 5000 + "}")
    (folder / "odd.jsonl").write_text('{"title": "Odd \\ud800", "text": "Odd body."}\n')
    engine = Engine.open()
    try:
        (line,) = poll_sources(engine, [Source(str(folder), 0.0)])
    finally:
        engine.close()
    assert line.startswith(f"{folder}: Added 2 articles")
    assert "2 skipped" in line
    assert "is out of range" in line
    assert "JSON nested too deeply to read" in line


def test_search_explain_prints_each_words_part(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--explain adds plain-words lines under each hit whose parts sum to the JSON score."""
    run(capsys, "ingest", str(ROOT / "seeds"))
    code, out, _ = run(capsys, "search", "Blinken", "weapons", "--explain")
    assert code == 0
    assert "    why: “blinken”: in " in out
    assert "    why: Score " in out
    _, lines, _ = run(capsys, "search", "Blinken", "weapons", "--explain", "--json")
    for line in lines.splitlines():
        hit = json.loads(line)
        words = hit["explanation"]["words"]
        assert {w["term"] for w in words} == {"blinken", "weapon"}
        added = sum(f["value"] for f in hit["explanation"]["factors"] if f["kind"] == "add")
        assert abs(sum(w["score"] for w in words) + added - hit["score"]) <= 1e-9
        assert abs(hit["explanation"]["score"] - hit["score"]) <= 1e-9


def test_feedback_export_is_anonymised(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The export lists votes with hashed voters and analysed terms, never ids or the text."""
    from bot.state import BotState, Owner
    from bot.votes import Votes

    run(capsys, "ingest", str(ROOT / "seeds"))  # a bot's store holds briefings before votes
    code, out, _ = run(capsys, "feedback")
    assert (code, out.strip()) == (0, "No votes yet. Readers vote with the 👍 / 👎 buttons "
                                       "under each answer.")  # fmt: skip
    state, votes = BotState(env), Votes(env)
    token = state.remember_query("Weapons for the Ukrainians", Owner(4242, 4242))
    votes.vote(token, 4242, 1, helpful=False)
    votes.vote(token, 777, 2, helpful=True)
    state.close()
    votes.close()
    code, out, _ = run(capsys, "feedback")
    assert code == 0
    assert out.startswith("2 votes, 1 helpful; last 7 days: 1 of 2 helpful")
    assert out.count("terms: weapon ukrainian") == 2
    assert "not helpful  rank 1" in out
    _, lines, _ = run(capsys, "feedback", "--json")
    exported = [json.loads(line) for line in lines.splitlines()]
    assert [(v["rank"], v["helpful"], v["terms"]) for v in exported] == [
        (1, False, ["weapon", "ukrainian"]),
        (2, True, ["weapon", "ukrainian"]),
    ]
    assert len({v["voter"] for v in exported}) == 2
    for text in (out, lines):
        assert not re.search(r"\b(4242|777)\b", text)  # a hash may hold the digits, not the id
        assert "Weapons for the" not in text


def test_search_json_lists_folded_copies_in_also(
    env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Two copies of one story are one JSON hit whose ``also`` names the other copy."""
    story = (
        "Rescue teams searched the rubble of collapsed homes after an earthquake struck the "
        "mountainous east, killing at least 120 people, officials said on Thursday."
    )
    feed = tmp_path / "copies.jsonl"
    records = [
        {"title": "Quake", "text": story, "source": "Wire A", "date": "2024-05-01T08:00:00Z",
         "url": "https://a.test/quake"},
        {"title": "Quake toll", "text": story, "source": "Daily B", "date": "2024-05-02T08:00:00Z",
         "url": "https://b.test/quake"},
    ]  # fmt: skip
    feed.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    run(capsys, "ingest", str(feed))
    _, out, _ = run(capsys, "search", "earthquake", "rubble", "--json")
    hits = [json.loads(line) for line in out.splitlines()]
    assert len(hits) == 1
    assert hits[0]["source"] == "Daily B"  # the newer copy is shown
    assert [(c["source"], c["url"]) for c in hits[0]["also"]] == [
        ("Wire A", "https://a.test/quake")
    ]
    _, text, _ = run(capsys, "search", "earthquake", "rubble")
    assert "also in: Wire A" in text
