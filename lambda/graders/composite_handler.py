"""Lambda entry point of the composite grader (``graders.composite_handler.handler``).

Configuration (environment): ``COMPOSITE_WEIGHTS``, ``COMPOSITE_DEFAULT_GRADERS``, plus the format
(``FORMAT_*``) and judge (``JUDGE_*``) variables for those components. Nothing heavy is imported at
module load. On the first invocation the settings of the components the configuration uses (in the
default set or with a positive weight) are checked, so a configuration mistake fails the batch
visibly, as it does in the stand-alone graders; the judge's boto3 client and any component only a
row can ask for are built when first needed. The math component grades each item within the time
the batch has left, so an item started just before the deadline stops at it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cache, partial
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from graders.contract import Deadline, Grade, GradeMany, Sample
from graders.handler_kit import GraderKit, local_context

kit = GraderKit("composite")


class MathComponent:
    """The math grader, kept within each batch's deadline: every item is graded with the time the
    batch has left (``grade_within``), so one started just before the deadline stops at it."""

    def __init__(self) -> None:
        self._deadline: Deadline | None = None

    def start_batch(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def build(self) -> Any:
        from graders.math_answer.grader import grade_within

        def grade(sample: Any) -> Any:
            # The Deadline already keeps the response reserve back.
            return grade_within(sample, self._deadline.remaining() if self._deadline is not None else float("inf"))

        return grade


def build_format(env: Mapping[str, str]) -> Any:
    from graders.format_rules import grader as format_grader

    # The grader object validates the FORMAT_* settings when built.
    return format_grader.FormatGrader.from_settings(format_grader.FormatSettings.from_environment(env))


def judge_settings(env: Mapping[str, str]) -> Any:
    from graders.judge.rubric import load_rubric
    from graders.judge.settings import settings_from_env

    settings = settings_from_env(env)
    load_rubric(settings.rubric, settings.custom_rubric)  # an unknown rubric is a configuration error
    return settings


def build_judge(settings: Any) -> Any:
    from graders.judge.client import make_runtime_client
    from graders.judge.grader import JudgeGrader

    return JudgeGrader(client=make_runtime_client(settings), settings=settings).grade_samples


def build_composite(env: Mapping[str, str]) -> GradeMany:
    from graders.composite import CompositeGrader, row_checks, settings_from_env

    settings = settings_from_env(env)
    # Components of weight 0 never run (the catalogue's one rule), so only weighted ones are checked up front.
    used = {name for name, weight in settings.weights.items() if weight > 0}
    math = MathComponent()
    builders: dict[str, Any] = {
        "math": math.build,
        "format": partial(build_format, env),
        "judge": lambda: build_judge(judge_settings(env)),
    }
    if "format" in used:
        format_grader = build_format(env)
        builders["format"] = lambda: format_grader
    if "judge" in used:
        checked = judge_settings(env)
        builders["judge"] = lambda: build_judge(checked)
    composite = CompositeGrader(settings=settings, builders=builders, applies=row_checks(settings))

    def grade_samples(samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        math.start_batch(deadline)
        return composite.grade_samples(samples, deadline)

    return grade_samples


@cache
def grader() -> GradeMany:
    return build_composite(dict(os.environ))


@local_context
@kit.metrics.log_metrics
@kit.logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    return kit.grade(event, context, grader)
