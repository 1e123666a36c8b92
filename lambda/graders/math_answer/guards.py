"""Pre-screening of answers before they reach sympy.

Some inputs cannot be bounded by a timer: a big-integer power such as ``9^{9^{9}}`` runs
inside one C call (no signal is handled until it returns) and may exhaust memory, and off the
main thread there is no timer at all. So an answer is refused before symbolic checking when
it is long, deeply nested, or denotes a number with too many digits. The estimates are upper
bounds computed on the text, never by evaluating it.
"""

from __future__ import annotations

import math
import re

MAX_SYMBOLIC_CHARS = 400  # a final answer longer than this is not one a reference is written as
MAX_NESTING = 16
MAX_EXPONENT = 100_000
MAX_RESULT_DIGITS = 100_000
MAX_FACTORIAL = 2_000

_POWER = re.compile(r"\^|\*\*")
_NUMBER = re.compile(r"\d+(?:\.\d*)?")
_FACTORIAL = re.compile(r"(\d+)\s*!")
_OPENERS = {"{": "}", "(": ")", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_LOG10_2 = math.log10(2)


def screen(text: str) -> str | None:
    """Why ``text`` must not be handed to sympy, or None when it is safe to try."""
    if len(text) > MAX_SYMBOLIC_CHARS:
        return f"answer too long to check symbolically ({len(text)} chars)"
    if nesting_depth(text) > MAX_NESTING:
        return "answer nested too deeply to check"
    for match in _FACTORIAL.finditer(text):
        if len(match.group(1)) > 6 or int(match.group(1)) > MAX_FACTORIAL:
            return "factorial too large to check"
    for match in _POWER.finditer(text):
        exponent_digits = magnitude(_read_exponent(text, match.end()))
        if exponent_digits > math.log10(MAX_EXPONENT):
            return "exponent too large to check"
        base_digits = max(magnitude(_read_base(text, match.start())), _LOG10_2)
        if 10**exponent_digits * base_digits > MAX_RESULT_DIGITS:
            return "number too large to check"
    return None


def nesting_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
    return deepest


def magnitude(text: str) -> float:
    """An upper bound on log10 |value| of a short expression (0 for symbols), possibly inf."""
    text = _strip_group(text.strip())
    power = _first_top_level_power(text)
    if power is not None:
        start, end = power
        exponent = magnitude(text[end:])
        if exponent > 300:
            return math.inf
        return 10**exponent * max(magnitude(text[:start]), _LOG10_2)
    total = 0.0
    count = 0
    for match in _NUMBER.finditer(text):
        digits = match.group(0).split(".")[0].lstrip("0")
        total += math.log10(int(digits)) if 0 < len(digits) < 300 else len(digits)
        count += 1
    for match in _FACTORIAL.finditer(text):
        n = int(match.group(1)) if len(match.group(1)) < 7 else 10**6
        total += n * math.log10(max(n, 2))
    # Products add magnitudes; sums of ``count`` terms add at most log10(count).
    return total + (math.log10(count) if count > 1 else 0.0)


def _strip_group(text: str) -> str:
    while len(text) >= 2 and text[0] in _OPENERS and _matching_close(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _matching_close(text: str, open_index: int) -> int:
    opener = text[open_index]
    closer = _OPENERS[opener]
    depth = 0
    for index in range(open_index, len(text)):
        char = text[index]
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index
    return len(text) - 1


def _matching_open(text: str, close_index: int) -> int:
    closer = text[close_index]
    opener = _CLOSERS[closer]
    depth = 0
    for index in range(close_index, -1, -1):
        char = text[index]
        if char == closer:
            depth += 1
        elif char == opener:
            depth -= 1
            if depth == 0:
                return index
    return 0


def _first_top_level_power(text: str) -> tuple[int, int] | None:
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0 and char == "^":
            return index, index + 1
        elif depth == 0 and text.startswith("**", index):
            return index, index + 2
        index += 1
    return None


def _read_operand(text: str, index: int) -> int:
    """End index of the operand starting at ``index`` (a group, a number, a command or a char)."""
    while index < len(text) and text[index] == " ":
        index += 1
    if index >= len(text):
        return index
    char = text[index]
    if char in _OPENERS:
        return _matching_close(text, index) + 1
    number = _NUMBER.match(text, index)
    if number:
        return number.end()
    if char == "\\":
        end = index + 1
        while end < len(text) and text[end].isalpha():
            end += 1
        while end < len(text) and text[end] == "{":  # \frac{..}{..}, \sqrt{..}
            end = _matching_close(text, end) + 1
        return max(end, index + 2)
    if char in "+-":
        return _read_operand(text, index + 1)
    return index + 1


def _read_exponent(text: str, index: int) -> str:
    """The exponent after a power operator, with any power chained after it (``a^b^c``)."""
    end = _read_operand(text, index)
    follow = _POWER.match(text, end) or _POWER.match(text, _skip_spaces(text, end))
    if follow:
        return text[index : follow.start()] + "^" + _read_exponent(text, follow.end())
    return text[index:end]


def _skip_spaces(text: str, index: int) -> int:
    while index < len(text) and text[index] == " ":
        index += 1
    return index


def _read_base(text: str, index: int) -> str:
    """The operand just before a power operator at ``index``."""
    end = index
    while end > 0 and text[end - 1] == " ":
        end -= 1
    if end == 0:
        return ""
    char = text[end - 1]
    if char in _CLOSERS:
        return text[_matching_open(text, end - 1) : end]
    start = end
    while start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
        start -= 1
    return text[start:end] if start < end else char
