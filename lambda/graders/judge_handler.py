"""Lambda entry point of the LLM-judge grader (``graders.judge_handler.handler``).

Configuration (environment): ``JUDGE_MODEL_ID``, ``JUDGE_RUBRIC``, ``JUDGE_CUSTOM_RUBRIC``,
``JUDGE_MAX_CONCURRENCY`` and the tuning variables in ``graders.judge.settings``. The Bedrock runtime
client is built on the first invocation and reused for the life of the process.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from graders.contract import GradeMany
from graders.handler_kit import GraderKit, local_context

kit = GraderKit("judge")


@cache
def grader() -> GradeMany:
    from graders.judge.client import make_runtime_client
    from graders.judge.grader import JudgeGrader
    from graders.judge.settings import settings_from_env

    settings = settings_from_env(os.environ)
    return JudgeGrader(client=make_runtime_client(settings), settings=settings).grade_samples


@local_context
@kit.metrics.log_metrics
@kit.logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    return kit.grade(event, context, grader)
