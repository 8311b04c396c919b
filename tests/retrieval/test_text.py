"""Tests for ``retrieval.text``: normalisation, stopwords, stemming and term spans."""

from __future__ import annotations

import re
import unicodedata
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.stem.snowball import SnowballStemmer

from retrieval import text as text_module
from retrieval.text import LANGUAGES, Analyzer, load_stopwords, normalise

# Characters that make normalisation change lengths, merge or split tokens.
TRICKY = (
    "ﬁﬂﬀ"  # ligatures
    "ＡＢｃ１２"  # full-width
    "e\u0301a\u0308\u0301\u0345"  # combining marks, including one that casefolds
    "İıßẞΣσς"  # Turkish I, sharp s, Greek sigma
    "½①⑴™℃㎏…"  # compatibility characters that expand
    "שלום مرحبا"  # RTL
    "😀👍🏽\u200d\u200b"  # emoji, joiners
    "\u00a0\u2029\r\n\t _-'’.,"  # spaces and punctuation
    "abcXYZ019"
)
tricky_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=60)
any_text = st.one_of(st.text(max_size=80), tricky_text)


@pytest.fixture(scope="module")
def english() -> Analyzer:
    """One English analyzer shared by the module (its stem cache is safe to share)."""
    return Analyzer("english")


def reference_terms(analyzer: Analyzer, text: str) -> list[str]:
    """The definition of terms, spelled out without the cache or the ASCII shortcut."""
    normalised = unicodedata.normalize("NFKC", text).replace("\u0130", "i").casefold()
    stemmer = SnowballStemmer(analyzer.language)
    tokens = re.findall(r"[^\W_]+", normalised)
    return [stemmer.stem(token) for token in tokens if token not in analyzer.stopwords]


def test_languages_are_snowball_without_porter() -> None:
    """LANGUAGES lists every data-free Snowball stemmer except the Porter alias."""
    assert set(LANGUAGES) == set(SnowballStemmer.languages) - {"porter"}
    assert "english" in LANGUAGES


def test_english_stopwords_are_nltk_list() -> None:
    """The shipped English list has NLTK's 179 words, contractions included."""
    words = load_stopwords("english")
    assert len(words) == 179
    assert {"the", "of", "and", "don't", "wouldn't", "ma", "ourselves"} <= words
    assert "weapon" not in words


@pytest.mark.parametrize(
    "path",
    sorted(
        entry.name
        for entry in resources.files("retrieval").joinpath("data", "stopwords").iterdir()
        if entry.name.endswith(".txt")
    ),
)
def test_every_stopword_file_is_a_language(path: str) -> None:
    """Each shipped list is named for a supported language and is lowercase words."""
    language = path.removesuffix(".txt")
    assert language in LANGUAGES
    words = load_stopwords(language)
    assert len(words) > 50
    assert all(word == word.lower() and not word.isspace() and " " not in word for word in words)


@pytest.mark.parametrize(
    "language",
    [
        "dutch",
        "english",
        "french",
        "german",
        "italian",
        "norwegian",
        "portuguese",
        "russian",
        "spanish",
        "swedish",
    ],
)
def test_stopwords_match_the_bm25s_copy_of_nltk(language: str) -> None:
    """Shipped lists equal the NLTK lists that bm25s vendors (a reference when installed)."""
    stopwords = pytest.importorskip("bm25s.stopwords")
    name = "STOPWORDS_EN_PLUS" if language == "english" else f"STOPWORDS_{language.upper()}"
    assert load_stopwords(language) == frozenset(getattr(stopwords, name))


@pytest.mark.parametrize("language", ["finnish", "klingon", "../stopwords/english", ""], ids=str)
def test_missing_stopword_list_is_empty(language: str) -> None:
    """A language with no shipped file, or a name that is not a plain word, has no stopwords."""
    assert load_stopwords(language) == frozenset()


def test_unknown_language_names_the_supported_ones() -> None:
    """Asking for a stemmer nltk lacks raises ValueError listing what is available."""
    with pytest.raises(ValueError, match=r"klingon.*english"):
        Analyzer("klingon")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Weapons for Ukraine", ["weapon", "ukrain"]),
        ("The weapons of the army", ["weapon", "armi"]),
        ("WEAPONS weapon Weapon's", ["weapon", "weapon", "weapon"]),
        ("don't won't", []),
        ("wills", ["will"]),
        ("snake_case and kebab-case", ["snake", "case", "kebab", "case"]),
        ("$11.1bn in 2022", ["11", "1bn", "2022"]),
        ("ﬁnance", ["financ"]),
        ("Ｗｅａｐｏｎｓ", ["weapon"]),
        ("İstanbul", ["istanbul"]),
        ("cafe\u0301 café", ["café", "café"]),
        ("Brand™", ["brandtm"]),
        ("😀 &amp; <b>weapons</b>", ["amp", "b", "weapon", "b"]),
        ("", []),
        ("   ", []),
    ],
    ids=[
        "stem",
        "stopwords",
        "case",
        "contractions",
        "stopword-is-unstemmed",
        "underscore-hyphen",
        "numbers",
        "ligature",
        "full-width",
        "turkish-i",
        "combining-accent",
        "compatibility",
        "markup",
        "empty",
        "blank",
    ],
)
def test_terms_examples(english: Analyzer, text: str, expected: list[str]) -> None:
    """terms() normalises, drops stopwords before stemming and stems the rest."""
    assert english.terms(text) == expected


def test_custom_stopwords_are_normalised() -> None:
    """Caller stopwords are folded like tokens, so "Weapons" drops "WEAPONS"."""
    analyzer = Analyzer("english", stopwords=frozenset({"Weapons"}))
    assert analyzer.stopwords == frozenset({"weapons"})
    assert analyzer.terms("WEAPONS the weapon") == ["the", "weapon"]
    assert analyzer.is_stopword("wEaPoNs")


