"""Runtime settings of the math grader read from the Lambda environment.

``MATH_TOLERANCE_RELATIVE`` / ``MATH_TOLERANCE_ABSOLUTE`` opt in to a numeric tolerance for
datasets whose references are rounded (financial QA): a plain-number answer is right when
``|answer - reference| <= max(relative * |reference|, absolute)``. Unset (the default), plain
numbers follow the exact rule of :mod:`.numeric`: integers exactly, decimals within 1e-4
relative and agreeing at 6 places.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .numeric import Tolerance

ENV_RELATIVE = "MATH_TOLERANCE_RELATIVE"
ENV_ABSOLUTE = "MATH_TOLERANCE_ABSOLUTE"
MAX_RELATIVE = 0.1  # beyond 10 % a "tolerance" rewards wrong answers
MAX_ABSOLUTE = 1e9


@dataclass(frozen=True)
class MathSettings:
    tolerance_relative: float | None = None  # e.g. 0.01 for 1 %; None: the exact default rule
    tolerance_absolute: float | None = None  # e.g. 0.5 for references rounded to units

    def __post_init__(self) -> None:
        for name, value, high in (
            ("tolerance_relative", self.tolerance_relative, MAX_RELATIVE),
            ("tolerance_absolute", self.tolerance_absolute, MAX_ABSOLUTE),
        ):
            if value is not None and not (math.isfinite(value) and 0.0 <= value <= high):
                raise ValueError(f"{name} must be in [0, {high:g}], got {value!r}")

    @property
    def tolerance(self) -> Tolerance | None:
        if self.tolerance_relative is None and self.tolerance_absolute is None:
            return None
        return Tolerance(relative=self.tolerance_relative or 0.0, absolute=self.tolerance_absolute or 0.0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MathSettings:
        environ = os.environ if environ is None else environ
        return cls(tolerance_relative=_number(environ, ENV_RELATIVE), tolerance_absolute=_number(environ, ENV_ABSOLUTE))

    def to_env(self) -> dict[str, str]:
        env = {}
        if self.tolerance_relative is not None:
            env[ENV_RELATIVE] = repr(float(self.tolerance_relative))
        if self.tolerance_absolute is not None:
            env[ENV_ABSOLUTE] = repr(float(self.tolerance_absolute))
        return env


def _number(environ: Mapping[str, str], name: str) -> float | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
