"""Every supported IFEval instruction id, mapped to the builder of its check."""

from __future__ import annotations

from types import MappingProxyType

from . import (
    change_case,
    combination,
    detectable_content,
    detectable_format,
    keywords,
    language,
    length,
    punctuation,
    startend,
)
from .arguments import Builder

_FAMILIES = (
    keywords,
    language,
    length,
    detectable_content,
    detectable_format,
    combination,
    change_case,
    startend,
    punctuation,
)

INSTRUCTIONS: MappingProxyType[str, Builder] = MappingProxyType(
    {instruction_id: builder for family in _FAMILIES for instruction_id, builder in family.INSTRUCTIONS.items()}
)
