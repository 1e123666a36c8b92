"""IFEval ``detectable_content:*``: ``[placeholder]`` count and a postscript marker."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .arguments import Check, KwargReader, RowContext, minimum_count

# IFEval's own spellings get IFEval's patterns: "P.P.S" also accepts "p. p. s", "P.S." "p. s.".
_POSTSCRIPT_PATTERNS = {
    "P.P.S": re.compile(r"p\.\s?p\.\s?s"),
    "P.S.": re.compile(r"p\.\s?s\."),
}


def count_placeholders(response: str) -> int:
    """Non-overlapping ``[...]`` within one line, as IFEval's ``\\[.*?\\]`` finds them.

    Scanned by hand so a line full of ``[`` with no ``]`` costs linear time, not quadratic.
    """
    count = 0
    position = 0
    while True:
        opening = response.find("[", position)
        if opening < 0:
            return count
        closing = response.find("]", opening + 1)
        line_end = response.find("\n", opening + 1)
        if closing < 0:
            return count
        if 0 <= line_end < closing:
            position = line_end + 1  # no "[" before this newline can close on its line
            continue
        count += 1
        position = closing + 1


def number_placeholders(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    return minimum_count(kwargs, count_placeholders, count="num_placeholders")


def postscript(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    marker = args.text("postscript_marker")
    args.finish()
    # IFEval's pattern is r"\s*<marker>.*$" on the lower-cased response: the marker
    # anywhere (its \s* and .*$ match empty), searched here without the quadratic prefix.
    pattern = _POSTSCRIPT_PATTERNS.get(marker) or re.compile(re.escape(marker.lower()))
    return lambda response: pattern.search(response.lower()) is not None


INSTRUCTIONS = {
    "detectable_content:number_placeholders": number_placeholders,
    "detectable_content:postscript": postscript,
}
