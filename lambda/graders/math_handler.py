"""Lambda entry point of the math grader (tagged ``rft:grader=math``): ``graders.math_handler.handler``.

Kept thin and cheap to import: the grader is built on the first invocation and sympy /
Math-Verify load only when an answer needs them.
"""

from __future__ import annotations

from typing import Any

from .math_answer.timelimit import Budget
from .observability import grader_factory, make_handler

# Shared with the grader so each item's time limit shrinks with the Lambda's remaining time.
_BUDGET = Budget()


@grader_factory
def _build_grader():
    from .math_answer.grader import MathGrader

    return MathGrader.from_env(budget=_BUDGET)


_grade_batch = make_handler("math", _build_grader)


def handler(event: Any, context: Any = None) -> list[dict]:
    _BUDGET.start(context)
    return _grade_batch(event, context)


handler.grader = "math"  # type: ignore[attr-defined]
