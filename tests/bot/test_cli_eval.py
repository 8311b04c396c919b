"""`briefbot eval`: a tiny hand-scored set gives known figures; malformed sets fail in one line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bot.cli import main

ARTICLES = [
    {"id": "a1", "title": "Volcano", "text": "The Etna volcano covered Catania in ash."},
    {"id": "a2", "title": "Rail", "text": "Train drivers in France went on strike over pensions."},
    {"id": "a3", "title": "Rates", "text": "The central bank raised interest rates again."},
    {"id": "a4", "title": "Cup", "text": "Real Madrid beat Liverpool in the final in Paris."},
]
# Each query's ranking is forced by which articles hold its words (see the comments).
QUERIES = [
    {"id": "q1", "text": "Catania volcano ash", "answers": ["Etna"]},  # a1 only
    {"id": "q2", "text": "strike pensions France", "answers": ["“train DRIVERS”"]},  # a2 only
    {"id": "q3", "text": "strike train Liverpool", "answers": ["Real Madrid"]},  # a2 > a4
    {"id": "q4", "text": "zebra quantum", "answers": ["Etna"]},  # nothing
    {"id": "q5", "text": "the of and", "answers": ["bank"]},  # refused: stopwords only
    {"id": "q6", "text": "interest rates", "answers": ["rate"]},  # a3, but "rates" != "rate"
]
QRELS = [("q1", "a1", 1), ("q2", "a2", 1), ("q2", "a4", 1), ("q3", "a4", 1), ("q4", "a3", 1),
         ("q6", "a3", 0)]  # fmt: skip

# By hand, over the judged q1-q4 (q6's score 0 is not relevant), ranked articles:
# q1 [a1] rel {a1}; q2 [a2] rel {a2, a4}; q3 [a2, a4] rel {a4}; q4 [] rel {a3}.
# Recall@1 = hits in top 1 / min(|rel|, 1): 1, 1, 0, 0 -> mean 0.5, sd sqrt(1/3)
# Recall@5 = hits in top 5 / min(|rel|, 5): 1, 1/2, 1, 0 -> 0.625, sd sqrt(0.6875/3)
# MRR@10: 1, 1, 1/2, 0 -> 0.625 (same spread as Recall@5)
# nDCG@10: 1, 1/(1 + 1/log2 3) = 0.613147, (1/log2 3)/1 = 0.630930, 0 -> 0.561019
# AnsHit over the six answered queries; excerpts are the one-sentence passages:
# @1: q1 yes, q2 yes (quotes and case ignored), q3 no (a2 first), q4-q6 no -> 2/6
# @5: q3 yes as well (a4 second) -> 3/6
# Declined over all six: only q4, which finds nothing (q5 is refused, not declined) -> 1/6,
# sample sd sqrt(1/6).
# Interval half width = 1.96 * sample sd / sqrt(n).
EXPECTED = {
    "Recall@1": (0.5, 0.565803, 4),
    "Recall@5": (0.625, 0.469140, 4),
    "MRR@10": (0.625, 0.469140, 4),
    "nDCG@10": (0.561019, 0.406061, 4),
    "AnsHit@1 passage": (1 / 3, 0.413204, 6),
    "AnsHit@5 passage": (0.5, 0.438270, 6),
    "AnsHit@1 excerpt": (1 / 3, 0.413204, 6),
    "AnsHit@5 excerpt": (0.5, 0.438270, 6),
    "Declined": (1 / 6, 0.326667, 6),
}


def write_set(folder: Path, *, gz: bool = False) -> Path:
    """Write the tiny set as files, the way the shared eval sets are laid out."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = "".join(json.dumps(record) + "\n" for record in ARTICLES)
    if gz:
        (folder / "corpus.jsonl.gz").write_bytes(gzip.compress(corpus.encode()))
    else:
        (folder / "corpus.jsonl").write_text(corpus)
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    lines = ["query-id\tcorpus-id\tscore", *("\t".join(map(str, row)) for row in QRELS)]
    (folder / "qrels.tsv").write_text("\n".join(lines) + "\n")
    return folder


def test_eval_json_gives_the_hand_computed_figures(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every metric, its 95% interval and its query count match the figures worked out above."""
    folder = write_set(tmp_path / "tiny", gz=True)
    assert main(["eval", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["set"], report["articles"], report["queries"], report["refused"]) == (
        "tiny", 4, 6, 1,
    )  # fmt: skip
    assert list(report["metrics"]) == list(EXPECTED)
    for name, (mean, half, n) in EXPECTED.items():
        got = report["metrics"][name]
        assert got["mean"] == pytest.approx(mean, abs=2e-6), name
        assert got["ci95"] == pytest.approx(half, abs=2e-6), name
        assert got["n"] == n, name
    assert not env.exists()  # the operator's store was never opened


def test_eval_text_prints_each_metric_with_its_interval(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plain output has one line per metric: value, ± half width and query count."""
    folder = write_set(tmp_path / "tiny")
    assert main(["eval", str(folder), "--limit", "4"]) == 0
    out = capsys.readouterr().out
    assert "tiny: 4 articles" in out
    assert "4 queries, 0 refused" in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line}
    assert lines["Recall@1"] == ["0.500", "±0.566", "4"]
    assert lines["nDCG@10"] == ["0.561", "±0.406", "4"]


def corrupt(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("queries.jsonl", '{"id": "q1", "text": "ash"}\n{"id": "q2", "text"\n',
         "queries.jsonl line 2: not valid JSON"),
        ("queries.jsonl", '{"id": "q1"}\n', "queries.jsonl line 1: 'text' must be"),
        ("queries.jsonl", '{"id": "q1", "text": "ash", "answers": "x"}\n[1]\n',
         "queries.jsonl line 2: expected a JSON object"),
        ("queries.jsonl", '{"id": "q1", "text": "a", "answers": [1]}\n', "'answers' must be"),
        ("corpus.jsonl", '{"id": "a1", "text": "ash", "date": "soon"}\n', "not an ISO date"),
        ("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\ta1\n", "qrels.tsv line 2: expected"),
        ("qrels.tsv", "q1\ta1\tyes\n", "qrels.tsv line 1: the score 'yes' is not a number"),
        ("qrels.tsv", "q1\tzz\t1\n", "corpus-id 'zz' is not in corpus.jsonl"),
        ("qrels.tsv", "nope\ta1\t1\n", "query-id 'nope' is not in queries.jsonl"),
        ("corpus.jsonl.gz", "not gzip at all", "cannot read it"),
    ],
    ids=["bad-json", "no-text", "not-object", "answers-type", "bad-date", "short-qrel",
         "bad-score", "unknown-doc", "unknown-query", "bad-gzip"],
)  # fmt: skip
def test_malformed_set_is_one_line_and_exit_2(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    message: str,
) -> None:
    """A broken file names itself (and the line) in one line on stderr; nothing is printed."""
    folder = write_set(tmp_path / "tiny")
    if name.endswith(".gz"):
        (folder / "corpus.jsonl").unlink()
    corrupt(folder, name, text)
    assert main(["eval", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("briefbot: ")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("missing", ["folder", "corpus.jsonl", "queries.jsonl"])
def test_missing_set_files_are_one_line(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    """A path that is not a set says what is missing, before any set is evaluated."""
    good = write_set(tmp_path / "good")
    bad = write_set(tmp_path / "bad")
    if missing == "folder":
        bad = tmp_path / "nowhere"
    else:
        (bad / missing).unlink()
    assert main(["eval", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "no " in err or "not a folder" in err
