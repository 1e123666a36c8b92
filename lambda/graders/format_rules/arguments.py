"""What every instruction builder shares: the check type, its row context, kwargs validation.

A builder turns an instruction's kwargs into a check (response text -> bool) once, so the
kwargs are validated before any response is looked at. Bad kwargs raise
:class:`BadKwargs`, which the grader turns into a 0 for that constraint with the message
as the reason. IFEval leaves kwargs it does not use as ``null`` (the Hugging Face copy of
the data lists every key for every instruction), so ``None`` values count as absent.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Check = Callable[[str], bool]

RELATIONS: dict[str, Callable[[int, int], bool]] = {
    "less than": operator.lt,
    "at least": operator.ge,
}


class BadKwargs(ValueError):
    """An instruction's kwargs cannot be used; the message says which and why."""


class CheckError(ValueError):
    """A check cannot judge this response (e.g. too long for it); it scores 0 with this reason."""


@dataclass(frozen=True)
class RowContext:
    """What a check may need from the dataset row besides the response."""

    last_user_prompt: str = ""


Builder = Callable[[Mapping[str, Any], RowContext], Check]


class KwargReader:
    """Reads kwargs one by one; :meth:`finish` rejects any that no reader asked for."""

    def __init__(self, kwargs: Any) -> None:
        if kwargs is None:
            kwargs = {}
        if not isinstance(kwargs, Mapping):
            raise BadKwargs(f"kwargs must be an object, got {type(kwargs).__name__}")
        self._values = {key: value for key, value in kwargs.items() if value is not None}
        self._read: set[str] = set()

    def _get(self, name: str) -> Any:
        self._read.add(name)
        return self._values.get(name)

    def _require(self, name: str) -> Any:
        value = self._get(name)
        if value is None:
            raise BadKwargs(f"missing kwarg {name!r}")
        return value

    def count(self, name: str) -> int:
        """A non-negative whole number (``3`` or ``3.0``; not ``true``, not ``"3"``)."""
        value = self._require(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadKwargs(f"kwarg {name!r} must be a whole number, got {value!r}")
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise BadKwargs(f"kwarg {name!r} must be a whole number, got {value!r}")
        if value < 0:
            raise BadKwargs(f"kwarg {name!r} must not be negative, got {value!r}")
        return int(value)

    def relation(self, name: str) -> Callable[[int, int], bool]:
        value = self._require(name)
        if not isinstance(value, str) or value not in RELATIONS:
            raise BadKwargs(f"kwarg {name!r} must be one of {sorted(RELATIONS)}, got {value!r}")
        return RELATIONS[value]

    def text(self, name: str) -> str:
        """A string, stripped as IFEval strips it; empty is refused."""
        value = self._require(name)
        if not isinstance(value, str):
            raise BadKwargs(f"kwarg {name!r} must be a string, got {value!r}")
        if not value.strip():
            raise BadKwargs(f"kwarg {name!r} must not be empty")
        return value.strip()

    def optional_text(self, name: str) -> str | None:
        value = self._get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise BadKwargs(f"kwarg {name!r} must be a string, got {value!r}")
        return value

    def text_list(self, name: str) -> list[str]:
        """A non-empty list of non-empty strings (one string is taken as a list of one)."""
        value = self._require(name)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise BadKwargs(f"kwarg {name!r} must be a non-empty list of strings, got {value!r}")
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise BadKwargs(f"kwarg {name!r} must hold only non-empty strings, got {value!r}")
        return value

    def finish(self) -> None:
        unexpected = sorted(set(self._values) - self._read)
        if unexpected:
            raise BadKwargs(f"unexpected kwargs {unexpected}")


def no_kwargs(kwargs: Any) -> None:
    """For instructions that take none: anything given (other than null) is a mistake."""
    KwargReader(kwargs).finish()


def compared_count(kwargs: Any, counter: Callable[[str], int], *, count: str, relation: str) -> Check:
    """An instruction comparing a count in the response with ``count`` by ``relation`` ("less than" / "at least")."""
    args = KwargReader(kwargs)
    wanted = args.count(count)
    compare = args.relation(relation)
    args.finish()
    return lambda response: compare(counter(response), wanted)


def minimum_count(kwargs: Any, counter: Callable[[str], int], *, count: str) -> Check:
    """An instruction asking for at least ``count`` of something in the response."""
    args = KwargReader(kwargs)
    wanted = args.count(count)
    args.finish()
    return lambda response: counter(response) >= wanted
