"""Does the excerpt of result 1 hold the answer? The answer-bearing window beside the old picker.

For every question of ``rtqa_news_2024`` and ``rtqa_evidence_dev`` the engine ranks as the
bot does (``diversify``, k=10) and result 1 is cited twice from the same ranking:

- **before**: the old picker, ``retrieval.highlight.excerpt``: the best sentence of the
  passage that ranked (what ``cite`` quoted until the window chooser replaced it);
- **after**: ``retrieval.ranking.cite``: the one-to-three-sentence window of the article's
  best passages that answers (``retrieval.windows``).

AnsHit@1 is scored on the excerpt and on the passage it came from, with the README's rules:
on ``rtqa_news_2024`` after NFKC, case folding, removing quote characters and collapsing
whitespace, word-bounded where the answer starts or ends with a letter or digit; on
``rtqa_evidence_dev`` word-bounded and case-insensitive (``retrieval.eval_metrics.answer_hit``).
Question dates are ignored: the engine has no ``as_of`` yet. Answers are read only here,
for scoring. The weights were set on the even-numbered questions of ``rtqa_news_2024``
(in file order) and are checked on the odd ones and on ``rtqa_evidence_dev``; ``--weights``
scores another setting.

Citing costs time only for the page shown: the last table times citing a page of five hits
on the same rankings three ways cold, each starting with Punkt's paragraph cache and the
chooser's sentence cache empty: the old picker, the window chooser scoring every window
(``retrieval.window_reference.choose_reference``, as last round) and the window chooser as it is
(``choose``: the same windows, fewer scored); then a fourth time warm, the chooser as it is
citing the same page again (a page many readers ask for). The excerpts of the chooser runs
are compared on every question, and the run stops if they differ.

What "cold" keeps: every cache keyed by a passage's or a question's text is emptied before
each citer (Punkt's paragraphs, the chooser's sentences and terms, the question's kind and
words). The analyzer's word-to-stem table is not: it is process-wide, as in a bot that has
been answering for a while, so a citer stems only words no earlier citer of the run has
met, and whichever citer runs first on a question pays for that question's new words
(hence the alternating order). Compiled kernels are compiled before the first question.

    python -m bench.excerpts [--sets rtqa_news_2024,rtqa_evidence_dev] [--quick]
        [--weights answer=1.0,novelty=0.1,length=0.2,lead=0.2] [--misses 40]
"""

from __future__ import annotations

import argparse
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import numpy as np

from bench.corpus import read_jsonl
from bench.machine import latency, machine_report, markdown_table, need_eval
from retrieval.engine import Engine
from retrieval.eval_metrics import answer_hit
from retrieval.eval_sets import read_set
from retrieval.models import Hit, Passage
from retrieval.text import Analyzer

SETS = ("rtqa_news_2024", "rtqa_evidence_dev")
CITERS = ("old", "new, every window", "new", "new, warm")
PAGE = 5
QUOTES = str.maketrans("", "", "'\"‘’“”`")  # the README's quote characters


@dataclass(frozen=True, slots=True)
class Question:
    """One question and its answer strings (for scoring only)."""

    id: str
    text: str
    answers: tuple[str, ...]


def load_news() -> tuple[list[object], list[Question]]:
    """``rtqa_news_2024`` as ``Article`` records and questions (it has no qrels to filter by)."""
    from retrieval.models import Article

    folder = need_eval() / "rtqa_news_2024"
    records = list(read_jsonl(folder / "corpus.jsonl.gz"))
    url_count = Counter(str(r.get("url") or "") for r in records)
    articles: list[object] = []
    for r in records:
        url = str(r.get("url") or "")
        date = datetime.fromisoformat(str(r["date"])) if r.get("date") else None
        kept = url if url and url_count[url] == 1 else None
        title, text = str(r.get("title") or ""), str(r["text"])
        articles.append(Article(title, text, date=date, url=kept, id=str(r["id"])))
    questions = [
        Question(str(q["id"]), str(q["text"]), tuple(str(a) for a in q["answers"]))  # type: ignore[attr-defined]
        for q in read_jsonl(folder / "queries.jsonl")
    ]
    return articles, questions


