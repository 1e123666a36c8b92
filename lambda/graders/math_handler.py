"""Lambda entry point of the math grader (tagged ``rft:grader=math``): ``graders.math_handler.handler``.

Kept thin and cheap to import: the grader is built on the first invocation and sympy /
Math-Verify load only when an answer needs them. Each item's symbolic time limit shrinks with
the batch's remaining time.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from .contract import GradeMany
from .handler_kit import GraderKit, local_context

kit = GraderKit("math")


@cache
def grader() -> GradeMany:
    from .math_answer.grader import MathGrader

    return MathGrader.from_env().grade_samples


@local_context
@kit.metrics.log_metrics
@kit.logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    return kit.grade(event, context, grader)
