"""Lambda entry point of the composite grader (``graders.composite_handler.handler``).

Configuration (environment): ``COMPOSITE_WEIGHTS``, ``COMPOSITE_DEFAULT_GRADERS``, plus the format
(``FORMAT_*``), judge (``JUDGE_*``), code (``CODE_*``) and tools (``TOOLS_*``) variables for those
components. Nothing heavy is imported at module load. On the first invocation the settings of the
components the configuration uses (with a positive weight) are checked, so a configuration mistake
fails the batch visibly, as it does in the stand-alone graders; the judge's boto3 client, the code
grader's sandbox (which makes this process a subreaper and sweeps its scratch folders) and any
component only a row can ask for are built when first needed, and a component of weight 0 is never
built. The math and code components grade each item within the time the batch has left, so an item
started just before the deadline stops at it.

A composite that weights ``code`` runs model-written programs: the stack deploys it like the code
grader, with no network path and a role that can only write its logs (``graders.catalog.is_isolated``).
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


class CodeComponent:
    """The code-execution grader, each item within the batch's remaining time (``CodeGrader.grade``)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._deadline: Deadline | None = None

    def start_batch(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def settings(self) -> Any:
        from graders.code_exec.grader import CodeSettings

        return CodeSettings.from_environment(self._env)  # raises on a bad CODE_* setting

    def build(self, settings: Any = None) -> Any:
        from graders.code_exec.grader import CodeGrader

        grader = CodeGrader(settings if settings is not None else self.settings())

        def grade(sample: Any) -> Any:
            return grader.grade(sample, self._deadline)

        return grade


def build_tools(env: Mapping[str, str], settings: Any = None) -> Any:
    from graders.tool_calls.grader import ToolCallGrader, ToolSettings

    return ToolCallGrader(settings if settings is not None else ToolSettings.from_environment(env)).grade


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
    code = CodeComponent(env)
    builders: dict[str, Any] = {
        "math": math.build,
        "format": partial(build_format, env),
        "judge": lambda: build_judge(judge_settings(env)),
        "code": code.build,
        "tools": partial(build_tools, env),
    }
    if "format" in used:
        format_grader = build_format(env)
        builders["format"] = lambda: format_grader
    if "judge" in used:
        checked = judge_settings(env)
        builders["judge"] = lambda: build_judge(checked)
    if "code" in used:  # settings checked now; the sandbox is set up when a code row first comes
        code_settings = code.settings()
        builders["code"] = partial(code.build, code_settings)
    if "tools" in used:
        tools_settings = _tool_settings(env)
        builders["tools"] = partial(build_tools, env, tools_settings)
    # Weight 0: never run (CompositeGrader drops such components from every row), so never built either.
    builders = {name: build for name, build in builders.items() if name in used}
    composite = CompositeGrader(settings=settings, builders=builders, applies=row_checks(settings))

    def grade_samples(samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        math.start_batch(deadline)
        code.start_batch(deadline)
        return composite.grade_samples(samples, deadline)

    return grade_samples


def _tool_settings(env: Mapping[str, str]) -> Any:
    from graders.tool_calls.grader import ToolSettings

    return ToolSettings.from_environment(env)


@cache
def grader() -> GradeMany:
    return build_composite(dict(os.environ))


@local_context
@kit.metrics.log_metrics
@kit.logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    return kit.grade(event, context, grader)
