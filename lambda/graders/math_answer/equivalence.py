"""Is an extracted answer mathematically equal to the reference?

Cheap checks decide most answers: the same spelling, a multiple-choice letter, words, plain
numbers and lists of plain numbers (:mod:`.numeric`), constant LaTeX such as ``2\\sqrt{2}``
or ``\\frac{3\\pi}{4}`` (:mod:`.probe`). Everything else (symbolic expressions, intervals,
sets, tuples, equations) goes to Math-Verify on sympy, imported on first need, after
:mod:`.guards` has refused inputs sympy could choke on, and under the wall-clock limit of
:mod:`.timelimit`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from fractions import Fraction
from functools import lru_cache
from types import ModuleType
from typing import Any, NamedTuple

from . import guards
from .hedging import number_words
from .normalize import (
    answer_choice_letter,
    choice_letter,
    clean_answer,
    compact,
    is_word_answer,
    normalize_words,
    split_items,
)
from .numeric import Number, Tolerance, numbers_equal, parse_number
from .probe import probe_equal
from .timelimit import SymbolicTimeout, time_limit

CACHE_SIZE = 4096


class Verdict(NamedTuple):
    equivalent: bool
    engine: str  # "identical" | "choice" | "words" | "numeric" | "probe" | "symbolic" | "refused"
    reason: str | None = None  # why it could not be checked, when it could not

    @property
    def unverifiable(self) -> bool:
        return self.reason is not None


def equivalent(answer: str, reference: str, *, seconds: float, tolerance: Tolerance | None = None) -> Verdict:
    """Compare one answer with one reference; symbolic work gets at most ``seconds``.

    An equation is compared as an equation when the reference is one (a plane, a line); when
    the reference is a value, an answer ``x = 3`` (or ``24 + 60 = 84``) gives its last side.
    """
    answer, reference = clean_answer(answer), clean_answer(reference)
    if not answer:
        return Verdict(False, "identical")
    if not _RELATION.search(reference) and ("=" in answer or "\\approx" in answer):
        items = split_items(answer)
        answer = ", ".join(last_side(item) for item in items) if len(items) > 1 else last_side(answer)
    reference_number = parse_number(reference) or _spelled(reference)
    if reference_number is not None:  # the common case, decided before any other reading
        answer_number = parse_number(answer) or _spelled(answer)
        if answer_number is not None:
            return Verdict(numbers_equal(answer_number, reference_number, tolerance), "numeric")
    if compact(answer) == compact(reference):
        return Verdict(True, "identical")
    letter = choice_letter(reference) if reference_number is None else None
    answer_letter = answer_choice_letter(answer) if letter is not None else None
    if answer_letter is not None:
        return Verdict(answer_letter == letter, "choice")
    if is_word_answer(reference):
        return Verdict(normalize_words(answer) == normalize_words(reference), "words")
    same_list = _numeric_lists(answer, reference, tolerance)
    if same_list is not None:
        return Verdict(same_list, "numeric")
    return symbolic(answer, reference, seconds=seconds)


_RELATION = re.compile(r"=|<|>|\\[lg]eq?(?![a-z])|\\[lg]eqslant|\\neq|\\approx|\\in(?![a-z])")
_SIDE_SPLIT = re.compile(r"=|\\approx(?![a-z])")


def last_side(answer: str) -> str:
    """``x = 3`` -> ``3``; ``24 + 60 = 84`` -> ``84``; an ``=`` inside braces or brackets (a set
    builder, a system) leaves the answer whole; so does an inequality."""
    if "=" not in answer and "\\approx" not in answer:
        return answer
    if re.search(r"[<>]|\\[lg]eq?(?![a-z])|\\neq", answer):
        return answer
    depth = 0
    cut = -1
    for index, char in enumerate(answer):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and (char == "=" or answer.startswith("\\approx", index)):
            cut = index + (1 if char == "=" else len("\\approx"))
    side = answer[cut:].strip() if cut >= 0 else answer
    return side or answer


def _spelled(text: str) -> Number | None:
    """``five``, ``forty-two``: a small number in words."""
    if not text[:1].isalpha():
        return None
    spoken = number_words(text)
    if spoken is None or spoken[1] != len(re.findall(r"[a-z]+", text.lower())):
        return None
    return Number(Fraction(spoken[0]))


def _numeric_lists(answer: str, reference: str, tolerance: Tolerance | None = None) -> bool | None:
    """The verdict when both sides are lists of plain numbers of the same length, else None."""
    answer_items, reference_items = split_items(answer), split_items(reference)
    if len(answer_items) < 2 or len(answer_items) != len(reference_items):
        return None
    answer_numbers = [parse_number(item) for item in answer_items]
    reference_numbers = [parse_number(item) for item in reference_items]
    if None in answer_numbers or None in reference_numbers:
        return None
    return _same_multiset(answer_numbers, reference_numbers, tolerance)  # type: ignore[arg-type]


def _same_multiset(answers: list[Number], references: list[Number], tolerance: Tolerance | None = None) -> bool:
    """A plain list ``1, 2`` is a solution set: order does not matter, each item used once."""
    left = Counter(a.value for a in answers)
    if left == Counter(r.value for r in references):
        return True
    unmatched = list(references)
    for answer in answers:
        match = next((r for r in unmatched if numbers_equal(answer, r, tolerance)), None)
        if match is None:
            return False
        unmatched.remove(match)
    return True


def symbolic(answer: str, reference: str, *, seconds: float) -> Verdict:
    for text in (answer, reference):
        refusal = guards.screen(text)
        if refusal:
            return Verdict(False, "refused", refusal)
    probed = probe_equal(answer, reference)
    if probed is not None:
        return Verdict(probed, "probe")
    if seconds <= 0:
        return Verdict(False, "refused", "no time left for a symbolic check")
    engine = math_verify()  # imported outside the time limit: an interrupted import is unsafe
    try:
        with time_limit(seconds):
            return Verdict(_symbolic_equal(engine, answer, reference), "symbolic")
    except SymbolicTimeout:
        return Verdict(False, "refused", f"symbolic check exceeded {seconds:.2f}s")
    except RecursionError:
        return Verdict(False, "refused", "answer too deeply nested for the parser")


@lru_cache(maxsize=CACHE_SIZE)
def _symbolic_equal(engine: ModuleType, answer: str, reference: str) -> bool:
    # A check cut short raises, and lru_cache keeps nothing for it.
    gold = _parse(engine, reference)
    if not gold:
        return False
    prediction = _parse(engine, answer)
    return bool(prediction) and bool(engine.verify(gold, prediction, timeout_seconds=None))


@lru_cache(maxsize=CACHE_SIZE)
def _parse(engine: ModuleType, text: str) -> list[Any]:
    parsed: list[Any] = engine.parse(f"${text}$", parsing_timeout=None)
    return parsed


_ENGINE: list[ModuleType] = []
# What a first symbolic check may cost before it starts: importing and warming up Math-Verify.
ENGINE_LOAD_SECONDS = 3.0


def engine_loaded() -> bool:
    return bool(_ENGINE)


# One of each kind of answer: sympy loads much of itself lazily on first use (the first
# polynomial takes ~0.6 s), which must not count against the time limit of a real answer.
_WARM_UP = (
    ("x^2+2x+1", "(x+1)^2"),
    ("[0, \\infty)", "(0, 1]"),
    ("\\{1, 2\\}", "\\{2, 1\\}"),
    ("(1, 2)", "(2, 1)"),
    ("x = 3", "3"),
    ("\\frac{\\sqrt{3}}{2}", "\\sin(\\pi/3)"),
)


def math_verify() -> ModuleType:
    """Math-Verify, imported and warmed up on first use (1-2 s, once), not at cold start."""
    if not _ENGINE:
        # The engine's own timeouts are off (ours is used); silence its one-time warning.
        logging.getLogger("math_verify").setLevel(logging.ERROR)
        import math_verify as engine

        for gold, answer in _WARM_UP:
            engine.verify(
                engine.parse(f"${gold}$", parsing_timeout=None),
                engine.parse(f"${answer}$", parsing_timeout=None),
                timeout_seconds=None,
            )
        _ENGINE.append(engine)
    return _ENGINE[0]
