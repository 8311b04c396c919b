"""briefbot search --as-of and date ranges: the range is printed, carried in JSON, offered away."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

BRIEFINGS = [
    {"title": "Flood relief", "text": "Flood relief reached the delta villages.",
     "date": "2024-05-20", "id": "may"},
    {"title": "Flood warning", "text": "A flood warning was issued for the delta.",
     "date": "2024-06-10", "id": "june"},
]  # fmt: skip


@pytest.fixture
def stored(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Two dated flood briefings in the CLI's store."""
    path = tmp_path / "floods.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in BRIEFINGS), encoding="utf-8")
    assert main(["ingest", str(path)]) == 0
    capsys.readouterr()
    return env


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ids(out: str) -> list[str]:
    """Article ids of JSON hit lines."""
    return [json.loads(line)["article_id"] for line in out.splitlines() if "article_id" in line]


def test_as_of_hides_later_briefings(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As of 1 June only the May briefing exists; as of 15 June the June one comes first."""
    _, early, _ = run(capsys, "search", "flood", "delta", "--as-of", "2024-06-01", "--json")
    assert ids(early) == ["may"]
    _, late, _ = run(capsys, "search", "flood", "delta", "--as-of", "2024-06-15", "--json")
    assert ids(late)[0] == "june"


def test_json_carries_the_date_range(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'since 1 June' keeps the June briefing and every JSON line names the range."""
    _, out, _ = run(
        capsys, "search", "flood", "since", "1", "June", "--as-of", "2024-06-15", "--json"
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["article_id"] for line in lines] == ["june"]
    assert lines[0]["date_range"] == {
        "since": "2024-06-01T00:00:00+00:00", "until": None, "text": "since 1 June 2024"
    }  # fmt: skip


def test_an_empty_range_is_widened_to_any_date_and_says_so(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing before 2020 matches: the CLI says so and shows the floods of any date."""
    code, out, _ = run(capsys, "search", "flood", "delta", "until:2020-01-01")
    assert code == 0
    assert "Nothing before 1 January 2020; showing briefings from any date" in out
    assert "Flood warning" in out


def test_json_says_a_range_was_widened(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every JSON line of a widened search says so; a range that matched says it was not."""
    _, out, _ = run(capsys, "search", "flood", "delta", "until:2020-01-01", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert {line["article_id"] for line in lines} == {"may", "june"}
    assert all(line["widened"] for line in lines)
    _, out, _ = run(
        capsys, "search", "flood", "since", "1", "June", "--as-of", "2024-06-15", "--json"
    )
    assert [json.loads(line)["widened"] for line in out.splitlines()] == [False]


def test_a_relative_date_is_preferred_and_said_so(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'this month' with enough other words: June's briefing first, May's still shown."""
    words = ("search", "flood", "relief", "warning", "delta", "this", "month")
    code, out, _ = run(capsys, *words, "--as-of", "2024-06-15")
    assert code == 0
    assert "Preferring briefings dated from 1 June 2024 to 15 June 2024" in out
    assert "Flood relief" in out
    _, out, _ = run(capsys, *words, "--as-of", "2024-06-15", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert {line["article_id"] for line in lines} == {"may", "june"}
    assert all(line["preferred"] and not line["widened"] for line in lines)


def test_json_of_a_filtered_range_says_it_was_not_preferred(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'since 1 June' is a date the reader named: kept to, and ``preferred`` is false."""
    _, out, _ = run(
        capsys, "search", "flood", "delta", "since", "1", "June", "--as-of", "2024-06-15", "--json"
    )
    assert [json.loads(line)["preferred"] for line in out.splitlines()] == [False]


def test_a_bad_as_of_is_a_one_line_error(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--as-of that is not a date exits 2 with a message naming the expected form."""
    with pytest.raises(SystemExit) as stop:
        main(["search", "flood", "--as-of", "last tuesday"])
    assert stop.value.code == 2
    assert "is not a date: write it like 2024-05-01" in capsys.readouterr().err
