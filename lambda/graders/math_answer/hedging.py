"""Hedges hidden in asides: ``\\boxed{3 \\text{ (or 4)}}``, "The answer is 3 (maybe 4)".

Clean-up and Math-Verify drop ``\\text{}`` and read past parentheses, so an alternative
written in an aside would reach the comparison as a bare ``3`` (or ``4``). The asides are
read here first, on the answer as written:

* words of doubt anywhere in the answer (maybe, possibly, perhaps, either, alternatively,
  could be, ...) or a ``\\text{/}`` between candidates: a hedge;
* a parenthetical after the answer (``(...)``, ``[...]``, or any ``\\text{...}``) that offers
  "or" something: a hedge unless every alternative is the same value (``1/2 (or 0.5)``);
* a parenthetical or ``\\text`` after the answer holding another value (``3 (4)``,
  ``3 (four)``, ``3 (4 if we count zero)``): a hedge; the same value (``3 (three)``,
  ``42 (that is, forty-two)``, ``\\frac{\\pi}{2} (\\approx 1.57)``) is a restatement, and
  the answer is judged without it.

Intervals, tuples, sets, ``\\text{(A)}``, ``2 (x+1)``, units (``5 \\text{ cm}``) and remarks
that merely mention a number (``3 (from step 4)``) are none of these and are left as they are.
A list joined by a bare "or" (``3 \\text{ or } 4``) is judged by the grader's list rules.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from .normalize import clean_answer, unwrap_text
from .numeric import Number, numbers_equal, parse_number
from .probe import evaluate

DOUBT = re.compile(
    r"\b(?:maybe|possibly|perhaps|probably|alternatively|either(?!\s+way)|unsure|not\s+sure)\b"
    r"|\b(?:could|might|may)\s+(?:also\s+)?be\s+(?=[-+$\\\d(])",
    re.IGNORECASE,
)
_TEXT_OR_BRACKET = re.compile(r"[(\[]|\\(?:text[a-z]*|mbox|mathrm)\s*\{")
_TEXT_SLASH = re.compile(r"\\(?:text[a-z]*|mbox)\s*\{\s*(?:(?:and|or)\s*)?/\s*(?:or\s*)?\}")
_TEXT_WITH_DIGIT = re.compile(r"\\(?:text[a-z]*|mbox)\s*\{([^{}()\[\]\d]*\d[^{}()\[\]]*)\}")
OR = re.compile(r"\bor\b", re.IGNORECASE)
_LEAD_IN_TOKEN = re.compile(r"\s*(?:[,:;=~\u2248]|\\approx\b|\\sim\b|\\equiv\b|i\.\s*e\.?|([A-Za-z]+)\b\.?)")
# Words that introduce a restated value: "(that is, forty-two)", "(or equivalently 0.5)".
_LEAD_IN_WORDS = frozenset(
    {
        "or",
        "that",
        "is",
        "ie",
        "namely",
        "which",
        "equals",
        "equal",
        "equivalently",
        "also",
        "about",
        "approximately",
        "approx",
        "roughly",
        "around",
        "nearly",
        "exactly",
        "so",
        "just",
        "as",
        "a",
        "an",
        "the",
        "same",
        "decimal",
        "fraction",
        "written",
        "in",
        "words",
        "form",
        "simplified",
    }
)
# Words after a number that make it a value offered in the answer's place ("4 if we count 0").
_CONDITIONS = frozenset(
    {"if", "when", "unless", "otherwise", "including", "excluding", "counting", "assuming", "with", "without", "for"}
)
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+")
_OPERATOR_END = re.compile(r"(?:[-+*/^=<>,;:(\[{|&]|\\(?!pi\b|infty\b|circ\b|degree\b)[A-Za-z]+)$")

_UNITS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    word: 10 * value
    for value, word in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)
}
_SCALES = {"thousand": 1_000, "million": 1_000_000}
_SPOKEN = re.compile(r"[A-Za-z ,\-]+")


class Reading(NamedTuple):
    answer: str  # the answer to judge: without asides that only restate it
    hedge: str | None = None  # why the answer offers more than one value, when it does


class _Value(NamedTuple):
    number: Number | None  # exact, when the text is a plain number
    approx: float
    tolerance: float  # half a unit in the last decimal place written, 0 for exact values


def read_answer(answer: str, references: tuple[str, ...]) -> Reading:
    """The answer as it should be judged, or the hedge it contains."""
    if not _TEXT_OR_BRACKET.search(answer) and not DOUBT.search(answer):
        return Reading(answer)  # most answers: nothing to read
    return _read(answer, references)


@lru_cache(maxsize=4096)
def _read(answer: str, references: tuple[str, ...]) -> Reading:
    if _TEXT_SLASH.search(answer):
        return Reading(answer, "alternatives separated by '/'")
    text = clean_answer(unwrap_text(answer))
    for doubt in DOUBT.finditer(text):
        if doubt.group(0).lower() not in " ".join(references).lower():  # a "maybe" the reference asks for
            return Reading(answer, f"'{doubt.group(0).strip()}' in the final answer")
    hedge = _text_values(answer)
    if hedge:
        return Reading(answer, hedge)
    kept: list[str] = []
    position = 0
    for start, end, content in _bracket_asides(text):
        main = " ".join(kept + [text[position:start]]).strip()  # without asides already dropped
        if not main or _OPERATOR_END.search(main):  # (1, 2), x \in (2, 3], 2 \cdot (3)
            continue
        verdict = _aside_verdict(main, content)
        if verdict == "restates":
            kept.append(text[position:start])
            position = end
        elif verdict is not None:
            return Reading(answer, verdict)
    if not kept:
        return Reading(answer)
    return Reading(" ".join(" ".join(kept + [text[position:]]).split()))


def _text_values(answer: str) -> str | None:
    """A hedge made with ``\\text`` holding a value after the answer: ``3 \\text{ 4}``."""
    for match in _TEXT_WITH_DIGIT.finditer(answer):
        main = clean_answer(unwrap_text(answer[: match.start()]))
        if main and not _OPERATOR_END.search(main):
            verdict = _aside_verdict(main, match.group(1))
            if verdict not in (None, "restates"):
                return verdict
    return None


def _bracket_asides(text: str) -> list[tuple[int, int, str]]:
    """Top-level ``(...)``/``[...]`` groups set off by a space, as (start, end, content); an
    unclosed one runs to the end ("3 (4 if we count zero" cut at a clause)."""
    groups = []
    depth = 0
    start = -1
    for index, char in enumerate(text):
        if char in "([{":
            if depth == 0 and char != "{" and index > 0 and text[index - 1] == " ":
                start = index
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
            if depth == 0 and start >= 0:
                groups.append((start, index + 1, text[start + 1 : index]))
                start = -1
    if start >= 0:
        groups.append((start, len(text), text[start + 1 :]))
    return groups


def _aside_verdict(main: str, content: str) -> str | None:
    """ "restates", a hedge reason, or None when the aside is not about the answer's value."""
    main_value = _value(main)
    if OR.search(content):
        alternatives = [_strip_lead_in(part) for part in OR.split(content)]
        if not alternatives[0]:
            alternatives = alternatives[1:]  # "(or 4)": nothing before the "or"
        for alternative in alternatives:
            value = _value(alternative)
            if main_value is None or value is None or not _same(main_value, value):
                return f"an alternative answer in an aside: ({content.strip()})"
        return "restates"
    rest = _strip_lead_in(content)
    if not rest:
        return "restates"  # "42 (i.e." cut at a full stop: says nothing
    offered = _offered_value(rest, main)
    if offered is not None and main_value is not None:
        return "restates" if _same(main_value, offered) else f"a second value in an aside: ({content.strip()})"
    value = _value(rest)  # "42 (6 \\times 7)": restated by an expression
    if value is not None and main_value is not None and _same(main_value, value):
        return "restates"
    return None


