"""Parse modes as Telegram applies them: markup is checked, then removed from the shown text.

A bot that sends broken HTML or unescaped MarkdownV2 gets "can't parse entities" from Telegram;
the stand-in raises the same error so such bugs show up offline, not in production.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}  # fmt: skip
MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")


class FormattingError(ValueError):
    """The text does not parse in its parse mode; the message is Telegram's wording."""


def strip_markup(text: str, parse_mode: str | None) -> str:
    """The text a user sees, or FormattingError as Telegram would refuse it."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text
    if mode == "html":
        return _strip_html(text)
    if mode == "markdownv2":
        return _strip_markdown_v2(text)
    if mode == "markdown":
        return _strip_markdown(text)
    raise FormattingError(f"unsupported parse_mode {parse_mode!r}")


class _HTMLStripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise FormattingError(f'Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise FormattingError(f'Unexpected end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _strip_html(text: str) -> str:
    stripper = _HTMLStripper()
    stripper.feed(text)
    stripper.close()
    if stripper.open:
        raise FormattingError(
            f'Can\'t find end tag corresponding to start tag "{stripper.open[-1]}"'
        )
    return html.unescape("".join(stripper.parts))


def _strip_markdown_v2(text: str) -> str:
    out: list[str] = []
    open_marks: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        pair = text[index : index + 2]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
            continue
        if open_marks[-1:] == ["`"] and char != "`":  # code: only ` and \ are special
            out.append(char)
            index += 1
            continue
        if pair in ("__", "||"):
            _toggle(open_marks, pair)
            index += 2
            continue
        if char in "*_~`":
            _toggle(open_marks, char)
            index += 1
            continue
        if char == "[":
            _toggle(open_marks, "[")
        elif char == "]" and open_marks[-1:] == ["["]:
            open_marks.pop()
            if text.startswith("(", index + 1):
                end = text.find(")", index + 2)
                if end < 0:
                    raise FormattingError("Can't find end of a URL")
                index = end + 1
                continue
        elif char == ">" and (index == 0 or text[index - 1] == "\n"):
            pass
        elif char in MARKDOWN_V2_RESERVED:
            raise FormattingError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.append(char)
        index += 1
    if open_marks:
        raise FormattingError(f"Can't find end of the entity starting with '{open_marks[-1]}'")
    return "".join(out)


def _strip_markdown(text: str) -> str:
    out: list[str] = []
    open_marks: list[str] = []
    for char in text:
        if char in "*_`":
            _toggle(open_marks, char)
        elif char not in "[]":
            out.append(char)
    if open_marks:
        raise FormattingError(f"Can't find end of the entity starting with '{open_marks[-1]}'")
    return "".join(out)


def _toggle(open_marks: list[str], mark: str) -> None:
    if open_marks and open_marks[-1] == mark:
        open_marks.pop()
    else:
        open_marks.append(mark)
