"""IFEval ``detectable_format:*``: bullets, fixed answers, highlights, sections, JSON, a title."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .arguments import Check, KwargReader, RowContext, minimum_count, no_kwargs

CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
_SINGLE_HIGHLIGHT = re.compile(r"\*[^\n*]*\*")
_DOUBLE_HIGHLIGHT = re.compile(r"\*\*[^\n*]*\*\*")
_JSON_FENCES = ("```json", "```Json", "```JSON", "```")


def _line_starts(text: str) -> Iterator[int]:
    yield 0
    position = text.find("\n")
    while position >= 0:
        yield position + 1
        position = text.find("\n", position + 1)


def count_bullets(response: str) -> int:
    """Lines IFEval counts as bullets: ``* item`` (not ``**``) and ``- item``.

    Same result as its ``^\\s*\\*[^\\*].*$`` and ``^\\s*-.*$`` (multiline) patterns, quirks
    included: leading whitespace may span blank lines, a lone ``*`` swallows the next line
    (and any bullet on it), a ``---`` rule counts. Each character is looked at once, where
    the patterns would rescan long blank runs from every line start.
    """
    length = len(response)
    stars = dashes = 0
    star_resume = 0  # where the star pattern's search goes on after its last match
    first = -1  # first non-space character reached from the latest line start
    for start in _line_starts(response):
        if start > first:
            first = start
            while first < length and response[first].isspace():
                first += 1
            if first < length and response[first] == "-":
                dashes += 1  # later line starts in the same blank run reach the same "-"
        if first >= length or start < star_resume:
            continue
        if response[first] == "*" and first + 1 < length and response[first + 1] != "*":
            stars += 1
            line_end = response.find("\n", first + 2)
            star_resume = length + 1 if line_end < 0 else line_end
    return stars + dashes


def number_bullet_lists(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    wanted = args.count("num_bullets")
    args.finish()
    return lambda response: count_bullets(response) == wanted


def constrained_response(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return lambda response: any(option in response for option in CONSTRAINED_OPTIONS)


def count_highlights(response: str) -> int:
    """``*text*`` and ``**text**`` spans with something besides spaces inside (IFEval counts both)."""
    single = sum(1 for span in _SINGLE_HIGHLIGHT.findall(response) if span.strip("*").strip())
    double = sum(1 for span in _DOUBLE_HIGHLIGHT.findall(response) if span[2:-2].strip())
    return single + double


def number_highlighted_sections(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    return minimum_count(kwargs, count_highlights, count="num_highlights")


def multiple_sections(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    splitter = args.text("section_spliter")  # sic: IFEval's spelling
    wanted = args.count("num_sections")
    args.finish()
    header = re.compile(r"\s?" + re.escape(splitter) + r"\s?\d+\s?")
    return lambda response: sum(1 for _ in header.finditer(response)) >= wanted


def strip_code_fence(response: str) -> str:
    """The response without surrounding space and a Markdown code fence, as IFEval strips it."""
    text = response.strip()
    for fence in _JSON_FENCES:
        text = text.removeprefix(fence)
    return text.removesuffix("```").strip()


def is_json(response: str) -> bool:
    """Valid JSON once surrounding space and a Markdown code fence are removed."""
    try:
        json.loads(strip_code_fence(response))
    except (ValueError, RecursionError):
        return False
    return True


def json_format(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return is_json


def has_title(response: str) -> bool:
    """A ``<<title>>`` on one line with text inside.

    IFEval's greedy ``<<[^\\n]+>>`` takes each line from its first ``<<`` to its last ``>>``,
    so ``<<a <<b>> >>`` is one title; the same span is computed here without backtracking.
    """
    for line in response.split("\n"):
        opening = line.find("<<")
        if opening < 0:
            continue
        closing = line.rfind(">>")
        if closing < opening + 3:  # [^\n]+ needs at least one character between
            continue
        if line[opening : closing + 2].lstrip("<").rstrip(">").strip():
            return True
    return False


def title(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return has_title


INSTRUCTIONS = {
    "detectable_format:number_bullet_lists": number_bullet_lists,
    "detectable_format:constrained_response": constrained_response,
    "detectable_format:number_highlighted_sections": number_highlighted_sections,
    "detectable_format:multiple_sections": multiple_sections,
    "detectable_format:json_format": json_format,
    "detectable_format:title": title,
}
