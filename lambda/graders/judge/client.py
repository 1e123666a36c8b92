"""The Bedrock runtime client and one Converse call with our own retry loop.

botocore's retries are switched off (one attempt per ``converse``) so that this module decides when
to retry: throttling and server errors back off exponentially with full jitter, and no attempt or
back-off sleep runs past the batch deadline.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError

from graders.contract import Deadline

from .settings import JudgeSettings

THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"})
RETRYABLE_CODES = frozenset({
    "ServiceUnavailableException", "InternalServerException", "ModelNotReadyException",
    "ModelTimeoutException", "RequestTimeout", "RequestTimeoutException",
})


def make_runtime_client(settings: JudgeSettings, *, endpoint_url: str | None = None,
                        session: boto3.session.Session | None = None) -> Any:
    """A ``bedrock-runtime`` client sized for the judge's concurrency, with botocore retries off.

    Create it once per process (module scope in the handler) and share it between threads.
    ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` also redirects it, as for any boto3 client.
    """
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=settings.connect_timeout_seconds,
        read_timeout=settings.read_timeout_seconds,
        max_pool_connections=max(10, settings.max_concurrency),
    )
    session = session or boto3.session.Session()
    return session.client("bedrock-runtime", region_name=settings.region, endpoint_url=endpoint_url,
                          config=config)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_seconds: float = 0.25
    cap_seconds: float = 8.0
    min_call_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: JudgeSettings) -> "RetryPolicy":
        return cls(max_attempts=settings.max_attempts, base_seconds=settings.backoff_base_seconds,
                   cap_seconds=settings.backoff_cap_seconds, min_call_seconds=settings.min_call_seconds)

    def backoff(self, retry_number: int, rng: "random.Random | _SharedRandom") -> float:
        """Full jitter: uniform between 0 and the capped exponential step."""
        return rng.uniform(0.0, min(self.cap_seconds, self.base_seconds * (2 ** (retry_number - 1))))


@dataclass
class CallStats:
    """What the calls for one item cost; summed over retries and verdict re-asks."""

    calls: int = 0
    throttled: int = 0
    server_errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class ConverseReply:
    text: str
    stop_reason: str


class JudgeCallError(Exception):
    """The judge could not be reached in time or refused the request; the item scores 0."""


class _SharedRandom:
    """``random.Random`` behind a lock, so worker threads can draw jitter from one generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng, self._lock = rng, threading.Lock()

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self._rng.uniform(low, high)


def converse_with_retries(client: Any, request: dict, *, deadline: Deadline, policy: RetryPolicy,
                          stats: CallStats, sleep: Callable[[float], None] = time.sleep,
                          rng: random.Random | _SharedRandom | None = None) -> ConverseReply:
    rng = rng or random.Random()
    last_problem = "no attempt made"
    for attempt in range(1, policy.max_attempts + 1):
        if deadline.remaining() < policy.min_call_seconds:
            raise JudgeCallError(f"deadline reached before attempt {attempt} ({last_problem})")
        stats.calls += 1
        try:
            response = client.converse(**request)
        except ClientError as exc:
            kind, last_problem = _classify(exc)
            if kind == "fatal":
                raise JudgeCallError(last_problem) from None
            if kind == "throttle":
                stats.throttled += 1
            else:
                stats.server_errors += 1
        except (BotoConnectionError, HTTPClientError) as exc:  # timeouts, resets, refused connections
            stats.server_errors += 1
            last_problem = f"{type(exc).__name__}: {exc}"
        else:
            return _reply(response, stats)
        if attempt == policy.max_attempts:
            break
        delay = policy.backoff(attempt, rng)
        if delay > deadline.remaining() - policy.min_call_seconds:
            raise JudgeCallError(f"deadline too close to retry after {attempt} attempts ({last_problem})")
        sleep(delay)
    raise JudgeCallError(f"gave up after {policy.max_attempts} attempts ({last_problem})")


def shared_random(seed: int | None = None) -> _SharedRandom:
    return _SharedRandom(random.Random(seed))


def _classify(exc: ClientError) -> tuple[str, str]:
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = str(error.get("Code", "Unknown"))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) if isinstance(exc.response, dict) else 0
    description = f"{code} (HTTP {status}): {error.get('Message', '')}".strip()
    if code in THROTTLING_CODES or status == 429:
        return "throttle", description
    if code in RETRYABLE_CODES or (isinstance(status, int) and status >= 500):
        return "server", description
    return "fatal", description


def _reply(response: dict, stats: CallStats) -> ConverseReply:
    usage = response.get("usage") or {}
    stats.input_tokens += int(usage.get("inputTokens") or 0)
    stats.output_tokens += int(usage.get("outputTokens") or 0)
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    # Only text blocks carry the verdict; gpt-oss also returns reasoningContent blocks.
    text = "".join(block["text"] for block in content if isinstance(block, dict) and isinstance(block.get("text"), str))
    return ConverseReply(text=text, stop_reason=str(response.get("stopReason", "")))
