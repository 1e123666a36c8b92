"""The math grader: final-answer extraction, a numeric fast path, Math-Verify for the rest.

Importing this package is cheap: the grader's modules load on first use of a name below (the
Lambda handler builds the grader on its first invocation), and sympy and Math-Verify load on
the first answer that needs them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MathGrader", "MathGraderSettings", "MathSettings", "grade_within"]


def __getattr__(name: str) -> Any:
    if name == "MathSettings":
        from .settings import MathSettings

        return MathSettings
    if name in __all__:
        from . import grader

        return getattr(grader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
