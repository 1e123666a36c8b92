"""Lambda entry point of the code-execution grader (tagged ``rft:grader=code``): ``graders.code_handler.handler``.

Settings come from the environment on the first invocation (``CODE_*``, see
``graders/code_exec/README.md``). Items of a batch run in parallel up to the function's vCPUs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from graders.contract import GradeMany
from graders.handler_kit import GraderKit, local_context

kit = GraderKit("code")


def build_grader(environ: Mapping[str, str]) -> GradeMany:
    from graders.code_exec.grader import CodeGrader

    return CodeGrader.from_environment(environ).grade_samples


@cache
def grader() -> GradeMany:
    return build_grader(os.environ)


@local_context
@kit.metrics.log_metrics
@kit.logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    return kit.grade(event, context, grader)
