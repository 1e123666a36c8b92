"""The LLM judge: grade each answer with a Bedrock model through Converse, items of a batch in parallel.

Per item: answers that address the judge are detected; the judge still scores them (they are
delimited data to it) and the detection takes ``injection_penalty`` of that score away (at a full
penalty of 1 the item scores 0 without a call). The request is built from the rubric with the answer
in a nonce-tagged block; the call is retried on throttling and 5xx and never outlives the batch
deadline; an unusable verdict is asked for once more, then scores 0. Every failure becomes a zero
with a reason, so a batch always gets one well-formed result per item.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Sequence

from graders.contract import (Deadline, Grade, ItemError, Sample, item_id, parse_sample, result, zero)

from .client import (CallStats, JudgeCallError, JudgeDeadlineExceeded, RetryPolicy, as_runtime_clients,
                     converse_with_retries, shared_random)
from .injection import applied_penalty, detect_injection, penalised_score
from .prompt import build_request
from .rubric import Rubric, load_rubric
from .settings import JudgeSettings
from .verdict import UnusableVerdict, parse_verdict

LOGGER = logging.getLogger("graders")
VERDICT_ASKS = 2  # an unusable verdict is asked for once more
CALL_CUT_REASON = "judge call exceeded the batch deadline"


class JudgeGrader:
    def __init__(self, *, client: Any, settings: JudgeSettings, rubric: Rubric | None = None,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None) -> None:
        self._clients = as_runtime_clients(client)  # make_runtime_client's clients, or any one client
        self._settings = settings
        self._rubric = rubric or load_rubric(settings.rubric, settings.custom_rubric)
        self._policy = RetryPolicy.from_settings(settings)
        self._sleep = sleep
        self._rng = shared_random(seed)

    @property
    def rubric(self) -> Rubric:
        return self._rubric

    def grade_batch(self, items: Sequence[Any], deadline: Deadline) -> list[dict]:
        """Raw batch items -> results in the same order, each echoing its id."""
        grades: list[Grade | None] = [None] * len(items)
        samples: list[Sample] = []
        positions: list[int] = []
        for index, raw in enumerate(items):
            try:
                samples.append(parse_sample(raw))
                positions.append(index)
            except ItemError as exc:
                grades[index] = zero(f"malformed item: {exc}", malformed=1.0)
        for index, grade in zip(positions, self.grade_samples(samples, deadline)):
            grades[index] = grade
        results = []
        for raw, grade in zip(items, grades):
            grade = grade or zero("grader error: item was not graded", grader_error=1.0)
            if grade.reason:
                LOGGER.info("item %s scored %.3f: %s", item_id(raw), grade.score, grade.reason)
            results.append(result(item_id(raw), grade))
        return results

    def grade_samples(self, samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        """Judge samples concurrently; those not finished by the deadline score 0 with a reason."""
        if not samples:
            return []
        pool = ThreadPoolExecutor(max_workers=min(self._settings.max_concurrency, len(samples)),
                                  thread_name_prefix="judge")
        started = [False] * len(samples)

        def run(index: int) -> Grade:
            started[index] = True
            return self.grade_sample(samples[index], deadline)

        try:
            futures = [pool.submit(run, index) for index in range(len(samples))]
            remaining = deadline.remaining()
            wait(futures, timeout=None if remaining == float("inf") else max(0.0, remaining))
            return [self._collect(future, sample, begun) for future, sample, begun in zip(futures, samples, started)]
        finally:
            # Calls end by the deadline through their timeouts; this wait is the backstop for one that
            # does not (a fake client, a slow trickle): its thread is left to finish on its own.
            pool.shutdown(wait=False, cancel_futures=True)

    def _collect(self, future: Future, sample: Sample, started: bool) -> Grade:
        if not future.done():
            future.cancel()
            if started:
                return zero(CALL_CUT_REASON, timed_out=1.0)
            return zero("not judged: the Lambda's remaining time ran out", timed_out=1.0)
        try:
            return future.result()
        except Exception as exc:  # grade_sample does not raise; this guards against bugs
            LOGGER.exception("judge raised on item %s", sample.id)
            return zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0)

    def grade_sample(self, sample: Sample, deadline: Deadline) -> Grade:
        """One item; never raises."""
        try:
            return self._grade(sample, deadline)
        except Exception as exc:
            LOGGER.exception("judge raised on item %s", sample.id)
            return zero(f"grader error: {type(exc).__name__}: {exc}", grader_error=1.0)

    def _grade(self, sample: Sample, deadline: Deadline) -> Grade:
        finding = detect_injection(sample.response)
        injection = 1.0 if finding.detected else 0.0
        penalty = applied_penalty(finding, self._settings.injection_penalty)
        if not sample.response.strip():
            return zero("empty answer", injection_detected=injection)
        if penalty >= 1.0:
            # Strict mode: the score would be 0 whatever the judge says, so save the call.
            return zero(f"answer addresses the judge ({finding.describe()}); full penalty",
                        injection_detected=1.0, injection_penalty=1.0)
        stats = CallStats()
        problems = []
        verdict = None
        for ask in range(1, VERDICT_ASKS + 1):
            request = build_request(self._rubric, sample, model_id=self._settings.model_id,
                                    max_tokens=self._settings.max_tokens)
            try:
                reply = converse_with_retries(self._clients, request.kwargs, deadline=deadline,
                                              policy=self._policy, stats=stats, sleep=self._sleep,
                                              rng=self._rng)
            except JudgeDeadlineExceeded as exc:
                return zero(str(exc), timed_out=1.0, injection_detected=injection,
                            **_usage(stats, verdict_retries=ask - 1))
            except JudgeCallError as exc:
                return zero(f"judge call failed: {exc}", judge_error=1.0, injection_detected=injection,
                            **_usage(stats, verdict_retries=ask - 1))
            try:
                verdict = parse_verdict(reply.text, scale_min=self._rubric.scale_min,
                                        scale_max=self._rubric.scale_max)
                break
            except UnusableVerdict as exc:
                problems.append(f"{exc} (stopReason {reply.stop_reason or 'unknown'})")
        if verdict is None:
            return zero(f"unusable verdict after {VERDICT_ASKS} asks: {'; '.join(problems)}",
                        verdict_unusable=1.0, injection_detected=injection,
                        **_usage(stats, verdict_retries=VERDICT_ASKS - 1))
        score = penalised_score(verdict.score, finding, self._settings.injection_penalty)
        reason = None
        if finding.detected:
            reason = (f"answer addresses the judge ({finding.describe()}); judge score {verdict.score:.3f} "
                      f"penalised by {penalty:g} to {score:.3f}")
        return Grade(
            score=score,
            metrics={"raw_score": verdict.raw_score, "judge_score": verdict.score,
                     "injection_detected": injection, "injection_penalty": penalty,
                     **_usage(stats, verdict_retries=len(problems))},
            reason=reason,
        )


def _usage(stats: CallStats, *, verdict_retries: int) -> dict[str, float]:
    return {
        "input_tokens": float(stats.input_tokens),
        "output_tokens": float(stats.output_tokens),
        "calls": float(stats.calls),
        "throttled": float(stats.throttled),
        "server_errors": float(stats.server_errors),
        "verdict_retries": float(verdict_retries),
    }
