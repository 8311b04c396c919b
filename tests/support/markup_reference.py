"""The tree-editing HTML cleaner ``retrieval.loaders.markup`` used before it walked the tree.

Kept as the reference: the linear walk must give the same text on any fragment (checked with
Hypothesis in the tests) and ``bench.markup`` times the two side by side. It inserts marker
strings beside every block element, and each insertion looks the element up in its parent's
children: quadratic in the number of siblings.
"""

from __future__ import annotations

import html

from bs4 import BeautifulSoup, Tag

from retrieval.loaders.markup import _BLOCKS, _BREAK, _CELLS, _DROPPED, _PARA, _finish


def reference_html_to_text(fragment: str) -> str:
    """The old ``html_to_text``, unchanged."""
    fragment = fragment.replace(_PARA, "").replace(_BREAK, "")
    if "<" not in fragment:
        return _finish(html.unescape(fragment).replace("\n", " "))
    soup = BeautifulSoup(fragment, "html.parser")
    for dropped in soup.find_all(_DROPPED):
        dropped.decompose()
    for element in soup.find_all(True):
        if not isinstance(element, Tag):
            continue
        name = element.name.lower()
        if name == "br":
            element.replace_with(_BREAK)
        elif name in _BLOCKS:
            element.insert_before(_PARA)
            element.insert_after(_PARA)
        elif name in _CELLS:
            element.insert_after(" ")
    return _finish(soup.get_text())
