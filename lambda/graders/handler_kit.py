"""The grader Lambdas' handler kit: Powertools logging and reward metrics around the one batch loop.

A grader module is written like the Powertools cookbook's handlers::

    kit = GraderKit("math")

    @functools.cache
    def grader() -> GradeMany:  # built on the first invocation, so heavy set-up stays off the import
        ...

    @local_context
    @kit.metrics.log_metrics
    @kit.logger.inject_lambda_context
    def handler(event: Any, context: LambdaContext) -> list[Result]:
        return kit.grade(event, context, grader)

Each batch emits, under namespace :data:`graders.METRICS_NAMESPACE` and the dimensions of
:func:`graders.metric_dimensions`: ``Reward`` (every item's score, so CloudWatch keeps the
distribution; Powertools publishes a document whenever a metric reaches 100 values), ``BatchSize``,
``ItemsGraded``, ``ItemsTimedOut``, ``ItemsMalformed`` and one ``Check.<name>`` value per per-check
metric averaged over the batch. Graders that call the judge model (the judge, the composite through
its judge part) also emit ``JudgeInputTokens`` and ``JudgeOutputTokens``: the batch's total tokens, so
a CloudWatch ``Sum`` is the usage over any period. ``JudgeErrors``, ``JudgeNeutralScores`` and
``ItemsWithoutConstraints`` count the batch's items with that flag set (emitted when not 0).
Observability never fails a batch.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from graders import (
    GRADER_DIMENSION,
    ITEMS_WITHOUT_CONSTRAINTS_METRIC,
    JUDGE_ERRORS_METRIC,
    JUDGE_INPUT_TOKENS_METRIC,
    JUDGE_NEUTRAL_SCORES_METRIC,
    JUDGE_OUTPUT_TOKENS_METRIC,
    METRICS_NAMESPACE,
    REWARD_METRIC,
    service_name,
)
from graders.contract import BatchError, Deadline, GradeMany, Result, run_batch, unwrap_event

SHAPE_LOG_EVERY = 100  # batches between two "batch shape" log lines of one container
# Per-item judge token counts (``input_tokens``, or ``judge.input_tokens`` in the composite) -> batch sums.
TOKEN_TOTALS = {"input_tokens": JUDGE_INPUT_TOKENS_METRIC, "output_tokens": JUDGE_OUTPUT_TOKENS_METRIC}
# Items whose flag is set (> 0) -> a per-batch count. Matched on the name's last part, so the composite's
# ``judge.neutral`` counts too.
FLAG_COUNTS = {
    "judge_error": JUDGE_ERRORS_METRIC,
    "neutral": JUDGE_NEUTRAL_SCORES_METRIC,
    "no_constraints": ITEMS_WITHOUT_CONSTRAINTS_METRIC,
}
MAX_CHECK_METRICS = 50  # Check.<name> metrics per batch, to keep the EMF document bounded

Handler = TypeVar("Handler", bound=Callable[..., Any])


class LocalContext:
    """What a local caller (``rft grade``, tests, benchmarks) passes for the Lambda context: the fields
    Powertools logs, and no deadline unless ``remaining_ms`` gives one."""

    function_name = "local"
    function_version = "$LATEST"
    memory_limit_in_mb = 0
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:local"
    aws_request_id = "local"
    get_remaining_time_in_millis: Callable[[], int] | None = None  # None: no deadline (see Deadline)

    def __init__(self, remaining_ms: int | None = None) -> None:
        if remaining_ms is not None:
            self.get_remaining_time_in_millis = lambda: remaining_ms


def local_context(handler: Handler) -> Handler:
    """Let ``handler(event)`` and ``handler(event, None)`` run outside Lambda: Powertools'
    ``inject_lambda_context`` reads the context's fields, which Lambda always passes."""

    @functools.wraps(handler)
    def call(event: Any, context: Any = None) -> Any:
        return handler(event, LocalContext() if context is None else context)

    return cast(Handler, call)