def _strip_lead_in(text: str) -> str:
    position = 0
    while True:
        match = _LEAD_IN_TOKEN.match(text, position)
        if not match or (match.group(1) and match.group(1).lower() not in _LEAD_IN_WORDS):
            return text[position:].strip()
        position = match.end()


def _offered_value(rest: str, main: str) -> _Value | None:
    """The value an aside offers in place of the answer: a plain number alone ("4", "four"),
    with a condition ("4 if we count zero"), or with the answer's own words ("x = 4", "4 cm").
    An expression (``2 (x+1)``, ``\\frac{1}{2} (\\sqrt{3}+1)``) is a product, not an offer."""
    spoken = number_words(rest)
    if spoken is not None:
        value, used = spoken
        words = _WORD.findall(rest)[used:]
        number: _Value | None = _Value(Number(Fraction(value)), float(value), 0.0)
    else:
        words = _WORD.findall(rest)
        number = _plain_value(rest)
    if number is None:
        return None
    main_words = {word.lower() for word in _WORD.findall(main)}
    if words and words[0].lower() not in _CONDITIONS and not {w.lower() for w in words} <= main_words:
        return None  # "3 (from 4 options)", "15 (5 each)": an explanation, not another answer
    return number


def number_words(text: str) -> tuple[int, int] | None:
    """The number spelled at the start of ``text`` ("forty-two", "one hundred and five") and
    how many words it took, or None. "one" followed by other words ("one dozen") is not read."""
    if not _SPOKEN.fullmatch(text):
        return None
    words = re.findall(r"[a-z]+", text.lower())
    sign = -1 if words and words[0] in ("minus", "negative") else 1
    index = 1 if sign < 0 else 0
    total = current = 0
    used = 0
    while index < len(words):
        word = words[index]
        if word in _UNITS and current % 10 == 0:
            current += _UNITS[word]
        elif word in _TENS and current % 100 == 0:
            current += _TENS[word]
        elif word == "hundred" and used and 0 < current < 100:
            current *= 100
        elif word in _SCALES and used and current:
            total += current * _SCALES[word]
            current = 0
        elif (
            word == "and"
            and used
            and index + 1 < len(words)
            and (words[index + 1] in _UNITS or words[index + 1] in _TENS)
        ):
            pass
        else:
            break
        used += 1
        index += 1
    if not used or (words[index - used : index] == ["one"] and index < len(words)):
        return None
    return sign * (total + current), index


