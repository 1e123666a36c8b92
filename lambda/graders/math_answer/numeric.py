"""The fast path: plain numbers read and compared exactly, without sympy.

Reads integers, decimals, thousands separators (``1,234`` and LaTeX ``1{,}234``), fractions
``a/b`` and ``\\frac{a}{b}``, percentages, scientific notation (``1.5e6``,
``1.5 \\times 10^{6}``), signs, an ``x =`` in front, and currency or unit words around the
number. Anything else is not a plain number and goes to the symbolic engine.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from .normalize import MATH_WORDS, clean_answer, unwrap_text

MAX_NUMBER_CHARS = 120
MAX_DECIMAL_EXPONENT = 400
# Two decimals agree when they round alike at 6 places and differ by under 0.01 % (float noise,
# 0.333333 for 1/3); distinct integers never do.
ROUND_PLACES = 6
RELATIVE_TOLERANCE = Fraction(1, 10_000)

_PLAIN = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_SIGNED = rf"[-+]?\s*(?:{_PLAIN})"
_NUMBER = re.compile(
    rf"(?P<sign>[-+])?\s*(?:"
    rf"\\frac\s*\{{\s*(?P<lnum>{_SIGNED})\s*\}}\s*\{{\s*(?P<lden>{_SIGNED})\s*\}}"
    rf"|\\frac\s*(?P<dnum>\d)\s*(?P<dden>\d)"
    rf"|(?P<num>{_PLAIN})\s*/\s*(?P<den>{_PLAIN})"
    rf"|(?P<mant>{_PLAIN})\s*(?:[eE](?P<eexp>[-+]?\d+)"
    rf"|(?:\\times|\\cdot|\u00d7|\*)\s*10\s*\^\s*\{{?\s*(?P<texp>[-+]?\d+)\s*\}}?)"
    rf"|(?P<plain>{_PLAIN}))"
)
_BARE_NUMBER = re.compile(rf"-?(?:{_PLAIN})")
_ASSIGNMENT = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*(?:=|\\approx|\u2248)\s*")
_APPROX = re.compile(r"^(?:\\approx|\u2248|~)\s*")
_CURRENCY = re.compile(r"^(?:US\$|USD|EUR|GBP|INR|Rs\.?|[\u20ac\u00a3\u00a5\u20b9])\s*")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\u00b0|\\degree")
_PERCENT = re.compile(r"^\s*(?:\\%|%|\s*percent\b)")
_UNIT_WORD = re.compile(r"[A-Za-z]{2,}\.?(?:/[A-Za-z]+)?")
_UNIT_POWER = re.compile(r"(?<=[A-Za-z])\s*(?:\^\s*\{?\s*[23]\s*\}?|[\u00b2\u00b3])")  # cm^2, m³
# Single letters read as units (5 m, 5m); any other letter may be a variable (5x, 5c).
_SHORT_UNITS = frozenset({"m", "g", "s", "h", "L"})


class Tolerance(NamedTuple):
    """An opt-in tolerance: equal when ``|a - r| <= max(relative * |r|, absolute)``."""

    relative: float = 0.0
    absolute: float = 0.0


class Number(NamedTuple):
    value: Fraction
    percent: bool = False

    def readings(self) -> tuple[Fraction, ...]:
        """``25%`` may stand for 25 (the question asked for a percentage) or for 0.25."""
        return (self.value, self.value / 100) if self.percent else (self.value,)


@lru_cache(maxsize=8192)
def parse_number(text: str) -> Number | None:
    """The number ``text`` states, or None when it is not a plain number."""
    if len(text) <= MAX_NUMBER_CHARS and _BARE_NUMBER.fullmatch(text):  # "84", "1,234": most answers
        return Number(value=_to_fraction(text))
    if len(text) > MAX_NUMBER_CHARS * 2:
        return None
    text = clean_answer(unwrap_text(text))
    text = _DEGREES.sub(" ", text).strip()
    text = _ASSIGNMENT.sub("", text)
    text = _APPROX.sub("", text)
    text = _CURRENCY.sub("", text)
    text = _strip_parentheses(text)
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    match = _NUMBER.match(text)
    if not match:
        return None
    value = _value(match)
    if value is None:
        return None
    rest = text[match.end() :]
    percent = _PERCENT.match(rest)
    if percent:
        rest = rest[percent.end() :]
    if rest.lstrip().startswith("!") or not _only_units(rest):  # 5! is a factorial
        return None
    if match.group("sign") == "-":
        value = -value
    return Number(value=value, percent=bool(percent))


def numbers_equal(answer: Number, reference: Number, tolerance: Tolerance | None = None) -> bool:
    if not (answer.percent or reference.percent):
        return _close(answer.value, reference.value, tolerance)
    return any(_close(a, r, tolerance) for a in answer.readings() for r in reference.readings())


def _close(a: Fraction, r: Fraction, tolerance: Tolerance | None = None) -> bool:
    if a == r:
        return True
    if tolerance is not None:
        return float(abs(a - r)) <= max(tolerance.relative * float(abs(r)), tolerance.absolute)
    if a.denominator == 1 and r.denominator == 1:  # distinct integers
        return False
    return abs(a - r) <= abs(r) * RELATIVE_TOLERANCE and round(a, ROUND_PLACES) == round(r, ROUND_PLACES)


def _value(match: re.Match[str]) -> Fraction | None:
    groups = match.groupdict()
    try:
        if groups["lnum"] is not None:
            return _fraction(_to_fraction(groups["lnum"]), _to_fraction(groups["lden"]))
        if groups["dnum"] is not None:
            return _fraction(Fraction(int(groups["dnum"])), Fraction(int(groups["dden"])))
        if groups["num"] is not None:
            return _fraction(_to_fraction(groups["num"]), _to_fraction(groups["den"]))
        if groups["mant"] is not None:
            exponent = int(groups["eexp"] if groups["eexp"] is not None else groups["texp"])
            if abs(exponent) > MAX_DECIMAL_EXPONENT:
                return None
            return _to_fraction(groups["mant"]) * Fraction(10) ** exponent
        return _to_fraction(groups["plain"])
    except (ValueError, ZeroDivisionError):
        return None


def _to_fraction(text: str) -> Fraction:
    text = text.replace(",", "").replace(" ", "").rstrip(".")
    sign = -1 if text.startswith("-") else 1
    whole, _, decimals = text.lstrip("+-").partition(".")
    # int() is several times faster than Fraction's own string parsing.
    return Fraction(sign * int(whole + decimals or "0"), 10 ** len(decimals))


def _fraction(numerator: Fraction, denominator: Fraction) -> Fraction | None:
    return None if denominator == 0 else numerator / denominator


def _strip_parentheses(text: str) -> str:
    """``(-5)`` -> ``-5``; a tuple or interval keeps its brackets (it contains a comma)."""
    while text.startswith("(") and text.endswith(")") and "," not in text and text.count("(") == 1:
        text = text[1:-1].strip()
    return text


def _only_units(rest: str) -> bool:
    """Whether what follows a number is only unit or prose words (``cm``, ``apples each``)."""
    words = _UNIT_POWER.sub("", rest).split()
    for word in words:
        word = word.strip(".,;:!?)")
        if not word:
            continue
        if word.lower() in MATH_WORDS:
            return False
        if not (_UNIT_WORD.fullmatch(word) or word in _SHORT_UNITS):
            return False
    return True
