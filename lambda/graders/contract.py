"""The Bedrock RFT grader contract: parse a batch, grade each item safely, build results.

Bedrock invokes a grader with a JSON array of samples and expects one result per sample,
in the same order, each echoing its ``id``. An exception fails the whole batch (and Bedrock
retries it), so a bad item scores 0 with a logged reason instead. See
``reference/bedrock-rft-contract.md`` section 2 for the sources of these rules.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

LOGGER = logging.getLogger("graders")

ASSISTANT_ROLES = frozenset({"assistant", "nova_assistant"})
# Time kept back from the Lambda deadline to serialise and return the response.
RESPONSE_RESERVE_SECONDS = 1.0


class BatchError(ValueError):
    """The event as a whole is not a grader batch (not a list of objects)."""


@dataclass(frozen=True)
class Sample:
    """One prompt/answer pair to grade, normalised from the shapes Bedrock and AWS samples use."""

    id: Any
    messages: tuple[Mapping[str, Any], ...]
    response: str
    reference_answer: Any
    metadata: Mapping[str, Any]

    @property
    def prompt(self) -> str:
        """The text of the turns before the generated answer (system and user)."""
        return "\n\n".join(message_text(m) for m in self.messages[:-1])

    @property
    def last_user_prompt(self) -> str:
        for message in reversed(self.messages[:-1]):
            if message.get("role") == "user":
                return message_text(message)
        return ""

    @property
    def last_message(self) -> Mapping[str, Any]:
        """The generated turn exactly as sent (its ``tool_calls``, not only its text)."""
        return self.messages[-1] if self.messages else {}

    def field(self, name: str, default: Any = None) -> Any:
        """A dataset field: from ``metadata`` first, then from an object ``reference_answer``."""
        if name in self.metadata:
            return self.metadata[name]
        if isinstance(self.reference_answer, Mapping) and name in self.reference_answer:
            return self.reference_answer[name]
        return default


@dataclass
class Grade:
    """What a grader says about one sample. ``score`` is clamped to [0, 1] on output."""

    score: float
    metrics: dict[str, float] = field(default_factory=dict)  # type "Metric"
    rewards: dict[str, float] = field(default_factory=dict)  # type "Reward"
    reason: str | None = None


class ItemError(ValueError):
    """One item cannot be graded; it scores 0 and the message is logged."""


def message_text(message: Mapping[str, Any]) -> str:
    """Content as text: a string, or the text of a list of ``{"type": "text", "text": ...}`` blocks."""
    content = message.get("content") if isinstance(message, Mapping) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, Mapping) and isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "".join(parts)
    return ""


def batch_items(event: Any) -> list[Any]:
    """The list of samples in an event: a bare array, or one wrapped under ``trajectories``."""
    if isinstance(event, Mapping) and isinstance(event.get("trajectories"), list):
        event = event["trajectories"]
    if not isinstance(event, list):
        raise BatchError(f"grader event must be a JSON array of samples, got {type(event).__name__}")
    return event


def item_id(raw: Any) -> Any:
    """The item's ``id`` exactly as sent (Bedrock sends strings; other JSON values are echoed as they are)."""
    if isinstance(raw, Mapping) and raw.get("id") is not None:
        return raw["id"]
    return ""


def parse_sample(raw: Any) -> Sample:
    """Normalise one batch item or raise :class:`ItemError` saying what is wrong with it."""
    if not isinstance(raw, Mapping):
        raise ItemError(f"item is {type(raw).__name__}, not an object")
    messages = raw.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ItemError("item has no 'messages' list")
    if not all(isinstance(m, Mapping) for m in messages):
        raise ItemError("'messages' holds a value that is not an object")
    last = messages[-1]
    if last.get("role") not in ASSISTANT_ROLES:
        raise ItemError(f"last message has role {last.get('role')!r}, not the generated assistant turn")
    metadata = raw.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
    reference = metadata.get("reference_answer", raw.get("reference_answer"))
    return Sample(
        id=item_id(raw),
        messages=tuple(messages),
        response=message_text(last),
        reference_answer=reference,
        metadata=metadata,
    )


def _finite_unit(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(number):
        return 0.0
    return min(1.0, max(0.0, number))


def _finite(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def result(sample_id: Any, grade: Grade) -> dict[str, Any]:
    """The response object for one sample, in the exact shape Bedrock documents."""
    metrics = [{"name": n, "value": _finite(v), "type": "Reward"} for n, v in grade.rewards.items()]
    metrics += [{"name": n, "value": _finite(v), "type": "Metric"} for n, v in grade.metrics.items()]
    out: dict[str, Any] = {"id": sample_id, "aggregate_reward_score": _finite_unit(grade.score)}
    if metrics:
        out["metrics_list"] = metrics
    return out


def zero(reason: str, **metrics: float) -> Grade:
    return Grade(score=0.0, metrics=dict(metrics), reason=reason)


class Deadline:
    """Time left for a batch, from the Lambda context when there is one."""

    def __init__(self, context: Any = None, *, budget_seconds: float | None = None) -> None:
        remaining = None
        getter = getattr(context, "get_remaining_time_in_millis", None)
        if callable(getter):
            try:
                remaining = getter() / 1000.0
            except Exception:  # a broken context must not break grading
                remaining = None
        if budget_seconds is not None:
            remaining = budget_seconds if remaining is None else min(remaining, budget_seconds)
        self._end = None if remaining is None else time.monotonic() + remaining - RESPONSE_RESERVE_SECONDS

    def remaining(self) -> float:
        return float("inf") if self._end is None else self._end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


GradeFn = Callable[[Sample], Grade]


def safe_grade(grade_one: GradeFn, raw: Any, *, grader: str) -> dict[str, Any]:
    """Grade one raw item; any failure becomes score 0 with the reason logged."""
    sample_id = item_id(raw)
    try:
        grade = grade_one(parse_sample(raw))
    except ItemError as exc:
        grade = zero(f"malformed item: {exc}", malformed=1.0)
    except Exception as exc:  # never let one answer fail the batch
        LOGGER.exception("grader %s raised on item %s", grader, sample_id)
        grade = zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0)
    if grade.reason:
        LOGGER.info("item %s scored %.3f: %s", sample_id, _finite_unit(grade.score), grade.reason)
    return result(sample_id, grade)


def grade_batch(event: Any, grade_one: GradeFn, *, grader: str, deadline: Deadline | None = None) -> list[dict]:
    """Grade every item in order; items left when the deadline passes score 0 with a reason."""
    items = batch_items(event)
    deadline = deadline or Deadline()
    results = []
    for raw in items:
        if deadline.expired():
            grade = zero("not graded: the Lambda's remaining time ran out", timed_out=1.0)
            LOGGER.warning("item %s not graded: deadline reached", item_id(raw))
            results.append(result(item_id(raw), grade))
            continue
        results.append(safe_grade(grade_one, raw, grader=grader))
    return results


def scores(results: Iterable[Mapping[str, Any]]) -> list[float]:
    return [float(r["aggregate_reward_score"]) for r in results]
