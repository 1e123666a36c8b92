"""IFEval ``startend:*``: an exact closing phrase, and a response wrapped in double quotes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .arguments import Check, KwargReader, RowContext, no_kwargs


def end_checker(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    """The response ends with ``end_phrase`` (case aside; a closing ``"`` is ignored)."""
    args = KwargReader(kwargs)
    phrase = args.text("end_phrase").lower()
    args.finish()
    return lambda response: response.strip().strip('"').lower().endswith(phrase)


def is_quoted(response: str) -> bool:
    text = response.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'


def quotation(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return is_quoted


INSTRUCTIONS = {
    "startend:end_checker": end_checker,
    "startend:quotation": quotation,
}
