"""The LLM judge: grade each answer with a Bedrock model through Converse, items of a batch in parallel.

Per item: answers that address the judge are detected; the judge still scores them (they are
delimited data to it) and the detection takes ``injection_penalty`` of that score away (at a full
penalty of 1 the item scores 0 without a call). The request is built from the rubric with the answer
in a nonce-tagged block; the call is retried on throttling and 5xx and never outlives the batch
deadline; an unusable verdict is asked for once more, then scores 0.

A judge call that fails is not the answer's fault, so it does not score 0. A configuration error
(no access, unknown or retired model) on every item the batch needed the judge for raises
:class:`JudgeConfigurationError`: the batch fails and Bedrock's retries end the job visibly, instead
of training on zeros. Otherwise a failed item gets a neutral score: the mean of the same prompt's
other samples the judge did grade in this batch, else ``error_score`` (reported as ``judge_error``
and ``neutral``).

The verdict is asked for in a JSON schema (Converse ``outputConfig``) where the model takes it; a
model that rejects it is asked again without it, and not asked with it again in this container.
Every call carries ``requestMetadata`` (``rft-role=judge``) so invocation-log training can leave the
judge's calls out.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from graders.contract import (
    Deadline,
    Grade,
    GraderConfigurationError,
    Result,
    Sample,
    message_text,
    run_batch,
    zero,
)

from .client import (
    CONFIGURATION,
    TRANSIENT,
    CallStats,
    ConverseReply,
    JudgeCallError,
    JudgeDeadlineExceeded,
    RetryPolicy,
    as_runtime_clients,
    converse_with_retries,
    shared_random,
)
from .injection import applied_penalty, detect_injection, penalised_score
from .models import retired_judge_warning, supports_structured_output
from .prompt import build_request, request_metadata
from .rubric import Rubric, load_rubric
from .settings import JudgeSettings
from .verdict import UnusableVerdict, parse_verdict

LOGGER = logging.getLogger("graders")
VERDICT_ASKS = 2  # an unusable verdict is asked for once more
CALL_CUT_REASON = "judge call exceeded the batch deadline"


class JudgeConfigurationError(GraderConfigurationError):
    """Every item the batch needed the judge for failed with a configuration error."""


@dataclass
class _Failure:
    """A judge call that did not give a verdict; resolved to a neutral grade per batch."""

    error: JudgeCallError
    reason: str
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class _Outcome:
    grade: Grade | None = None  # a verdict, or a grade that needed no call (empty answer, full penalty)
    failure: _Failure | None = None
    judged: bool = False  # the judge gave a verdict: the grade can stand in for its prompt's failures

    @property
    def needed_judge(self) -> bool:
        return self.judged or self.failure is not None


class JudgeGrader:
    def __init__(
        self,
        *,
        client: Any,
        settings: JudgeSettings,
        rubric: Rubric | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self._clients = as_runtime_clients(client)  # make_runtime_client's clients, or any one client
        self._settings = settings
        self._rubric = rubric or load_rubric(settings.rubric, settings.custom_rubric)
        self._policy = RetryPolicy.from_settings(settings)
        self._sleep = sleep
        self._rng = shared_random(seed)
        wanted = settings.structured_output
        self._structured = supports_structured_output(settings.model_id) if wanted is None else wanted
        self._structured_rejected = False  # the model refused outputConfig once: never again in this container
        self._metadata = request_metadata(settings.environment)

    @property
    def structured_output(self) -> bool:
        """Whether the next request asks for the verdict in a JSON schema."""
        return self._structured and not self._structured_rejected

    @property
    def rubric(self) -> Rubric:
        return self._rubric

    def grade_batch(self, items: Sequence[Any], deadline: Deadline) -> list[Result]:
        """Raw batch items -> results in the same order, each echoing its id (the one batch loop)."""
        return run_batch(items, self.grade_samples, deadline, grader="judge")

    def grade_samples(self, samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        """Judge samples concurrently, one grade per sample in order; failed calls (and those not done
        by the deadline) get neutral grades. Raises :class:`JudgeConfigurationError` when every sample
        that needed the judge failed with a configuration error."""
        if not samples:
            return []
        pool = ThreadPoolExecutor(
            max_workers=min(self._settings.max_concurrency, len(samples)), thread_name_prefix="judge"
        )
        started = [False] * len(samples)

        def run(index: int) -> _Outcome:
            started[index] = True
            return self._outcome(samples[index], deadline)

        try:
            futures = [pool.submit(run, index) for index in range(len(samples))]
            remaining = deadline.remaining()
            wait(futures, timeout=None if remaining == float("inf") else max(0.0, remaining))
            outcomes = [
                self._collect(future, sample, begun) for future, sample, begun in zip(futures, samples, started)
            ]
        finally:
            # Calls end by the deadline through their timeouts; this wait is the backstop for one that
            # does not (a fake client, a slow trickle): its thread is left to finish on its own.
            pool.shutdown(wait=False, cancel_futures=True)
        return self.resolve(samples, outcomes)

    def resolve(self, samples: Sequence[Sample], outcomes: Sequence[_Outcome]) -> list[Grade]:
        """Grades from outcomes: the configuration-error rule, then neutral grades for failures."""
        needed = [outcome for outcome in outcomes if outcome.needed_judge]
        configuration = [o.failure for o in needed if o.failure is not None and o.failure.error.kind == CONFIGURATION]
        if configuration and len(configuration) == len(needed):
            raise JudgeConfigurationError(self.configuration_message(configuration[0].error, len(needed)))
        judged_by_prompt: dict[Any, list[float]] = {}
        for sample, outcome in zip(samples, outcomes):
            if outcome.judged and outcome.grade is not None:
                judged_by_prompt.setdefault(_prompt_key(sample), []).append(_unit(outcome.grade.score))
        grades = []
        for sample, outcome in zip(samples, outcomes):
            if outcome.failure is None:
                grades.append(outcome.grade or zero("grader error: item was not graded", grader_error=1.0))
                continue
            peers = judged_by_prompt.get(_prompt_key(sample))
            failure = outcome.failure
            if peers:
                score, source = sum(peers) / len(peers), f"mean of {len(peers)} judged samples of the same prompt"
            else:
                score, source = self._settings.error_score, "judge.errorScore"
            grades.append(self._neutral(failure, score, source))
        return grades

    @staticmethod
    def _neutral(failure: _Failure, score: float, source: str) -> Grade:
        metrics = {**failure.metrics, "judge_error": 1.0, "neutral": 1.0}
        if failure.error.kind == CONFIGURATION:
            metrics["configuration_error"] = 1.0
        return Grade(score=score, metrics=metrics, reason=f"{failure.reason}; neutral score {score:.3f} ({source})")

    def configuration_message(self, error: JudgeCallError, items: int) -> str:
        model, region = self._settings.model_id, self._settings.region or "the Lambda's region"
        retired = retired_judge_warning(model)
        if retired:
            fix = retired
        elif error.code in ("AccessDeniedException", "UnrecognizedClientException") or error.status in (401, 403):
            fix = (
                f"enable access to {model} in the Bedrock console (Model access) in {region}, and allow "
                "bedrock:InvokeModel on its foundation-model and inference-profile ARNs in the judge Lambda's role"
            )
        elif error.code == "ResourceNotFoundException" or error.status == 404:
            fix = (
                f"check judge.modelId (JUDGE_MODEL_ID): {model} is not offered in {region} or has reached its "
                "end of life; a model offered only across regions needs an inference-profile id (us.<model id>)"
            )
        else:
            fix = (
                "check judge.modelId (JUDGE_MODEL_ID): use a current model id, or an inference-profile id "
                "(us.<model id>) for a model that is not offered on demand"
            )
        return (
            f"the judge model {model!r} cannot be used: {error.code} (HTTP {error.status}): "
            f"{error.service_message or error}. Likely fix: {fix}. All {items} items of this batch that "
            "needed the judge failed this way, so the batch fails instead of training on rewards without signal."
        )

    def _collect(self, future: Future[_Outcome], sample: Sample, started: bool) -> _Outcome:
        if not future.done():
            future.cancel()
            reason = CALL_CUT_REASON if started else "not judged: the Lambda's remaining time ran out"
            return _Outcome(failure=_Failure(JudgeDeadlineExceeded(reason), reason, {"timed_out": 1.0}))
        try:
            return future.result()
        except Exception as exc:  # _outcome does not raise; this guards against bugs
            LOGGER.exception("judge raised on item %s", sample.id)
            return _Outcome(grade=zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0))

    def grade_sample(self, sample: Sample, deadline: Deadline) -> Grade:
        """One item on its own; never raises (a failed call gets ``error_score``)."""
        outcome = self._outcome(sample, deadline)
        if outcome.failure is not None and outcome.failure.error.kind == CONFIGURATION:
            return self._neutral(outcome.failure, self._settings.error_score, "judge.errorScore")
        return self.resolve([sample], [outcome])[0]

    def _outcome(self, sample: Sample, deadline: Deadline) -> _Outcome:
        try:
            graded = self._grade(sample, deadline)
        except Exception as exc:
            LOGGER.exception("judge raised on item %s", sample.id)
            return _Outcome(grade=zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0))
        if isinstance(graded, _Failure):
            return _Outcome(failure=graded)
        judged, grade = graded
        return _Outcome(grade=grade, judged=judged)

    def _ask(self, sample: Sample, deadline: Deadline, stats: CallStats) -> ConverseReply:
        structured = self.structured_output
        request = build_request(
            self._rubric,
            sample,
            model_id=self._settings.model_id,
            max_tokens=self._settings.max_tokens,
            structured=structured,
            metadata=self._metadata,
        )
        try:
            return self._converse(request.kwargs, deadline, stats)
        except JudgeCallError as exc:
            if not structured or exc.kind == TRANSIENT or exc.code != "ValidationException":
                raise
            # The model may not take outputConfig: ask without it; if that works, stop asking with it.
            plain = {key: value for key, value in request.kwargs.items() if key != "outputConfig"}
            reply = self._converse(plain, deadline, stats)
            if not self._structured_rejected:
                LOGGER.warning(
                    "judge model %s rejected outputConfig (%s); asking without it from now on",
                    self._settings.model_id,
                    exc,
                )
            self._structured_rejected = True
            return reply

    def _converse(self, kwargs: dict[str, Any], deadline: Deadline, stats: CallStats) -> ConverseReply:
        return converse_with_retries(
            self._clients, kwargs, deadline=deadline, policy=self._policy, stats=stats, sleep=self._sleep, rng=self._rng
        )

    def _grade(self, sample: Sample, deadline: Deadline) -> tuple[bool, Grade] | _Failure:
        """``(judged, grade)``, or the failure of the judge call."""
        finding = detect_injection(sample.response)
        injection = 1.0 if finding.detected else 0.0
        penalty = applied_penalty(finding, self._settings.injection_penalty)
        if not sample.response.strip():
            return False, zero("empty answer", injection_detected=injection)
        if penalty >= 1.0:
            # Strict mode: the score would be 0 whatever the judge says, so save the call.
            return False, zero(
                f"answer addresses the judge ({finding.describe()}); full penalty",
                injection_detected=1.0,
                injection_penalty=1.0,
            )
        stats = CallStats()
        problems = []
        verdict = None
        for ask in range(1, VERDICT_ASKS + 1):
            try:
                reply = self._ask(sample, deadline, stats)
            except JudgeDeadlineExceeded as exc:
                return _Failure(
                    exc,
                    str(exc),
                    {"timed_out": 1.0, "injection_detected": injection, **_usage(stats, verdict_retries=ask - 1)},
                )
            except JudgeCallError as exc:
                return _Failure(
                    exc,
                    f"judge call failed: {exc}",
                    {"injection_detected": injection, **_usage(stats, verdict_retries=ask - 1)},
                )
            try:
                verdict = parse_verdict(reply.text, scale_min=self._rubric.scale_min, scale_max=self._rubric.scale_max)
                break
            except UnusableVerdict as exc:
                problems.append(f"{exc} (stopReason {reply.stop_reason or 'unknown'})")
        if verdict is None:
            return False, zero(
                f"unusable verdict after {VERDICT_ASKS} asks: {'; '.join(problems)}",
                verdict_unusable=1.0,
                injection_detected=injection,
                **_usage(stats, verdict_retries=VERDICT_ASKS - 1),
            )
        score = penalised_score(verdict.score, finding, self._settings.injection_penalty)
        reason = None
        if finding.detected:
            reason = (
                f"answer addresses the judge ({finding.describe()}); judge score {verdict.score:.3f} "
                f"penalised by {penalty:g} to {score:.3f}"
            )
        return True, Grade(
            score=score,
            metrics={
                "raw_score": verdict.raw_score,
                "judge_score": verdict.score,
                "injection_detected": injection,
                "injection_penalty": penalty,
                **_usage(stats, verdict_retries=len(problems)),
            },
            reason=reason,
        )


def _prompt_key(sample: Sample) -> tuple[tuple[str, str], ...]:
    """Samples of the same prompt share the messages before the answer."""
    return tuple((str(message.get("role", "")), message_text(message)) for message in sample.messages[:-1])


def _unit(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, number)) if math.isfinite(number) else 0.0


def _usage(stats: CallStats, *, verdict_retries: int) -> dict[str, float]:
    return {
        "input_tokens": float(stats.input_tokens),
        "output_tokens": float(stats.output_tokens),
        "calls": float(stats.calls),
        "throttled": float(stats.throttled),
        "server_errors": float(stats.server_errors),
        "verdict_retries": float(verdict_retries),
    }
