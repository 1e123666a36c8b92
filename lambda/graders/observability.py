"""Structured logs and CloudWatch reward metrics (EMF) shared by every grader Lambda.

Each batch emits, under namespace ``BedrockRFT`` and dimension ``grader``:
``Reward`` (every item's score, so CloudWatch keeps the distribution), ``BatchSize``,
``ItemsGraded``, ``ItemsTimedOut``, ``ItemsMalformed`` and one ``Check.<name>`` value per
per-check metric averaged over the batch. Graders that call the judge model (the judge, the
composite through its judge part) also emit ``JudgeInputTokens`` and ``JudgeOutputTokens``: the
batch's total tokens, so a CloudWatch ``Sum`` is the usage over any period. ``JudgeErrors``,
``JudgeNeutralScores`` and ``ItemsWithoutConstraints`` count the batch's items with that flag set
(emitted when not 0): ``Check.<name>`` averages only the items that report the check, so it cannot give
a share of the batch.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .contract import (
    BatchError,
    Deadline,
    GradeFn,
    GraderConfigurationError,
    grade_batch,
    item_id,
    result,
    unwrap_event,
    zero,
)

METRICS_NAMESPACE = "BedrockRFT"
SHAPE_LOG_EVERY = 100  # batches between two "batch shape" log lines of one container
# EMF accepts at most 100 values per metric per document.
MAX_VALUES_PER_FLUSH = 100
# Per-item judge token counts (``input_tokens``, or ``judge.input_tokens`` in the composite) -> batch sums.
TOKEN_TOTALS = {"input_tokens": "JudgeInputTokens", "output_tokens": "JudgeOutputTokens"}
# Items whose flag is set (> 0) -> a per-batch count, emitted when not 0, for the reward-health shares
# (count / BatchSize). Matched on the name's last part, so the composite's ``judge.neutral`` counts too.
FLAG_COUNTS = {
    "judge_error": "JudgeErrors",
    "neutral": "JudgeNeutralScores",
    "no_constraints": "ItemsWithoutConstraints",
}


class _Instruments:
    """One grader's logger and metrics, and what every batch reports when it is graded."""

    def __init__(self, grader: str) -> None:
        self.grader = grader
        self.logger = Logger(service=f"rft-grader-{grader}", logger_name="graders")
        self.metrics = Metrics(
            namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE), service=f"rft-grader-{grader}"
        )
        self.batches = 0

    def rejected(self, exc: BatchError) -> None:
        self.logger.error("rejected batch", extra={"reason": str(exc)})

    def received(self, items: list) -> None:
        """Once per container, then every ``SHAPE_LOG_EVERY``-th batch: the batch size and the key structure
        of its first item (keys and value types, never content), to learn what the service really sends."""
        self.batches += 1
        if self.batches != 1 and self.batches % SHAPE_LOG_EVERY:
            return
        try:
            self.logger.info(
                "batch shape",
                extra={
                    "grader": self.grader,
                    "batch_size": len(items),
                    "batch_number": self.batches,
                    "first_item": key_structure(items[0]) if items else None,
                },
            )
        except Exception:  # observability never fails a batch
            pass

    def graded(self, results: list[dict]) -> list[dict]:
        try:
            _report(self.metrics, self.grader, results)
            self.logger.info(
                "graded batch",
                extra={
                    "grader": self.grader,
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
        return results


def key_structure(value: Any, depth: int = 0) -> Any:
    """The shape of a JSON value: keys and type names, lists by their first element; no content."""
    if depth >= 4:
        return type(value).__name__
    if isinstance(value, Mapping):
        return {str(key)[:64]: key_structure(item, depth + 1) for key, item in list(value.items())[:32]}
    if isinstance(value, list):
        return [key_structure(value[0], depth + 1)] if value else []
    return type(value).__name__


def _lazy(fn_or_factory: Callable) -> Callable[[], Callable]:
    """The grading function, built by its factory on first use (heavy set-up stays off the import)."""
    resolved: list[Callable] = []

    def get() -> Callable:
        if not resolved:
            resolved.append(fn_or_factory() if _is_factory(fn_or_factory) else fn_or_factory)
        return resolved[0]

    return get


def make_handler(grader: str, grade_one: GradeFn | Callable[[], GradeFn]) -> Callable[[Any, Any], list[dict]]:
    """A Lambda handler that grades a batch with ``grade_one`` and reports metrics.

    ``grade_one`` may be a factory (marked with :func:`grader_factory`) so heavy set-up happens
    on the first invocation, not at import.
    """
    instruments, grade_fn = _Instruments(grader), _lazy(grade_one)

    def handler(event: Any, context: Any = None) -> Any:
        try:
            items, wrap = unwrap_event(event)  # a bare array or {"trajectories": [...]} (open-weight envelope)
        except BatchError as exc:
            instruments.rejected(exc)
            raise
        instruments.received(items)
        results = grade_batch(items, grade_fn(), grader=grader, deadline=Deadline(context))
        return wrap(instruments.graded(results))

    handler.grader = grader  # type: ignore[attr-defined]
    return handler


BatchGradeFn = Callable[[list, Deadline], list[dict]]


def make_batch_handler(
    grader: str, grade_items: BatchGradeFn | Callable[[], BatchGradeFn]
) -> Callable[[Any, Any], list[dict]]:
    """Like :func:`make_handler` for graders that grade a whole batch at once (the judge runs its
    items concurrently). ``grade_items(items, deadline)`` must return one result per item, in order;
    if it raises anyway, every item scores 0 with the reason rather than failing the batch. A factory
    that fails (bad configuration) does fail the batch, so a misconfigured job stops visibly."""
    instruments, grade_fn = _Instruments(grader), _lazy(grade_items)

    def handler(event: Any, context: Any = None) -> Any:
        deadline = Deadline(context)
        try:
            items, wrap = unwrap_event(event)  # a bare array or {"trajectories": [...]} (open-weight envelope)
        except BatchError as exc:
            instruments.rejected(exc)
            raise
        instruments.received(items)
        grade_all = grade_fn()
        try:
            results = grade_all(items, deadline)
        except GraderConfigurationError as exc:  # e.g. the judge model is unusable: end the job visibly
            instruments.logger.error("grader configuration error", extra={"grader": grader, "reason": str(exc)})
            raise
        except Exception as exc:  # a bug while grading must not fail the whole batch
            instruments.logger.exception("batch grader raised", extra={"grader": grader})
            results = [
                result(item_id(raw), zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0))
                for raw in items
            ]
        return wrap(instruments.graded(results))

    handler.grader = grader  # type: ignore[attr-defined]
    return handler


def _is_factory(fn: Callable) -> bool:
    return getattr(fn, "is_grader_factory", False)


def grader_factory(fn: Callable[[], GradeFn]) -> Callable[[], GradeFn]:
    """Mark a zero-argument function as building the grade function lazily."""
    fn.is_grader_factory = True  # type: ignore[attr-defined]
    return fn


def _mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _report(metrics: Metrics, grader: str, results: list[dict]) -> None:
    metrics.add_dimension(name="grader", value=grader)
    check_values: dict[str, list[float]] = defaultdict(list)
    counts = {"ItemsTimedOut": 0, "ItemsMalformed": 0}
    token_totals: dict[str, float] = {}
    flag_counts: dict[str, int] = {}
    for index, res in enumerate(results):
        if index and index % MAX_VALUES_PER_FLUSH == 0:
            metrics.flush_metrics()
            metrics.add_dimension(name="grader", value=grader)
        metrics.add_metric(name="Reward", unit=MetricUnit.NoUnit, value=res["aggregate_reward_score"])
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
    for name, values in list(check_values.items())[:50]:  # keep the EMF document bounded
        metrics.add_metric(name=f"Check.{name}", unit=MetricUnit.NoUnit, value=_mean(values))
    metrics.flush_metrics()
