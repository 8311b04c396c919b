"""Clean text out of HTML and untidy plain text, keeping paragraph breaks.

Feeds and JSON exports carry article bodies as HTML fragments. Search and
citations need plain sentences, and the chunker needs paragraphs, so block
elements become blank lines, scripts and styles vanish, entities are decoded
and runs of whitespace collapse to one space.

The parsed tree is read in one walk that writes paragraph and line-break markers as it
goes. Editing the tree instead (inserting a marker beside each block) looks every element
up among its siblings, which made a page of many paragraphs quadratic to clean.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PageElement

# Elements whose boundaries end a paragraph. Table cells stay inline (a space)
# so a row reads as one line rather than one paragraph per cell.
# fmt: off
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot",
    "thead", "tr", "ul",
})
# fmt: on
_DROPPED = ("script", "style", "noscript", "template", "head")
_CELLS = ("td", "th")
# Only real tag names count, so "a < b > c" or "<3" in plain text is not HTML.
_TAG = re.compile(
    r"</?(?:a|abbr|b|blockquote|br|code|div|em|figure|figcaption|h[1-6]|hr|i|img|li|ol|p|pre"
    r"|script|section|small|span|strong|style|sub|sup|table|td|th|tr|u|ul|article|header"
    r"|footer|iframe|html|body|head|meta|link|noscript|picture|source|video|audio)\b[^<>]*>",
    re.IGNORECASE,
)
# Marker characters: not whitespace to ``re``'s ``\s`` and removed from input first.
_PARA = "\x00"
_BREAK = "\x01"
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def looks_like_html(text: str) -> bool:
    """Say whether ``text`` contains at least one real HTML tag."""
    return _TAG.search(text) is not None


def html_to_text(fragment: str) -> str:
    """Return the readable text of an HTML fragment, paragraphs joined by blank lines.

    A single ``<br>`` becomes a line break inside its paragraph; two in a row
    become a paragraph break, as many feeds write paragraphs that way.
    """
    fragment = fragment.replace(_PARA, "").replace(_BREAK, "")
    if "<" not in fragment:
        # No markup: BeautifulSoup would only decode entities (and warn when
        # the string looks like a URL or file name), so do that directly.
        return _finish(html.unescape(fragment).replace("\n", " "))
    soup = BeautifulSoup(fragment, "html.parser")
    return _finish(_marked_text(soup))


def _marked_text(soup: BeautifulSoup) -> str:
    """The soup's text, as ``get_text`` reads it, with paragraph and break markers.

    Iterative, so a fragment nested thousands deep cannot exhaust the stack.
    """
    # The string types get_text keeps: not comments, doctypes or <rt> ruby text.
    wanted = soup.interesting_string_types or soup.MAIN_CONTENT_STRING_TYPES
    parts: list[str] = []
    stack: list[tuple[Iterator[PageElement], str]] = [(iter(soup.contents), "")]
    while stack:
        children, closer = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            parts.append(closer)
        elif isinstance(node, NavigableString):
            if type(node) in wanted:
                parts.append(node)
        elif isinstance(node, Tag):
            name = node.name.lower()
            if name in _DROPPED:
                continue
            if name == "br":
                parts.append(_BREAK)
            elif name in _BLOCKS:
                parts.append(_PARA)
                stack.append((iter(node.contents), _PARA))
            else:
                stack.append((iter(node.contents), " " if name in _CELLS else ""))
    return "".join(parts)


def plain_title(value: str) -> str:
    """Return a title as one line of plain text, whatever markup it came with."""
    text = html_to_text(value) if looks_like_html(value) else html.unescape(value)
    return _SPACES.sub(" ", text).strip()


def normalise_text(text: str) -> str:
    """Tidy plain text: Unix newlines, no trailing spaces, paragraphs split by one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _finish(text: str) -> str:
    paragraphs: list[str] = []
    for block in text.split(_PARA):
        # Two or more breaks in a row (with only spaces between) end a paragraph.
        for chunk in re.split(rf"{_BREAK}\s*{_BREAK}[\s{_BREAK}]*", block):
            lines = (_SPACES.sub(" ", line).strip() for line in chunk.split(_BREAK))
            paragraph = "\n".join(line for line in lines if line)
            if paragraph:
                paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)
