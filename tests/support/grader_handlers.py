"""Grader Lambda handlers with their own settings (tests, benchmarks): the same kit and decorators as the
modules' ``handler``, but a grader built from the given environment instead of the process's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from graders.contract import GradeFn, GradeMany, per_item
from graders.handler_kit import GraderKit, local_context

Handler = Callable[..., Any]


def handler_with(kind: str, build: Callable[[], GradeMany]) -> Handler:
    """A handler for grader ``kind`` whose batch grader ``build()`` makes on the first call."""
    kit = GraderKit(kind)
    grader = cache(build)

    @local_context
    @kit.metrics.log_metrics
    @kit.logger.inject_lambda_context
    def handler(event: Any, context: Any) -> Any:
        return kit.grade(event, context, grader)

    return handler


def per_item_handler(kind: str, grade_one: GradeFn) -> Handler:
    return handler_with(kind, lambda: per_item(grade_one))


def code_handler_for(environ: Mapping[str, str]) -> Handler:
    from graders.code_handler import build_grader

    return handler_with("code", lambda: build_grader(environ))


def tools_handler_for(environ: Mapping[str, str]) -> Handler:
    from graders.tools_handler import build_grader

    return handler_with("tools", lambda: build_grader(environ))


def format_handler_for(environ: Mapping[str, str]) -> Handler:
    from graders.format_handler import build_format_grader

    grade_one = build_format_grader(environ)  # eager, as the tests expect a settings error here
    return per_item_handler("format", grade_one)
