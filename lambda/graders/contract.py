"""The Bedrock RFT grader contract: parse a batch, grade each item safely, build results.

Bedrock invokes a grader with a JSON array of samples and expects one result per sample,
in the same order, each echoing its ``id``. An exception fails the whole batch (and Bedrock
retries it), so a bad item scores 0 with a logged reason instead. See
``reference/bedrock-rft-contract.md`` section 2 for the sources of these rules.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LOGGER = logging.getLogger("graders")

ASSISTANT_ROLES = frozenset({"assistant", "nova_assistant"})
# Time kept back from the Lambda deadline to serialise and return the response.
RESPONSE_RESERVE_SECONDS = 1.0
# Item keys that are the sample itself, never dataset fields.
ITEM_KEYS = frozenset({"id", "messages", "metadata"})
# CloudWatch and Powertools accept metric names of 1-255 characters; the handlers publish each
# ``metrics_list`` name as ``Check.<name>``, so names stay short enough for that prefix too.
CLOUDWATCH_NAME_LIMIT = 255
CHECK_PREFIX = "Check."
MAX_METRIC_NAME_CHARS = CLOUDWATCH_NAME_LIMIT - len(CHECK_PREFIX)
NAME_HASH_CHARS = 8


class BatchError(ValueError):
    """The event as a whole is not a grader batch (not a list of objects)."""


class GraderConfigurationError(RuntimeError):
    """The grader cannot work at all with its configuration (e.g. the judge model is not usable).

    Raised out of the handler on purpose: Bedrock retries the batch and then fails the job visibly,
    instead of training for hours on rewards that carry no signal.
    """


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
        """A dataset field: the row's own (``metadata`` over top-level fields, see :func:`row_fields`),
        then one from an object ``reference_answer``."""
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


# Reasoning models write their thinking first and close it with one of these tags (DeepSeek-R1 and Qwen3
# ``</think>``; prompts that ask for ``<thinking>`` or ``<reasoning>``).
_REASONING_END = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)


def final_answer(text: str) -> str:
    """What follows the model's reasoning (the last closing reasoning tag), else the whole text: drafts written
    while thinking are not the answer, and the answer is what every grader reads."""
    ends = [match.end() for match in _REASONING_END.finditer(text)]
    return text[ends[-1] :] if ends else text


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


def unwrap_event(event: Any) -> tuple[list[Any], Callable[[list[dict[str, Any]]], Any]]:
    """(samples, wrap_response) for every request shape AWS documents or shows.

    Nova and open-weight reward-function pages: a JSON array of samples, answered with the array of results.
    AWS's open-weight RFT sample also accepts ``{"trajectories": [...]}`` and answers it with the bare array too,
    so the response envelope is the same array for every shape (docs/open-weight.md names the pages).
    """
    return batch_items(event), _results_array


def _results_array(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return results


def item_id(raw: Any) -> Any:
    """The item's ``id`` exactly as sent (Bedrock sends strings; other JSON values are echoed as they are)."""
    if isinstance(raw, Mapping) and raw.get("id") is not None:
        return raw["id"]
    return ""


