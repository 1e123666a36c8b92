"""A float probe for constant LaTeX answers (``2\\sqrt{2}``, ``\\frac{3\\pi}{4}``, ``5^{3}``).

Evaluating both sides in floating point settles most constant answers without sympy: values
that differ beyond float error are different answers, and exact expressions (no decimals)
whose values agree to 12 significant digits are the same number. Values too large or too
close to zero for floats to tell apart are left undecided. Anything outside the small grammar
(variables, sets, intervals, decimals, ambiguous LaTeX such as ``2^10``) returns None and
is left to Math-Verify.
"""

from __future__ import annotations

import math
import re

_TOKEN = re.compile(r"\s*(\\[a-zA-Z]+|\d+|\*\*|[-+*/^(){}])")
_CONSTANTS = {"\\pi": math.pi}
_TIMES = {"*", "\\cdot", "\\times"}
_MAX_EXPONENT = 1_000.0
_MAX_TOKENS = 200
_MAX_EXACT = 1e12  # beyond this, floats no longer tell neighbouring integers apart


class _NotConstant(Exception):
    pass


def probe_equal(answer: str, reference: str) -> bool | None:
    """True or False when the float probe is sure, else None."""
    if "." in answer or "." in reference:  # decimals follow the exact rules of numeric.py
        return None
    left, right = evaluate(answer), evaluate(reference)
    if left is None or right is None or max(abs(left), abs(right)) > _MAX_EXACT:
        return None
    if math.isclose(left, right, rel_tol=1e-12):
        return True
    if not math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12):
        return False
    return None  # too close to call in floating point


def evaluate(text: str) -> float | None:
    """The value of a constant expression in the probe's grammar, or None."""
    tokens = _tokenize(text)
    if tokens is None or not tokens or len(tokens) > _MAX_TOKENS:
        return None
    parser = _Parser(tokens)
    try:
        value = parser.expression()
        if parser.position != len(tokens):
            return None
    except (_NotConstant, OverflowError, ZeroDivisionError, ValueError, RecursionError):
        return None
    return value if math.isfinite(value) else None


def _tokenize(text: str) -> list[str] | None:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            return None  # a letter, a comma, a bracket: not a constant expression
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _NotConstant()
        self.position += 1
        return token

    def expression(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.signed()
        while True:
            token = self.peek()
            if token in _TIMES:
                self.take()
                value *= self.signed()
            elif token == "/":
                self.take()
                value /= self.signed()
            elif token in ("(", "{", "\\frac", "\\sqrt") or token in _CONSTANTS:
                if token == "\\frac" and self.tokens[self.position - 1].isdigit():
                    raise _NotConstant()  # 2\frac{1}{2}: a mixed number or a product?
                value *= self.power()  # implicit product: 2\sqrt{3}, 3\pi
            else:
                return value

    def signed(self) -> float:
        if self.peek() in ("-", "+"):
            return -self.signed() if self.take() == "-" else self.signed()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            exponent = self.argument(exponent=True)
            if abs(exponent) > _MAX_EXPONENT:
                raise _NotConstant()
            if base < 0 and not float(exponent).is_integer():
                raise _NotConstant()
            result: float = base**exponent
            return result
        return base

    def argument(self, *, exponent: bool = False) -> float:
        """A LaTeX argument: a group, or one digit (``\\frac12``, ``2^3``)."""
        token = self.peek()
        if token == "{":
            return self.group()
        if token is not None and token.isdigit():
            if len(token) > 1:
                raise _NotConstant()  # 2^10 or \sqrt12: the writer's intent is unclear
            self.take()
            return float(token)
        if exponent and token in ("-", "+"):
            self.take()
            return -self.argument(exponent=True) if token == "-" else self.argument(exponent=True)
        if token in _CONSTANTS:
            return _CONSTANTS[self.take()]
        raise _NotConstant()

    def group(self) -> float:
        self.take("{")
        value = self.expression()
        self.take("}")
        return value

    def atom(self) -> float:
        token = self.take()
        if token.isdigit():
            return float(token)
        if token in _CONSTANTS:
            return _CONSTANTS[token]
        if token == "(":
            value = self.expression()
            self.take(")")
            return value
        if token == "{":
            value = self.expression()
            self.take("}")
            return value
        if token == "\\frac":
            numerator = self.argument()
            return numerator / self.argument()
        if token == "\\sqrt":
            radicand = self.argument()
            if radicand < 0:
                raise _NotConstant()
            return math.sqrt(radicand)
        raise _NotConstant()
