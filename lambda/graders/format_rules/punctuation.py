"""IFEval ``punctuation:no_comma``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .arguments import Check, RowContext, no_kwargs


def no_comma(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return lambda response: "," not in response


INSTRUCTIONS = {
    "punctuation:no_comma": no_comma,
}