def test_german_stopwords_match_either_spelling() -> None:
    """German "daß" and "dass" are both stopwords once folded; content words stem."""
    german = Analyzer("german")
    assert german.terms("Daß dass und Waffen") == ["waff"]


def test_language_without_stopword_list_keeps_every_word() -> None:
    """Finnish ships no list, so common words stay searchable."""
    finnish = Analyzer("finnish")
    assert finnish.stopwords == frozenset()
    assert "ja" in finnish.terms("kissa ja koira")


@given(any_text)
@settings(max_examples=300, deadline=None)
def test_terms_match_reference(text: str) -> None:
    """The cached fast path equals the definition computed from scratch."""
    analyzer = Analyzer("english")
    assert analyzer.terms(text) == reference_terms(analyzer, text)
    assert analyzer.terms(text) == reference_terms(analyzer, text)  # warm cache


@given(any_text)
@settings(max_examples=300, deadline=None)
def test_term_spans_agree_with_terms(text: str) -> None:
    """term_spans gives the same terms as terms(), with ordered, valid spans."""
    analyzer = Analyzer("english")
    pairs = analyzer.term_spans(text)
    assert [term for term, _ in pairs] == analyzer.terms(text)
    starts = [span.start for _, span in pairs]
    assert starts == sorted(starts)
    for _, span in pairs:
        assert 0 <= span.start < span.end <= len(text)


@given(any_text, st.sets(st.sampled_from(["weapon", "kyiv", "caf", "1", "e", "straße"])))
@settings(max_examples=300, deadline=None)
def test_term_spans_only_keeps_the_terms_asked_for(text: str, only: set[str]) -> None:
    """``term_spans(text, only)`` is ``term_spans(text)`` without the terms not in ``only``."""
    analyzer = Analyzer("english")
    text += " Weapons from Kyiv, 1 Straße café."
    every = analyzer.term_spans(text)
    assert analyzer.term_spans(text, only) == [pair for pair in every if pair[0] in only]


@given(tricky_text)
@settings(max_examples=300, deadline=None)
def test_term_spans_cover_their_source(text: str) -> None:
    """Each span, normalised on its own, contains the token the term was stemmed from."""
    analyzer = Analyzer("english", stopwords=frozenset())
    stemmer = SnowballStemmer("english")
    for term, span in analyzer.term_spans(text):
        tokens = re.findall(r"[^\W_]+", normalise(span.slice(text)))
        assert term in {stemmer.stem(token) for token in tokens}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Weapons, weapons!", ["Weapons", "weapons"]),
        ("The ﬁnal ﬁnal", ["ﬁnal", "ﬁnal"]),
        ("Ｆｕｌｌ width", ["Ｆｕｌｌ", "width"]),
        ("cafe\u0301 bar", ["cafe\u0301", "bar"]),
        ("ΟΔΟΣ שלום 😀 war", ["ΟΔΟΣ", "שלום", "war"]),
        ("½ cup", ["½", "½", "cup"]),
    ],
    ids=["ascii", "ligature", "full-width", "combining", "greek-rtl-emoji", "fraction-splits"],
)
def test_term_spans_slice_the_original(english: Analyzer, text: str, expected: list[str]) -> None:
    """Spans point at the un-normalised characters each term came from."""
    assert [span.slice(text) for _, span in english.term_spans(text)] == expected


def test_stem_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the limit the cache starts afresh, and answers stay correct."""
    monkeypatch.setattr(text_module, "_CACHE_LIMIT", 10)
    analyzer = Analyzer("english", stopwords=frozenset())
    for batch in range(6):
        words = " ".join(f"word{batch}x{i}" for i in range(4))
        assert analyzer.terms(words) == reference_terms(analyzer, words)
        assert len(analyzer._cache) <= 10


def test_term_spans_when_jamo_compose_across_clusters(english: Analyzer) -> None:
    """Hangul jamo that compose into one syllable still map back to their characters."""
    text = "\u1100\u1161 weapons"
    assert [(term, span.slice(text)) for term, span in english.term_spans(text)] == [
        ("가", "\u1100\u1161"),
        ("weapon", "weapons"),
    ]


def test_term_spans_last_resort_spreads_offsets(
    english: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If no segmentation reproduces the normalised text, spans are still valid and ordered."""
    monkeypatch.setattr(text_module, "_words", text_module._clusters)
    text = "\u1100\u1161 ﬁne weapons"
    pairs = english.term_spans(text)
    assert [term for term, _ in pairs] == english.terms(text)
    assert all(0 <= span.start < span.end <= len(text) for _, span in pairs)
    assert [span.start for _, span in pairs] == sorted(span.start for _, span in pairs)


@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=80), any_text))
@settings(max_examples=300, deadline=None)
def test_identity_fast_path_matches_mapped_path(text: str) -> None:
    """Spans from the identity shortcut agree with those the character map gives.

    Appending " ﬁ" changes the text under NFKC, forcing the mapped path, while
    leaving every earlier term as it was. The map may start a span earlier, at
    the base of a combining mark that casefolds to a letter (":\u0345" -> ":ι").
    """
    analyzer = Analyzer("english")
    fast = analyzer.term_spans(text)
    mapped = analyzer.term_spans(text + " ﬁ")[:-1]
    assert [term for term, _ in mapped] == [term for term, _ in fast]
    for (_, quick), (_, slow) in zip(fast, mapped, strict=True):
        assert slow.start <= quick.start < quick.end == slow.end