def load(name: str) -> tuple[list[object], list[Question]]:
    """Articles and questions of one set."""
    if name == "rtqa_news_2024":
        return load_news()
    data = read_set(need_eval() / name)
    questions = [Question(q.id, q.text, q.answers) for q in data.queries]
    return list(data.articles), questions


def _normal(text: str) -> str:
    """The README's matching form: NFKC, casefolded, quotes removed, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().translate(QUOTES).split())


def news_hit(answers: Sequence[str], text: str) -> float:
    """1.0 if an answer occurs in ``text`` under the README's ``rtqa_news_2024`` rules."""
    haystack = _normal(text)
    for answer in map(_normal, answers):
        if not answer:
            continue
        before = r"(?<!\w)" if answer[0].isalnum() else ""
        after = r"(?!\w)" if answer[-1].isalnum() else ""
        if re.search(before + re.escape(answer) + after, haystack):
            return 1.0
    return 0.0


def interval(values: Sequence[float]) -> str:
    """``mean ± 1.96·sd/√n``."""
    array = np.asarray(values, dtype=np.float64)
    half = 1.96 * array.std(ddof=1) / math.sqrt(array.size) if array.size > 1 else 0.0
    return f"{array.mean():.3f} ± {half:.3f}"


def evaluate(name: str, tuning: object, limit: int, misses: int = 0) -> dict[str, object]:
    """Rank every question once; score result 1's old and new excerpt; time the citers.

    With ``misses``, print that many questions where a passage the chooser looked at holds
    the answer but the excerpt does not (``show_miss``).
    """
    from retrieval import ranking
    from retrieval.answers import asked_words, question_kind
    from retrieval.engine import Engine
    from retrieval.errors import QueryError
    from retrieval.fast_punkt import punkt_spans
    from retrieval.highlight import excerpt
    from retrieval.ranking import cite, diversify
    from retrieval.window_parts import passage_terms, split_with_terms
    from retrieval.window_reference import choose_reference
    from retrieval.window_scores import Weights
    from retrieval.windows import choose

    assert isinstance(tuning, Weights)
    articles, questions = load(name)
    if limit:
        questions = questions[:limit]
    score: Callable[[Sequence[str], str], float] = (
        news_hit if name == "rtqa_news_2024" else lambda a, text: float(answer_hit(a, [text]))
    )
    engine = Engine.open(":memory:")
    engine.ingest(articles)  # type: ignore[arg-type]
    index, owners, store = engine._snapshot.index, engine._snapshot.owners, engine._store
    columns: dict[str, list[float]] = {k: [] for k in ("old", "passage", "new", "new passage")}
    other_passage = shown = 0
    old_s: list[float] = []
    new_s: list[float] = []
    every_s: list[float] = []
    warm_s: list[float] = []
    cpu: dict[int, list[float]] = {0: [], 1: [], 2: [], 3: []}  # the thread's own time per citer
    cited: dict[int, list[Hit]] = {}
    for question in questions:
        try:
            terms = engine.query_terms(question.text)
        except QueryError:
            terms = []
        ranked = diversify(index, owners, terms, 10).passages if terms else []
        if not ranked:
            for column in columns.values():
                column.append(0.0)
            continue
        page = ranked[:PAGE]
        # Each citer starts cold (Punkt's paragraph cache and the question's emptied), each
        # first in turn.
        order = [0, 1, 2] if len(old_s) % 2 else [2, 1, 0]
        for step in order:
            punkt_spans.cache_clear()
            split_with_terms.cache_clear()
            passage_terms.cache_clear()
            question_kind.cache_clear()
            asked_words.cache_clear()
            tick, tock = time.perf_counter(), time.thread_time()
            if step == 0:
                passages = store.passages([pid for pid, _ in page])
                store.articles(list({p.article_id for p in passages}))
                weights = {term: index.idf(term) for term in set(terms)}
                spans = [excerpt(p.text, weights, engine._analyzer, weights) for p in passages]
                old_s.append(time.perf_counter() - tick)
                cpu[0].append(time.thread_time() - tock)
            else:
                ranking.choose = choose_reference if step == 1 else choose  # type: ignore[assignment]
                cited[step] = cite(
                    store, engine._analyzer, index, question.text, terms, page, 1, tuning=tuning
                )
                (every_s if step == 1 else new_s).append(time.perf_counter() - tick)
                cpu[step].append(time.thread_time() - tock)
                ranking.choose = choose  # type: ignore[assignment]
        # The same page again, every cache warm: what a page read often costs.
        tick, tock = time.perf_counter(), time.thread_time()
        cited[3] = cite(
            store, engine._analyzer, index, question.text, terms, page, 1, tuning=tuning
        )
        warm_s.append(time.perf_counter() - tick)
        cpu[3].append(time.thread_time() - tock)
        if not cited[1] == cited[2] == cited[3]:
            raise SystemExit(f"bench: the fast chooser quoted otherwise on {question.id}")
        first, top = passages[0], cited[2][0]
        columns["old"].append(score(question.answers, spans[0][0].slice(first.text)))
        columns["passage"].append(score(question.answers, first.text))
        columns["new"].append(score(question.answers, top.excerpt))
        columns["new passage"].append(score(question.answers, top.passage.text))
        other_passage += top.passage.id != first.id
        if shown < misses and not columns["new"][-1]:
            seen = looked_at(engine, question.text, terms, page[0], tuning)
            shown += show_miss(question, seen, engine._analyzer, tuning, score)
    engine.close()
    return {
        "set": name,
        "columns": columns,
        "other": other_passage,
        "old": latency(old_s),
        "new, every window": latency(every_s),
        "new": latency(new_s),
        "new, warm": latency(warm_s),
        "cpu": {label: latency(cpu[step]) for step, label in enumerate(CITERS)},
    }