def row_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The dataset row's fields in either payload shape Bedrock and AWS samples use.

    The Bedrock guide nests them under ``metadata``; the SageMaker/Nova guides and AWS's sample
    graders pass the row as it is, fields at the top level. Both are read: the item's own fields
    other than ``id`` and ``messages``, overlaid by ``metadata`` (metadata wins). ``null`` is absent.
    """
    fields = {
        key: value for key, value in raw.items() if isinstance(key, str) and key not in ITEM_KEYS and value is not None
    }
    metadata = raw.get("metadata")
    if isinstance(metadata, Mapping):
        fields.update((str(key), value) for key, value in metadata.items() if value is not None)
    return fields


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
    metadata = row_fields(raw)
    reference = metadata.get("reference_answer")
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


def metric_name(name: Any) -> str:
    """A name valid in ``metrics_list`` and CloudWatch: text without control characters, not blank,
    at most :data:`MAX_METRIC_NAME_CHARS`; a longer one keeps its start plus a short hash of the whole,
    so two long names that share a start stay apart."""
    text = name if isinstance(name, str) else str(name)
    cleaned = "".join("_" if unicodedata.category(ch)[0] == "C" else ch for ch in text).strip() or "unnamed"
    if len(cleaned) <= MAX_METRIC_NAME_CHARS:
        return cleaned
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:NAME_HASH_CHARS]
    return f"{cleaned[: MAX_METRIC_NAME_CHARS - NAME_HASH_CHARS - 1]}~{digest}"


def _metric_entries(grade: Grade) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    used: set[str] = set()
    for kind, values in (("Reward", grade.rewards), ("Metric", grade.metrics)):
        for raw_name, value in values.items():
            name = metric_name(raw_name)
            if name in used:  # two names that clean to the same text: keep both, apart
                base = name[: MAX_METRIC_NAME_CHARS - NAME_HASH_CHARS - 4]
                for n in range(2, 10_000):
                    candidate = f"{base}~{n}"
                    if candidate not in used:
                        name = candidate
                        break
            used.add(name)
            entries.append({"name": name, "value": _finite(value), "type": kind})
    return entries


def result(sample_id: Any, grade: Grade) -> dict[str, Any]:
    """The response object for one sample, in the exact shape Bedrock documents."""
    metrics = _metric_entries(grade)
    out: dict[str, Any] = {"id": sample_id, "aggregate_reward_score": _finite_unit(grade.score)}
    if metrics:
        out["metrics_list"] = metrics
    return out


def zero(reason: str, **metrics: float) -> Grade:
    return Grade(score=0.0, metrics=dict(metrics), reason=reason)


class Deadline:
    """Time left for a batch, from the Lambda context when there is one (else unlimited).

    ``budget_seconds`` caps it further; :meth:`earlier` gives a deadline some seconds before this one
    (the composite's judge part, which must hand its grades back before the batch stops waiting).
    """

    def __init__(self, context: Any = None, *, budget_seconds: float | None = None) -> None:
        remaining = None
        getter = getattr(context, "get_remaining_time_in_millis", None)
        if callable(getter):
            try:
                remaining = float(getter()) / 1000.0
            except Exception:  # a broken context must not break grading
                remaining = None
        if budget_seconds is not None:
            remaining = budget_seconds if remaining is None else min(remaining, budget_seconds)
        self._end = None if remaining is None else time.monotonic() + remaining - RESPONSE_RESERVE_SECONDS

    def earlier(self, *, by: float) -> Deadline:
        """The same deadline, ``by`` seconds sooner (an unlimited one stays unlimited)."""
        sooner = Deadline()
        sooner._end = None if self._end is None else self._end - by
        return sooner

    def remaining(self) -> float:
        return float("inf") if self._end is None else self._end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def within(self, seconds: float) -> float:
        """The time one step may take: its own limit ``seconds``, cut to what is left (never negative)."""
        return max(0.0, min(seconds, self.remaining()))


Result = dict[str, Any]
GradeFn = Callable[[Sample], Grade]
# A batch grader: parsed samples and the batch's deadline -> one Grade per sample, in order.
GradeMany = Callable[[Sequence[Sample], Deadline], Sequence[Grade]]
NOT_IN_TIME = "not graded: the Lambda's remaining time ran out"


def grade_safely(grade_one: GradeFn, sample: Sample) -> Grade:
    """``grade_one(sample)``; any failure becomes score 0 with the reason (never let one answer fail a batch)."""
    try:
        return grade_one(sample)
    except ItemError as exc:
        return zero(f"malformed item: {exc}", malformed=1.0)
    except Exception as exc:
        LOGGER.exception("grader raised on item %s", sample.id)
        return zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0)


def per_item(grade_one: GradeFn) -> GradeMany:
    """A per-item grader lifted to a batch one: items in order, those left when the deadline passes score 0."""

    def grade_many(samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        grades = []
        for sample in samples:
            if deadline.expired():
                LOGGER.warning("item %s not graded: deadline reached", sample.id)
                grades.append(zero(NOT_IN_TIME, timed_out=1.0))
            else:
                grades.append(grade_safely(grade_one, sample))
        return grades

    return grade_many


def run_batch(items: Sequence[Any], grade_many: GradeMany, deadline: Deadline, *, grader: str) -> list[Result]:
    """The one batch loop of every grader: one result per item, in order, each echoing its ``id``.

    A malformed item scores 0 with the reason; the well-formed ones go to ``grade_many`` together. If
    ``grade_many`` raises anyway (or miscounts), every one of them scores 0 with the reason rather than
    failing the batch; a :class:`GraderConfigurationError` does fail it, so a misconfigured job stops visibly.
    """
    grades: list[Grade | None] = [None] * len(items)
    samples: list[Sample] = []
    positions: list[int] = []
    for index, raw in enumerate(items):
        try:
            samples.append(parse_sample(raw))
            positions.append(index)
        except ItemError as exc:
            grades[index] = zero(f"malformed item: {exc}", malformed=1.0)
    if samples:
        try:
            graded = list(grade_many(samples, deadline))
            if len(graded) != len(samples):
                raise RuntimeError(f"{len(graded)} grades for {len(samples)} samples")
        except GraderConfigurationError as exc:
            LOGGER.error("grader configuration error", extra={"grader": grader, "reason": str(exc)})
            raise
        except Exception as exc:  # a bug while grading must not fail the whole batch
            LOGGER.exception("batch grader raised", extra={"grader": grader})
            graded = [zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0)] * len(samples)
        for index, grade in zip(positions, graded):
            grades[index] = grade
    results = []
    for raw, maybe in zip(items, grades):
        grade = maybe or zero("grader error: item was not graded", grader_error=1.0)
        if grade.reason:
            LOGGER.info("item %s scored %.3f: %s", item_id(raw), _finite_unit(grade.score), grade.reason)
        results.append(result(item_id(raw), grade))
    return results
