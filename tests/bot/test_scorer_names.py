"""Scorer names come from one ``Literal``: the CLI, the settings and the index agree on them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest

from bot.cli import build_parser
from bot.settings import ConfigError
from bot.settings_loader import load_settings
from retrieval.bm25 import SCORERS, BM25Params, Scorer

ROOT = Path(__file__).resolve().parents[2]


def test_every_list_of_scorer_names_is_the_literal() -> None:
    """``--scorer`` choices and the settings' accepted values are exactly ``Scorer``'s names."""
    assert get_args(Scorer) == SCORERS
    option = next(a for a in build_parser()._actions if "--scorer" in a.option_strings)
    assert tuple(option.choices or ()) == SCORERS
    for name in SCORERS:
        assert load_settings(env={"BRIEFBOT_SCORER": name}).scorer == name
        assert BM25Params(scorer=name).scorer == name


def test_a_name_outside_the_literal_is_refused_everywhere(tmp_path: Path) -> None:
    """A scorer the Literal does not name fails in the settings and in the index parameters."""
    with pytest.raises(ConfigError, match="expected 'lucene' or 'okapi'"):
        load_settings(env={"BRIEFBOT_SCORER": "tfidf", "BRIEFBOT_CONFIG": ""})
    untrusted: Any = "tfidf"  # as a file or a caller outside the type checker may pass it
    with pytest.raises(ValueError, match="scorer must be 'lucene' or 'okapi'"):
        BM25Params(scorer=untrusted)


def test_no_type_ignore_is_left_for_the_scorer() -> None:
    """No line that passes a scorer silences the type checker: the Literal flows end to end."""
    offenders = []
    for folder in ("bot", "retrieval", "bench", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"scorer.*#\s*type:\s*ignore", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