def looked_at(
    engine: Engine, query: str, terms: Sequence[str], ranked: tuple[int, float], tuning: object
) -> tuple[Sequence[Passage], Mapping[str, float]]:
    """The passages and term weights the chooser looks at for one hit (cited again, untimed)."""
    from retrieval import ranking
    from retrieval.window_scores import Weights
    from retrieval.windows import choose

    assert isinstance(tuning, Weights)
    seen: list[tuple[Sequence[Passage], Mapping[str, float]]] = []

    def spy(question: str, passages: Sequence[Passage], weights: Mapping[str, float],
            *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        seen.append((passages, weights))
        return choose(question, passages, weights, *args, **kwargs)

    ranking.choose = spy
    try:
        snapshot = engine._snapshot
        ranking.cite(engine._store, engine._analyzer, snapshot.index, query, terms, [ranked], 1,
                     tuning=tuning)  # fmt: skip
    finally:
        ranking.choose = choose
    return seen[0]


def show_miss(
    question: Question,
    looked_at: tuple[Sequence[Passage], Mapping[str, float]],
    analyzer: Analyzer,
    tuning: object,
    score: Callable[[Sequence[str], str], float],
) -> int:
    """Print the window quoted and the best window holding the answer; 1 if shown, else 0.

    A question is shown only when a passage the chooser looked at holds the answer.
    """
    from retrieval.answers import question_kind
    from retrieval.window_reference import every_window
    from retrieval.window_scores import Weights

    assert isinstance(tuning, Weights)
    passages, weights = looked_at
    if not any(score(question.answers, p.text) for p in passages):
        return 0
    windows = list(every_window(question.text, passages, weights, analyzer, tuning=tuning))
    chosen = max(windows, key=lambda w: w.value)  # max() keeps the first of equals, as choose
    holding = [w for w in windows if score(question.answers, w.span.slice(w.passage.text))]
    print(f"\n{question.id}: {question.text}  answers={list(question.answers)}"
          f"  kind={question_kind(question.text)}")  # fmt: skip
    for label, window in (("quoted", chosen), ("answer", max(holding, key=lambda w: w.value)
                                                if holding else None)):  # fmt: skip
        if window is None:
            print("  answer: in a passage looked at, but in no window (cut or across windows)")
            continue
        text = window.passage.text
        found = [a.slice(text) for a in window.answers]
        print(f"  {label}: passage {window.passage.ordinal}, value {window.value:.3f},"
              f" candidates {found[:6]}")  # fmt: skip
        print(f"    {' '.join(window.span.slice(text).split())}")
    return 1


def rows_of(result: dict[str, object]) -> list[list[object]]:
    """Table rows for one set; ``rtqa_news_2024`` also by half (even: tuning, odd: held out)."""
    columns: dict[str, list[float]] = result["columns"]  # type: ignore[assignment]
    name = str(result["set"])
    parts = [(name, slice(None))]
    if name == "rtqa_news_2024":
        parts += [(f"{name} even (tuning)", slice(0, None, 2))]
        parts += [(f"{name} odd (held out)", slice(1, None, 2))]
    rows = []
    for label, part in parts:
        cells = [interval(values[part]) for values in columns.values()]
        rows.append([label, len(columns["old"][part]), *cells])
    rows[0].append(result["other"])
    for row in rows[1:]:
        row.append("")
    return rows


def parse_weights(text: str) -> object:
    """``answer=0.6,novelty=0.1`` over the defaults of ``retrieval.window_scores.Weights``."""
    from retrieval.window_scores import Weights

    names = {f.name: f.type for f in fields(Weights)}
    changes: dict[str, float | int] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if key not in names:
            raise SystemExit(f"bench: unknown weight {key!r}; known: {', '.join(names)}")
        try:
            changes[key] = int(value) if key == "novelty_words" else float(value)
        except ValueError:
            raise SystemExit(f"bench: weight {key} needs a number, got {value!r}") from None
    try:
        return replace(Weights(), **changes)  # type: ignore[arg-type]
    except ValueError as error:  # a negative weight
        raise SystemExit(f"bench: {error}") from None


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, evaluate each set and print the Markdown report."""
    parser = argparse.ArgumentParser(prog="python -m bench.excerpts", description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated eval sets")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 questions per set")
    parser.add_argument("--weights", default="", help="window weights, e.g. answer=1.0,lead=0.2")
    parser.add_argument(
        "--misses", type=int, default=0, metavar="N",
        help="print N questions per set whose excerpt misses an answer a passage looked at holds",
    )  # fmt: skip
    args = parser.parse_args(argv)
    tuning = parse_weights(args.weights)
    print("## Excerpts: does result 1's excerpt hold the answer? (AnsHit@1, 95% intervals)\n")
    print(machine_report() + "\n")
    print(f"window weights: {tuning}\n")
    limit = 200 if args.quick else 0
    results = [evaluate(name, tuning, limit, args.misses) for name in args.sets.split(",")]
    headers = ("set", "questions", "before: excerpt", "before: passage", "after: excerpt",
               "after: its passage", "from another passage")  # fmt: skip
    print(markdown_table(headers, [row for r in results for row in rows_of(r)]))
    print(
        "\nbefore = the old picker (best sentence of the passage that ranked); after = the"
        " answer-bearing window. Same ranking both ways.\n"
    )
    timing = []
    for r in results:
        for label in CITERS:
            stats, own = r[label], r["cpu"][label]  # type: ignore[index]
            timing.append([r["set"], label, f"{stats.p50_ms:.2f}", f"{stats.p99_ms:.2f}",  # type: ignore[attr-defined]
                           f"{own.p50_ms:.2f}", f"{own.mean_ms:.2f}"])  # type: ignore[attr-defined]  # fmt: skip
    print(f"Citing a page of {PAGE} hits (store reads included), ms. CPU time is the thread's")
    print("own, which waiting for a core on a shared machine does not inflate:\n")
    headers = ("set", "citer", "p50", "p99", "CPU p50", "CPU mean")
    print(markdown_table(headers, timing))


if __name__ == "__main__":
    main()
