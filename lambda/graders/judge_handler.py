"""Lambda entry point of the LLM-judge grader (``graders.judge_handler.handler``).

Configuration (environment): ``JUDGE_MODEL_ID``, ``JUDGE_RUBRIC``, ``JUDGE_CUSTOM_RUBRIC``,
``JUDGE_MAX_CONCURRENCY`` and the tuning variables in ``graders.judge.settings``. The Bedrock runtime
client is built on the first invocation and reused for the life of the process.
"""

from __future__ import annotations

import os

from graders.observability import BatchGradeFn, grader_factory, make_batch_handler


@grader_factory
def build_judge() -> BatchGradeFn:
    from graders.judge.client import make_runtime_client
    from graders.judge.grader import JudgeGrader
    from graders.judge.settings import settings_from_env

    settings = settings_from_env(os.environ)
    return JudgeGrader(client=make_runtime_client(settings), settings=settings).grade_batch


handler = make_batch_handler("judge", build_judge)
