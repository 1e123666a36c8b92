"""The reference answer(s) of an item, whatever JSON shape the dataset gave them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..contract import ItemError
from .extract import MAX_ANSWER_CHARS, extract_final_answer

_MARKED = re.compile(r"\\boxed|\\fbox|####|<answer>|answer", re.IGNORECASE)
# Keys under which an object reference_answer holds the answer itself ("text": AWS's open-weight GSM8K sample
# stores {"text": "<worked solution> #### 72"}).
ANSWER_KEYS = (
    "answer",
    "final_answer",
    "reference_answer",
    "ground_truth",
    "expectedAnswer",
    "expected_answer",
    "solution",
    "value",
    "expected",
    "text",
)
# Item fields (top level or metadata, read through ``Sample.field``) that may hold the reference
# when ``reference_answer`` is absent or null, as AWS's own sample datasets name it.
SAMPLE_KEYS = ("reference_answer", "ground_truth", "expectedAnswer", "expected_answer", "answer", "final_answer")


def sample_reference(sample: Any) -> Any:
    """The raw reference of a sample: ``reference_answer``, else the first non-null of
    :data:`SAMPLE_KEYS`; ``null`` counts as absent."""
    if sample.reference_answer is not None:
        return sample.reference_answer
    for key in SAMPLE_KEYS:
        value = sample.field(key)
        if value is not None:
            return value
    return None


def reference_answers(raw: Any) -> tuple[str, ...]:
    """Acceptable answers as strings; raises :class:`ItemError` when there is none.

    A number stays as written; a list gives alternatives; a full worked solution (GSM8K
    ``#### 84``, MATH ``\\boxed{}``) gives its final answer.
    """
    if isinstance(raw, str):  # the usual shape, checked first
        return (_one_text(raw),)
    if raw is None:
        raise ItemError("no reference_answer")
    if isinstance(raw, Mapping):
        for key in ANSWER_KEYS:
            if raw.get(key) is not None:
                return reference_answers(raw[key])
        raise ItemError(f"reference_answer object has none of the keys {', '.join(ANSWER_KEYS)}")
    if isinstance(raw, list):
        answers = tuple(answer for item in raw[:20] for answer in reference_answers(item))
        if not answers:
            raise ItemError("reference_answer is an empty list")
        return answers
    return (_one(raw),)


def _one(raw: Any) -> str:
    if isinstance(raw, bool):
        raise ItemError("reference_answer is a boolean, not an answer")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ItemError(f"reference_answer is {raw}")
        return repr(raw) if not raw.is_integer() else str(int(raw))
    if not isinstance(raw, str):
        raise ItemError(f"reference_answer is a {type(raw).__name__}, not text or a number")
    return _one_text(raw)


@lru_cache(maxsize=4096)  # every sample of a prompt carries the same reference
def _one_text(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise ItemError("reference_answer is empty")
    if not _MARKED.search(text):  # a bare answer such as "84" or "\\frac{3}{4}"
        if len(text) > MAX_ANSWER_CHARS:
            raise ItemError(f"reference_answer is {len(text)} characters with no marked final answer")
        return text
    found = extract_final_answer(text, implicit=False)
    if found.answers:
        # A multi-part solution boxes each part: the answer is the list of them.
        return ", ".join(found.answers)
    if len(text) > MAX_ANSWER_CHARS:
        raise ItemError(f"reference_answer is {len(text)} characters with no marked final answer")
    return text
