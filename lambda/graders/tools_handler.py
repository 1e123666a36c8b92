"""Lambda entry point of the tool-call grader (tagged ``rft:grader=tools``): ``graders.tools_handler.handler``.

Settings from the environment on the first invocation: ``TOOLS_ORDERED`` (``false``), ``TOOLS_WEIGHTS``
(``name=0.2,argument_names=0.3,argument_values=0.4,schema_valid=0.1``), ``TOOLS_WRONG_CALL_CREDIT`` (``0.5``).
See graders/tool_calls/README.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from graders.contract import GradeMany, per_item
from graders.handler_kit import GraderKit, local_context

kit = GraderKit("tools")


def build_grader(environ: Mapping[str, str]) -> GradeMany:
    from graders.tool_calls.grader import ToolCallGrader

    return per_item(ToolCallGrader.from_environment(environ))


@cache
def grader() -> GradeMany:
    return build_grader(os.environ)


@local_context
@kit.metrics.log_metrics
@kit.logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    return kit.grade(event, context, grader)
