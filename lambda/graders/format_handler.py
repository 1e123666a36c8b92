"""Lambda entry point of the format grader (``graders.format_handler.handler``).

Configuration (environment, read once, on the first invocation):
``FORMAT_SCORING`` = ``fraction`` (default) | ``all_or_nothing``; ``FORMAT_LOOSE`` = ``true`` |
``false`` (default); ``FORMAT_DEFAULT_CONSTRAINTS`` = JSON constraints for rows that carry none,
e.g. ``{"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}``.
See ``docs/format-constraints.md`` for every supported constraint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from graders.contract import GradeFn, GradeMany, per_item
from graders.handler_kit import GraderKit, local_context

kit = GraderKit("format")


def build_format_grader(environ: Mapping[str, str]) -> GradeFn:
    from graders.format_rules import FormatGrader, FormatSettings

    return FormatGrader.from_settings(FormatSettings.from_environment(environ))


@cache
def grader() -> GradeMany:
    return per_item(build_format_grader(os.environ))


@local_context
@kit.metrics.log_metrics
@kit.logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    return kit.grade(event, context, grader)
