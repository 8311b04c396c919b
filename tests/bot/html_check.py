"""A strict checker for Telegram's HTML parse mode, used on every reply the tests see."""

from __future__ import annotations

from html.parser import HTMLParser

ALLOWED = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler"}
ENTITIES = {"lt", "gt", "amp", "quot"}
LIMIT = 4096


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.problems.append(f"tag <{tag}> is not allowed")
        names = [name for name, _ in attrs]
        expected = ["href"] if tag == "a" else []
        if names != expected:
            self.problems.append(f"<{tag}> has attributes {names}, expected {expected}")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/> is not Telegram HTML")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> does not close {self.stack[-1:] or 'anything'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for char in "<>&":
            if char in data:
                self.problems.append(f"unescaped {char!r} in {data[:40]!r}")

    def handle_entityref(self, name: str) -> None:
        if name not in ENTITIES:
            self.problems.append(f"entity &{name}; is not supported")

    def handle_charref(self, name: str) -> None:
        try:
            int(name[1:], 16) if name[:1] in "xX" else int(name)
        except ValueError:
            self.problems.append(f"malformed character reference &#{name};")

    def handle_comment(self, data: str) -> None:
        self.problems.append("comments are not Telegram HTML")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")


def html_problems(text: str) -> list[str]:
    """Everything that would make Telegram reject ``text`` in HTML mode (empty if valid)."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    problems = list(checker.problems)
    if checker.rawdata:
        problems.append(f"unparsed trailing text {checker.rawdata[:40]!r}")
    if checker.stack:
        problems.append(f"unclosed tags {checker.stack}")
    if not text.strip():
        problems.append("empty message")
    if len(text.encode("utf-16-le")) // 2 > LIMIT:
        problems.append(f"{len(text)} characters, over {LIMIT}")
    return problems