class GraderKit:
    """One grader's Powertools logger and metrics, and what every batch reports."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.logger = Logger(service=service_name(kind), logger_name="graders")
        self.metrics = Metrics(namespace=METRICS_NAMESPACE, service=service_name(kind))
        self.batches = 0

    def grade(self, event: Any, context: Any, grader: Callable[[], GradeMany]) -> Any:
        """Grade one invocation's batch with the batch grader ``grader()`` builds (a configuration error
        there fails the batch, on purpose), and report it."""
        deadline = Deadline(context)
        try:
            items, wrap = unwrap_event(event)  # a bare array or {"trajectories": [...]} (open-weight envelope)
        except BatchError as exc:
            self.logger.error("rejected batch", extra={"reason": str(exc)})
            raise
        self.received(items)
        results = run_batch(items, grader(), deadline, grader=self.kind)
        self.graded(results)
        return wrap(results)

    def received(self, items: Sequence[Any]) -> None:
        """Once per container, then every ``SHAPE_LOG_EVERY``-th batch: the batch size and the key structure
        of its first item (keys and value types, never content), to learn what the service really sends."""
        self.batches += 1
        if self.batches != 1 and self.batches % SHAPE_LOG_EVERY:
            return
        try:
            self.logger.info(
                "batch shape",
                extra={
                    "grader": self.kind,
                    "batch_size": len(items),
                    "batch_number": self.batches,
                    "first_item": key_structure(items[0]) if items else None,
                },
            )
        except Exception:  # observability never fails a batch
            pass

    def graded(self, results: Sequence[Result]) -> None:
        """Add the batch's metrics (``log_metrics`` publishes them) and log its mean reward."""
        try:
            report(self.metrics, self.kind, results)
            self.logger.info(
                "graded batch",
                extra={
                    "grader": self.kind,
                    "items": len(results),
                    "mean_reward": _mean(r["aggregate_reward_score"] for r in results),
                },
            )
        except Exception:  # metrics or logging must never fail a batch: the results still go back
            try:
                self.metrics.clear_metrics()
                self.logger.exception("could not report the batch's metrics")
            except Exception:
                pass


def key_structure(value: Any, depth: int = 0) -> Any:
    """The shape of a JSON value: keys and type names, lists by their first element; no content."""
    if depth >= 4:
        return type(value).__name__
    if isinstance(value, Mapping):
        return {str(key)[:64]: key_structure(item, depth + 1) for key, item in list(value.items())[:32]}
    if isinstance(value, list):
        return [key_structure(value[0], depth + 1)] if value else []
    return type(value).__name__


def _mean(values: Iterable[float]) -> float:
    listed = list(values)
    return sum(listed) / len(listed) if listed else 0.0


def report(metrics: Metrics, kind: str, results: Sequence[Result]) -> None:
    """The batch's metrics, added to ``metrics``; Powertools publishes a document whenever one metric
    reaches 100 values (keeping the dimensions) and the rest when ``log_metrics`` flushes."""
    metrics.add_dimension(name=GRADER_DIMENSION, value=kind)
    check_values: dict[str, list[float]] = defaultdict(list)
    counts = {"ItemsTimedOut": 0, "ItemsMalformed": 0}
    token_totals: dict[str, float] = {}
    flag_counts: dict[str, int] = {}
    for res in results:
        metrics.add_metric(name=REWARD_METRIC, unit=MetricUnit.NoUnit, value=res["aggregate_reward_score"])
        for entry in res.get("metrics_list", ()):
            check_values[entry["name"]].append(entry["value"])
            # Count an item only when its flag is set: the code grader reports timed_out=0 on every item.
            if entry["name"] == "timed_out" and entry["value"] > 0:
                counts["ItemsTimedOut"] += 1
            elif entry["name"] == "malformed" and entry["value"] > 0:
                counts["ItemsMalformed"] += 1
            token_metric = TOKEN_TOTALS.get(entry["name"].rsplit(".", 1)[-1])
            if token_metric:
                token_totals[token_metric] = token_totals.get(token_metric, 0.0) + entry["value"]
            flag_metric = FLAG_COUNTS.get(entry["name"].rsplit(".", 1)[-1])
            if flag_metric and entry["value"] > 0:
                flag_counts[flag_metric] = flag_counts.get(flag_metric, 0) + 1
    metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=len(results))
    metrics.add_metric(name="ItemsGraded", unit=MetricUnit.Count, value=len(results) - counts["ItemsTimedOut"])
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    for name, total in [*token_totals.items(), *flag_counts.items()]:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=total)
    for name, values in list(check_values.items())[:MAX_CHECK_METRICS]:
        metrics.add_metric(name=f"Check.{name}", unit=MetricUnit.NoUnit, value=_mean(values))
