"""IFEval ``length_constraints:*``: sentences, paragraphs, words, the nth paragraph's first word."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .arguments import BadKwargs, Check, KwargReader, RowContext, compared_count
from .sentences import count_sentences
from .words import count_words

_MARKDOWN_DIVIDER = re.compile(r"\s?\*\*\*\s?")
_FIRST_WORD_STOP = frozenset(".,?!'\"")


def number_sentences(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    return compared_count(kwargs, count_sentences, count="num_sentences", relation="relation")


def number_words(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    return compared_count(kwargs, count_words, count="num_words", relation="relation")


def count_divided_paragraphs(response: str) -> int | None:
    """Paragraphs separated by ``***``; None when one between two dividers is empty."""
    paragraphs = _MARKDOWN_DIVIDER.split(response)
    count = len(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        if not paragraph.strip():
            if index in (0, len(paragraphs) - 1):
                count -= 1  # a divider may open or close the response
            else:
                return None
    return count


def number_paragraphs(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    wanted = args.count("num_paragraphs")
    args.finish()
    return lambda response: count_divided_paragraphs(response) == wanted


def _first_word(paragraph: str) -> str:
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    letters = []
    for letter in word:
        if letter in _FIRST_WORD_STOP:
            break
        letters.append(letter.lower())
    return "".join(letters)


def nth_paragraph_first_word(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    wanted_paragraphs = args.count("num_paragraphs")
    nth = args.count("nth_paragraph")
    first_word = args.text("first_word").lower()
    args.finish()
    if not 1 <= nth <= wanted_paragraphs:
        raise BadKwargs(f"nth_paragraph must be between 1 and num_paragraphs ({wanted_paragraphs}), got {nth}")

    def check(response: str) -> bool:
        # Paragraphs are separated by a blank line ("\n\n"); IFEval indexes the raw split
        # while counting only non-empty pieces, and so does this.
        paragraphs = response.split("\n\n")
        count = sum(1 for paragraph in paragraphs if paragraph.strip())
        if nth > count:
            return False
        paragraph = paragraphs[nth - 1].strip()
        if not paragraph:
            return False
        return count == wanted_paragraphs and _first_word(paragraph) == first_word

    return check


INSTRUCTIONS = {
    "length_constraints:number_sentences": number_sentences,
    "length_constraints:number_paragraphs": number_paragraphs,
    "length_constraints:number_words": number_words,
    "length_constraints:nth_paragraph_first_word": nth_paragraph_first_word,
}
