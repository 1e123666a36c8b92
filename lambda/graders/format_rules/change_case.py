"""IFEval ``change_case:*``: how many words are in capitals, or all upper / all lower case English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .arguments import Check, RowContext, compared_count, no_kwargs
from .language import is_language
from .words import count_capital_words


def capital_word_frequency(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    return compared_count(kwargs, count_capital_words, count="capital_frequency", relation="capital_relation")


def english_capital(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return lambda response: response.isupper() and is_language(response, "en")


def english_lowercase(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return lambda response: response.islower() and is_language(response, "en")


INSTRUCTIONS = {
    "change_case:capital_word_frequency": capital_word_frequency,
    "change_case:english_capital": english_capital,
    "change_case:english_lowercase": english_lowercase,
}
