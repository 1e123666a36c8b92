"""The Bedrock runtime clients and one Converse call with our own retry loop.

botocore's retries are switched off (one attempt per ``converse``) so that this module decides when
to retry: throttling and server errors back off exponentially with full jitter, and no attempt or
back-off sleep runs past the batch deadline.

A call must also end by the deadline, but botocore's timeouts are fixed per client. So
:class:`RuntimeClients` keeps one client per timeout step (the configured read timeout, then steps
of 3/4 of the one before, created on first use and cached) and each attempt uses the longest step
that ends before the deadline. A call cut short that way is not retried: the item scores 0 with
"judge call exceeded the batch deadline".
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionError as BotoConnectionError,
    ConnectTimeoutError,
    HTTPClientError,
    ReadTimeoutError,
)

from graders.contract import Deadline

from .settings import JudgeSettings

THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"})
RETRYABLE_CODES = frozenset(
    {
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# Time kept after a call cut by the deadline, to build the item's result.
CALL_MARGIN_SECONDS = 0.1
# Timeout steps: each 3/4 of the one above (so at most a quarter of the time left goes unused),
# down to this shortest one.
TIMEOUT_STEP_RATIO = 0.75
SHORTEST_TIMEOUT_SECONDS = 0.25


def make_runtime_client(
    settings: JudgeSettings, *, endpoint_url: str | None = None, session: boto3.session.Session | None = None
) -> RuntimeClients:
    """The judge's ``bedrock-runtime`` clients, sized for its concurrency, with botocore retries off.

    Create them once per process (module scope in the handler) and share them between threads.
    ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` also redirects them, as for any boto3 client.
    """
    return RuntimeClients(settings=settings, endpoint_url=endpoint_url, session=session)


class RuntimeClients:
    """``bedrock-runtime`` clients that differ only in their timeouts; see the module docstring."""

    def __init__(
        self, *, settings: JudgeSettings, endpoint_url: str | None = None, session: boto3.session.Session | None = None
    ) -> None:
        self._settings = settings
        self._endpoint_url = endpoint_url
        self._session = session or boto3.session.Session()
        self._lock = threading.Lock()  # boto3 sessions are not thread-safe when creating clients
        self._clients: dict[float, Any] = {}
        self.steps = _timeout_steps(settings.read_timeout_seconds)
        self.default = self._client(self.steps[0])  # built now, as one client was before

    def for_budget(self, seconds: float) -> tuple[Any, float] | None:
        """The client whose read timeout is the longest step within ``seconds``, and that timeout;
        None when even the shortest step does not fit."""
        for timeout in self.steps:
            if timeout <= seconds:
                return self._client(timeout), timeout
        return None

    def _client(self, read_timeout: float) -> Any:
        with self._lock:
            client = self._clients.get(read_timeout)
            if client is None:
                settings = self._settings
                config = Config(
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=min(settings.connect_timeout_seconds, read_timeout),
                    read_timeout=read_timeout,
                    max_pool_connections=max(10, settings.max_concurrency),
                )
                client = self._session.client(
                    "bedrock-runtime", region_name=settings.region, endpoint_url=self._endpoint_url, config=config
                )
                self._clients[read_timeout] = client
            return client


class FixedClient:
    """Test seam (tests, benchmarks, the hostile-item fuzzing): a single client, or a fake with
    ``converse``, used for every call. Its own timeouts apply, and only the batch's wait for its
    workers bounds a call by the deadline. The Lambda always runs with :class:`RuntimeClients`."""

    steps = (float("inf"),)

    def __init__(self, client: Any) -> None:
        self.default = client

    def for_budget(self, seconds: float) -> tuple[Any, float]:
        return self.default, float("inf")


def as_runtime_clients(client: Any) -> RuntimeClients | FixedClient:
    """``make_runtime_client``'s clients as they are; any other client (a test seam) as a :class:`FixedClient`."""
    return client if hasattr(client, "for_budget") else FixedClient(client)


def _timeout_steps(configured: float) -> tuple[float, ...]:
    steps, timeout = [configured], configured * TIMEOUT_STEP_RATIO
    while timeout >= SHORTEST_TIMEOUT_SECONDS:
        steps.append(round(timeout, 3))
        timeout *= TIMEOUT_STEP_RATIO
    return tuple(steps)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_seconds: float = 0.25
    cap_seconds: float = 8.0
    min_call_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: JudgeSettings) -> RetryPolicy:
        return cls(
            max_attempts=settings.max_attempts,
            base_seconds=settings.backoff_base_seconds,
            cap_seconds=settings.backoff_cap_seconds,
            min_call_seconds=settings.min_call_seconds,
        )

    def backoff(self, retry_number: int, rng: random.Random | _SharedRandom) -> float:
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


# Error codes that mean the judge cannot work with this configuration, whatever the item.
CONFIGURATION_CODES = frozenset(
    {
        "AccessDeniedException",
        "ResourceNotFoundException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
    }
)
# A ValidationException names the model when the model id is wrong or the model cannot be invoked so.
_MODEL_WORDS = (
    "model identifier",
    "model id",
    "modelid",
    "model_id",
    "invalid model",
    "model is not",
    "model version",
    "end of its life",
    "end of life",
    "end-of-life",
    "no longer available",
    "isn't supported",
    "is not supported",
    "on-demand throughput",
    "inference profile",
)
_STRUCTURED_WORDS = ("outputconfig", "output config", "textformat", "structured output", "json_schema", "jsonschema")
# Transient: retried, then the item gets a neutral score. Request: this item's request was refused.
TRANSIENT, CONFIGURATION, REQUEST = "transient", "configuration", "request"


class JudgeCallError(Exception):
    """The judge could not be reached in time or refused the request.

    ``kind`` is :data:`TRANSIENT` (throttling past retries, 5xx, timeouts), :data:`CONFIGURATION`
    (access denied, unknown or retired model) or :data:`REQUEST` (this request refused); ``code`` the
    service's error code when there is one.
    """

    def __init__(
        self, message: str, *, kind: str = TRANSIENT, code: str = "", status: int = 0, service_message: str = ""
    ) -> None:
        super().__init__(message)
        self.kind, self.code, self.status, self.service_message = kind, code, status, service_message

    @property
    def about_structured_output(self) -> bool:
        """A ValidationException that names the output format (the model does not take outputConfig)."""
        text = self.service_message.lower()
        return self.code == "ValidationException" and any(word in text for word in _STRUCTURED_WORDS)


class JudgeDeadlineExceeded(JudgeCallError):
    """A call was cut short because the batch deadline came before the judge answered."""


class _SharedRandom:
    """``random.Random`` behind a lock, so worker threads can draw jitter from one generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng, self._lock = rng, threading.Lock()

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self._rng.uniform(low, high)


def converse_with_retries(
    clients: RuntimeClients | FixedClient,
    request: dict[str, Any],
    *,
    deadline: Deadline,
    policy: RetryPolicy,
    stats: CallStats,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | _SharedRandom | None = None,
) -> ConverseReply:
    """One Converse call, retried on throttling and server errors; every attempt and back-off sleep
    ends by the deadline. Raises :class:`JudgeCallError` (or :class:`JudgeDeadlineExceeded`)."""
    rng = rng or random.Random()
    last_problem = "no attempt made"
    for attempt in range(1, policy.max_attempts + 1):
        remaining = deadline.remaining()
        chosen = clients.for_budget(remaining - CALL_MARGIN_SECONDS) if remaining >= policy.min_call_seconds else None
        if chosen is None:
            # Running out of time is a deadline outcome (timed_out), whatever the earlier attempts did.
            raise JudgeDeadlineExceeded(f"not judged: deadline reached before attempt {attempt} ({last_problem})")
        client, timeout = chosen
        cut_by_deadline = timeout < clients.steps[0]  # a shorter step than configured: the deadline binds
        stats.calls += 1
        try:
            response = client.converse(**request)
        except ClientError as exc:
            kind, last_problem = _classify(exc)
            if kind == "fatal":
                code, status, message = _error_parts(exc)
                raise JudgeCallError(
                    last_problem,
                    kind=configuration_kind(code, status, message),
                    code=code,
                    status=status,
                    service_message=message,
                ) from None
            if kind == "throttle":
                stats.throttled += 1
            else:
                stats.server_errors += 1
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            stats.server_errors += 1
            last_problem = f"{type(exc).__name__}: {exc}"
            if cut_by_deadline or deadline.expired():
                raise JudgeDeadlineExceeded(
                    f"judge call exceeded the batch deadline (no answer within {timeout:g} s)"
                ) from None
        except (BotoConnectionError, HTTPClientError) as exc:  # resets, refused connections
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


def _error_parts(exc: ClientError) -> tuple[str, int, str]:
    response = exc.response if isinstance(exc.response, dict) else {}
    error = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode", 0)
    return str(error.get("Code", "Unknown")), status if isinstance(status, int) else 0, str(error.get("Message", ""))


def configuration_kind(code: str, status: int, message: str) -> str:
    """:data:`CONFIGURATION` for errors no item can avoid (no access, unknown or retired model, a
    ValidationException about the model), else :data:`REQUEST`."""
    text = message.lower()
    if code in CONFIGURATION_CODES or status in (401, 403, 404):
        return CONFIGURATION
    if any(word in text for word in _STRUCTURED_WORDS):
        return REQUEST  # the output format, not the model: retried without it
    if code == "ValidationException" and any(word in text for word in _MODEL_WORDS):
        return CONFIGURATION
    if "end of its life" in text or "end of life" in text:
        return CONFIGURATION
    return REQUEST


def _classify(exc: ClientError) -> tuple[str, str]:
    code, status, message = _error_parts(exc)
    description = f"{code} (HTTP {status}): {message}".strip()
    if code in THROTTLING_CODES or status == 429:
        return "throttle", description
    if code in RETRYABLE_CODES or (isinstance(status, int) and status >= 500):
        return "server", description
    return "fatal", description


def _reply(response: dict[str, Any], stats: CallStats) -> ConverseReply:
    usage = response.get("usage") or {}
    stats.input_tokens += int(usage.get("inputTokens") or 0)
    stats.output_tokens += int(usage.get("outputTokens") or 0)
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    # Only text blocks carry the verdict; gpt-oss also returns reasoningContent blocks.
    text = "".join(block["text"] for block in content if isinstance(block, dict) and isinstance(block.get("text"), str))
    return ConverseReply(text=text, stop_reason=str(response.get("stopReason", "")))
