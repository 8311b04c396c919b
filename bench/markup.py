"""How HTML cleaning scales with the number of elements: the tree walk against the old editor.

A feed entry or a JSON record of many thousand paragraphs must clean in time proportional to
its size. The reference (``tests/support/markup_reference.py``) inserted a marker beside each
block element, and each insertion searched its siblings: doubling the paragraphs quadrupled the
time. Both run here on the same fragments; the outputs are checked equal.

Run ``python -m bench.markup`` (a few minutes, nearly all of it the reference at 8,000).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.machine import machine_report, markdown_table
from retrieval.loaders.markup import html_to_text
from tests.support.markup_reference import reference_html_to_text

SIZES = (1_000, 2_000, 4_000, 8_000)


def fragment(paragraphs: int) -> str:
    """``paragraphs`` sibling paragraphs, as in a long article exported as one HTML field."""
    return "".join(f"<p>Paragraph {i} of the page.</p>" for i in range(paragraphs))


def seconds(clean: Callable[[str], str], text: str) -> tuple[float, str]:
    """Wall time of one call, and what it returned."""
    started = time.perf_counter()
    result = clean(text)
    return time.perf_counter() - started, result


def main() -> None:
    """Print the machine, then one row per size with both timings."""
    print(machine_report())
    print()
    rows = []
    for size in SIZES:
        text = fragment(size)
        new, new_text = seconds(html_to_text, text)
        old, old_text = seconds(reference_html_to_text, text)
        if new_text != old_text:
            raise SystemExit(f"outputs differ at {size} paragraphs")
        rows.append((f"{size:,}", f"{len(text) / 1e6:.2f} MB", f"{old:.2f} s", f"{new:.2f} s",
                     f"{old / new:.0f}x"))  # fmt: skip
    print(markdown_table(("<p> elements", "size", "old (tree edits)", "walk", "speed-up"), rows))


if __name__ == "__main__":
    main()