def _value(text: str) -> _Value | None:
    """The value of a plain number, a constant expression or spelled-out number, or None."""
    text = text.strip()
    if not text:
        return None
    plain = _plain_value(text)
    if plain is not None:
        return plain
    if "." not in text:
        evaluated = evaluate(text)
        if evaluated is not None:
            return _Value(None, evaluated, 0.0)
    spoken = number_words(text)
    if spoken is not None and spoken[1] == len(re.findall(r"[a-z]+", text.lower())):
        return _Value(Number(Fraction(spoken[0])), float(spoken[0]), 0.0)
    return None


def _plain_value(text: str) -> _Value | None:
    number = parse_number(text.strip())
    return None if number is None else _Value(number, _float(number.value), _rounding(text))


def _same(left: _Value, right: _Value) -> bool:
    if left.number is not None and right.number is not None and numbers_equal(right.number, left.number):
        return True
    tolerance = max(left.tolerance, right.tolerance) * (1 + 1e-9)
    return any(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or abs(a - b) <= tolerance
        for a in _readings(left)
        for b in _readings(right)
    )


def _readings(value: _Value) -> list[float]:
    """``25%`` reads as 25 or 0.25."""
    if value.number is not None and value.number.percent:
        return [_float(reading) for reading in value.number.readings()]
    return [value.approx]


def _rounding(text: str) -> float:
    """Half a unit in the last decimal place of a decimal as written (``2.83`` -> 0.005)."""
    match = re.search(r"\d\.(\d+)", text)
    return 0.5 * 10.0 ** -len(match.group(1)) if match else 0.0


def _float(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
