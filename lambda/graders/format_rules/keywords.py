"""IFEval ``keywords:*``: words that must appear, how often, words that must not, letter counts.

IFEval passes keywords to ``re`` as patterns; here they are matched as literal text (the
same result for every plain word, and no surprises from ``C++`` or ``U.S.``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .arguments import BadKwargs, Check, KwargReader, RowContext


def existence(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    patterns = [re.compile(re.escape(word), re.IGNORECASE) for word in args.text_list("keywords")]
    args.finish()
    return lambda response: all(pattern.search(response) for pattern in patterns)


def frequency(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    pattern = re.compile(re.escape(args.text("keyword")), re.IGNORECASE)
    wanted = args.count("frequency")
    compare = args.relation("relation")
    args.finish()
    return lambda response: compare(len(pattern.findall(response)), wanted)


def forbidden_words(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    words = sorted(set(args.text_list("forbidden_words")))
    args.finish()
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b", re.IGNORECASE)
    return lambda response: pattern.search(response) is None


def letter_frequency(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    letter = args.text("letter")
    if len(letter) != 1:
        raise BadKwargs(f"kwarg 'letter' must be a single character, got {letter!r}")
    letter = letter.lower()
    wanted = args.count("let_frequency")
    compare = args.relation("let_relation")
    args.finish()
    return lambda response: compare(response.lower().count(letter), wanted)


INSTRUCTIONS = {
    "keywords:existence": existence,
    "keywords:frequency": frequency,
    "keywords:forbidden_words": forbidden_words,
    "keywords:letter_frequency": letter_frequency,
}
