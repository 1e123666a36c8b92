"""Regular expressions from dataset rows, matched in time linear in the response length.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` or even ``.*x.*y.*z`` can take
exponential or high-polynomial time on a long response, and a reward function has no safe
way to interrupt it (signals do not work off the main thread, and a timeout would make the
reward depend on machine load). So the pattern is parsed with Python's own parser (same
syntax as ``re``), turned into an automaton (Thompson NFA), and run as a lazily built DFA:
each character costs one table lookup, or one pass over the NFA's states the first time a
(state set, character) pair is seen. The worst case is O(len(text) * states); the state
count is capped at compile time.

Not supported, because no automaton can do them: backreferences, look-ahead/look-behind,
conditional groups, atomic groups and possessive repeats. Such a pattern is refused with
:class:`UnsupportedPattern` (the grader scores that constraint 0 and says why).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typeshed describes these modules under their deprecated public names
    import sre_constants as sre
    import sre_parse
else:
    from re import (
        _constants as sre,  # the opcodes of the parse tree
        _parser as sre_parse,
    )

MAX_PATTERN_LENGTH = 2_000
MAX_STATES = 5_000
MAX_CACHED_STEPS = 50_000

_CHAR, _SPLIT, _ASSERT, _MATCH = range(4)
_ASCII_SPACE = frozenset(" \t\n\r\f\v")
_REFUSED = {
    sre.GROUPREF: "backreferences",
    sre.GROUPREF_EXISTS: "conditional groups",
    sre.ASSERT: "look-ahead/look-behind",
    sre.ASSERT_NOT: "look-ahead/look-behind",
    sre.ATOMIC_GROUP: "atomic groups",
    sre.POSSESSIVE_REPEAT: "possessive repeats",
}


# What an anchor needs to know about the character before a position.
_AT_START, _AFTER_NEWLINE, _AFTER_ASCII_WORD, _AFTER_WORD, _AFTER_OTHER = range(5)


def _before_class(char: str | None) -> int:
    if char is None:
        return _AT_START
    if char == "\n":
        return _AFTER_NEWLINE
    if _is_word(char, ascii_only=True):
        return _AFTER_ASCII_WORD
    return _AFTER_WORD if _is_word(char, ascii_only=False) else _AFTER_OTHER


class UnsupportedPattern(ValueError):
    """The pattern is invalid, too large, or uses a feature that needs backtracking."""


def _is_word(char: str, ascii_only: bool) -> bool:
    if ascii_only:
        return char.isascii() and (char.isalnum() or char == "_")
    return char.isalnum() or char == "_"


def _category(code: Any, ascii_only: bool) -> Callable[[str], bool]:
    if code in (sre.CATEGORY_DIGIT, sre.CATEGORY_NOT_DIGIT):
        test = (lambda c: "0" <= c <= "9") if ascii_only else str.isdecimal
    elif code in (sre.CATEGORY_SPACE, sre.CATEGORY_NOT_SPACE):
        test = (lambda c: c in _ASCII_SPACE) if ascii_only else str.isspace
    elif code in (sre.CATEGORY_WORD, sre.CATEGORY_NOT_WORD):
        test = lambda c: _is_word(c, ascii_only)  # noqa: E731
    else:
        raise UnsupportedPattern(f"unsupported character category {code}")
    if code in (sre.CATEGORY_NOT_DIGIT, sre.CATEGORY_NOT_SPACE, sre.CATEGORY_NOT_WORD):
        return lambda c: not test(c)
    return test


def _char_class(items: Any, flags: int) -> Callable[[str], bool]:
    ascii_only = bool(flags & re.ASCII)
    negate = False
    literals: set[str] = set()
    ranges: list[tuple[int, int]] = []
    tests: list[Callable[[str], bool]] = []
    for op, value in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            literals.add(chr(value))
        elif op is sre.RANGE:
            ranges.append(value)
        elif op is sre.CATEGORY:
            tests.append(_category(value, ascii_only))
        else:
            raise UnsupportedPattern(f"unsupported item {op} in a character class")

    def member(char: str) -> bool:
        if char in literals:
            return True
        code = ord(char)
        return any(low <= code <= high for low, high in ranges) or any(test(char) for test in tests)

    if flags & re.IGNORECASE:

        def matches(char: str) -> bool:
            if member(char):
                return True
            if not _ignores_case(char, flags):
                return False
            return member(char.lower()[:1] or char) or member(char.upper()[:1] or char)
    else:
        matches = member
    return (lambda char: not matches(char)) if negate else matches


def _ignores_case(char: str, flags: int) -> bool:
    """Under ASCII, ``re`` folds case for ASCII letters only."""
    return bool(flags & re.IGNORECASE) and (char.isascii() or not flags & re.ASCII)


def _literal(code: int, flags: int, negate: bool = False) -> Callable[[str], bool]:
    target = chr(code)
    test: Callable[[str], bool]
    if _ignores_case(target, flags):
        lower, upper = target.lower(), target.upper()
        test = lambda c: c == target or c.lower() == lower or c.upper() == upper  # noqa: E731
    else:
        test = target.__eq__
    return (lambda c: not test(c)) if negate else test


class _Builder:
    """Builds the NFA backwards: each node is compiled knowing the state that follows it."""

    def __init__(self) -> None:
        self.kind: list[int] = []
        self.arg: list[Any] = []
        self.out: list[int] = []
        self.out2: list[int] = []

    def add(self, kind: int, arg: Any = None, out: int = -1, out2: int = -1) -> int:
        if len(self.kind) >= MAX_STATES:
            raise UnsupportedPattern(f"pattern needs more than {MAX_STATES} automaton states")
        self.kind.append(kind)
        self.arg.append(arg)
        self.out.append(out)
        self.out2.append(out2)
        return len(self.kind) - 1

    def sequence(self, items: Any, flags: int, follow: int) -> int:
        for op, value in reversed(list(items)):
            follow = self.node(op, value, flags, follow)
        return follow

    def node(self, op: Any, value: Any, flags: int, follow: int) -> int:
        if op in _REFUSED:
            raise UnsupportedPattern(f"{_REFUSED[op]} are not supported")
        if op is sre.LITERAL or op is sre.NOT_LITERAL:
            return self.add(_CHAR, _literal(value, flags, negate=op is sre.NOT_LITERAL), follow)
        if op is sre.ANY:
            test = (lambda c: True) if flags & re.DOTALL else (lambda c: c != "\n")
            return self.add(_CHAR, test, follow)
        if op is sre.IN:
            return self.add(_CHAR, _char_class(value, flags), follow)
        if op is sre.AT:
            return self.add(_ASSERT, (value, flags), follow)
        if op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = value
            return self.sequence(body, (flags | add_flags) & ~del_flags, follow)
        if op is sre.BRANCH:
            starts = [self.sequence(branch, flags, follow) for branch in value[1]]
            start = starts[-1]
            for other in reversed(starts[:-1]):
                start = self.add(_SPLIT, None, other, start)
            return start
        if op is sre.MAX_REPEAT or op is sre.MIN_REPEAT:
            return self.repeat(value, flags, follow)
        raise UnsupportedPattern(f"unsupported construct {op}")

    def repeat(self, value: Any, flags: int, follow: int) -> int:
        low, high, body = value
        current = follow
        if high == sre.MAXREPEAT:
            loop = self.add(_SPLIT, None, -1, follow)
            self.out[loop] = self.sequence(body, flags, loop)
            current = loop
        else:
            for _ in range(high - low):
                current = self.add(_SPLIT, None, self.sequence(body, flags, current), follow)
        for _ in range(low):
            current = self.sequence(body, flags, current)
        return current


class SafeRegex:
    """A compiled pattern offering ``search`` and ``fullmatch`` as booleans, in linear time."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise UnsupportedPattern(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
        try:
            parsed = sre_parse.parse(pattern, flags)
        except (re.error, OverflowError, RecursionError) as exc:
            raise UnsupportedPattern(f"invalid pattern: {exc}") from exc
        global_flags = parsed.state.flags
        if global_flags & re.LOCALE:
            raise UnsupportedPattern("the LOCALE flag is not supported")
        builder = _Builder()
        match_state = builder.add(_MATCH)
        try:
            self._start = builder.sequence(parsed.data, global_flags, match_state)
        except RecursionError as exc:
            raise UnsupportedPattern("pattern nested too deeply") from exc
        self._kind, self._arg = builder.kind, builder.arg
        self._out, self._out2 = builder.out, builder.out2
        self._uses_context = _ASSERT in builder.kind
        self._sets: dict[frozenset[int], int] = {}
        self._set_list: list[frozenset[int]] = []
        self._steps: dict[tuple[int, bool, int, str, bool] | tuple[int, bool, str], tuple[int, bool]] = {}

    # -- the automaton ---------------------------------------------------------------------
    def _assertion_holds(self, code: Any, flags: int, before: int, current: str | None, is_last: bool) -> bool:
        multiline = flags & re.MULTILINE
        if code is sre.AT_BEGINNING_STRING:
            return before == _AT_START
        if code is sre.AT_BEGINNING:
            return before == _AT_START or (bool(multiline) and before == _AFTER_NEWLINE)
        if code is sre.AT_END_STRING:
            return current is None
        if code is sre.AT_END:
            if current is None:
                return True
            return current == "\n" and (bool(multiline) or is_last)
        ascii_only = bool(flags & re.ASCII)
        word_before = before == _AFTER_ASCII_WORD or (before == _AFTER_WORD and not ascii_only)
        word_after = current is not None and _is_word(current, ascii_only)
        if code is sre.AT_BOUNDARY:
            return word_before != word_after
        if code is sre.AT_NON_BOUNDARY:
            # Python before 3.14 finds no \B in an empty string; the Lambda runtime is 3.13.
            return word_before == word_after and not (before == _AT_START and current is None)
        raise UnsupportedPattern(f"unsupported anchor {code}")

    def _closure(self, states: frozenset[int], before: int, current: str | None, is_last: bool) -> set[int]:
        seen: set[int] = set()
        stack = list(states)
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            kind = self._kind[state]
            if kind == _SPLIT:
                stack.append(self._out[state])
                stack.append(self._out2[state])
            elif kind == _ASSERT:
                code, flags = self._arg[state]
                if self._assertion_holds(code, flags, before, current, is_last):
                    stack.append(self._out[state])
        return seen

    def _intern(self, states: frozenset[int]) -> int:
        index = self._sets.get(states)
        if index is None:
            index = len(self._set_list)
            self._sets[states] = index
            self._set_list.append(states)
        return index

    def _step(self, set_id: int, before: int, current: str | None, is_last: bool, search: bool) -> tuple[int, bool]:
        closed = self._closure(self._set_list[set_id], before, current, is_last)
        matched = any(self._kind[state] == _MATCH for state in closed)
        following: set[int] = set()
        if current is not None:
            for state in closed:
                if self._kind[state] == _CHAR and self._arg[state](current):
                    following.add(self._out[state])
            if search:
                following.add(self._start)
        return self._intern(frozenset(following)), matched

    def _run(self, text: str, *, search: bool) -> bool:
        if len(self._steps) > MAX_CACHED_STEPS:
            self._steps.clear()  # bounded memory; results are recomputed, still linear
        steps = self._steps
        set_id = self._intern(frozenset([self._start]))
        empty = self._intern(frozenset())
        before = _AT_START
        last_index = len(text) - 1
        for index, char in enumerate(text):
            if set_id == empty:
                return False
            key: tuple[int, bool, int, str, bool] | tuple[int, bool, str]
            if self._uses_context:
                key = (set_id, search, before, char, index == last_index)
            else:
                key = (set_id, search, char)
            outcome = steps.get(key)
            if outcome is None:
                outcome = self._step(set_id, before, char, index == last_index, search)
                steps[key] = outcome
            set_id, matched = outcome
            if matched and search:
                return True
            if self._uses_context:
                before = _before_class(char)
        _, matched = self._step(set_id, before, None, True, search)
        return matched

    def search(self, text: str) -> bool:
        """True if the pattern matches anywhere in ``text`` (like ``re.search``)."""
        return self._run(text, search=True)

    def fullmatch(self, text: str) -> bool:
        """True if the pattern matches all of ``text`` (like ``re.fullmatch``)."""
        return self._run(text, search=False)


@lru_cache(maxsize=256)
def compile_safe(pattern: str, flags: int = 0) -> SafeRegex:
    """A cached :class:`SafeRegex` (dataset rows repeat the same few patterns)."""
    return SafeRegex(pattern, flags)
