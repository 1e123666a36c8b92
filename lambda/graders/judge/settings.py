"""The judge's configuration, read from ``JUDGE_*`` environment variables by the handlers only."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from graders.catalog import CATALOG

_N = TypeVar("_N", int, float)

_DEFAULTS = CATALOG["judge"].defaults()
DEFAULT_MODEL_ID = _DEFAULTS["modelId"]
DEFAULT_ERROR_SCORE = _DEFAULTS["errorScore"]
TRUE_WORDS, FALSE_WORDS, AUTO_WORDS = ("true", "1", "yes", "on"), ("false", "0", "no", "off"), ("auto",)


@dataclass(frozen=True)
class JudgeSettings:
    model_id: str = DEFAULT_MODEL_ID  # any Converse model id, inference profile id or ARN
    rubric: str = "instruction_following"  # a built-in name, "name.vN", or "custom"
    custom_rubric: str | None = None
    max_concurrency: int = _DEFAULTS["maxConcurrency"]  # Converse calls in flight per batch (catalogue default)
    max_tokens: int = 1024  # room for gpt-oss reasoning plus the JSON verdict
    max_attempts: int = 6  # per Converse call, counting throttled and 5xx attempts
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 8.0
    # Share of the judge's score taken away when the answer addresses the judge: score * (1 - penalty).
    # 1.0 is the strict mode: such an answer scores 0 and the judge is not called.
    injection_penalty: float = 0.5
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 60.0  # the longest; a call near the deadline gets a shorter one
    min_call_seconds: float = 1.0  # no call starts with less time than this before the deadline
    region: str | None = None  # defaults to the Lambda's region
    # Score of an item the judge could not grade (throttled past retries, timed out, 5xx) when no other
    # sample of the same prompt in the batch was judged: a neutral value, not 0. Reward-affecting.
    error_score: float = DEFAULT_ERROR_SCORE
    # Ask for the verdict through Converse outputConfig.textFormat (JSON schema): None = for models
    # known to support it (graders.judge.models), True/False = always/never.
    structured_output: bool | None = None
    environment: str | None = None  # tagged on every judge call (requestMetadata rft-environment)

    def __post_init__(self) -> None:
        if not self.model_id.strip():
            raise ValueError("JUDGE_MODEL_ID must not be empty")
        if not 1 <= self.max_concurrency <= 256:
            raise ValueError(f"JUDGE_MAX_CONCURRENCY must be 1-256, got {self.max_concurrency}")
        if not 1 <= self.max_attempts <= 20:
            raise ValueError(f"JUDGE_MAX_ATTEMPTS must be 1-20, got {self.max_attempts}")
        if not 16 <= self.max_tokens <= 32_000:
            raise ValueError(f"JUDGE_MAX_TOKENS must be 16-32000, got {self.max_tokens}")
        if not 0.0 <= self.injection_penalty <= 1.0:
            raise ValueError(f"JUDGE_INJECTION_PENALTY must be in [0, 1], got {self.injection_penalty}")
        if not (math.isfinite(self.error_score) and 0.0 <= self.error_score <= 1.0):
            raise ValueError(f"JUDGE_ERROR_SCORE must be in [0, 1], got {self.error_score}")
        for name in (
            "backoff_base_seconds",
            "backoff_cap_seconds",
            "connect_timeout_seconds",
            "read_timeout_seconds",
            "min_call_seconds",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"judge setting {name} must be a non-negative number, got {value}")


def settings_from_env(env: Mapping[str, str]) -> JudgeSettings:
    """Build settings from ``JUDGE_*`` variables; unset or empty ones keep their defaults."""

    def text(name: str) -> str | None:
        value = env.get(name)
        return value if value is not None and value.strip() else None

    def number(name: str, kind: type[_N], default: _N) -> _N:
        value = text(name)
        if value is None:
            return default
        try:
            return kind(value.strip())
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None

    def flag(name: str) -> bool | None:
        value = text(name)
        if value is None or value.strip().lower() in AUTO_WORDS:
            return None
        if value.strip().lower() in TRUE_WORDS:
            return True
        if value.strip().lower() in FALSE_WORDS:
            return False
        raise ValueError(f"{name} must be true, false or auto, got {value!r}")

    defaults = JudgeSettings()
    return JudgeSettings(
        model_id=(text("JUDGE_MODEL_ID") or defaults.model_id).strip(),
        rubric=(text("JUDGE_RUBRIC") or defaults.rubric).strip(),
        custom_rubric=text("JUDGE_CUSTOM_RUBRIC"),
        max_concurrency=number("JUDGE_MAX_CONCURRENCY", int, defaults.max_concurrency),
        max_tokens=number("JUDGE_MAX_TOKENS", int, defaults.max_tokens),
        max_attempts=number("JUDGE_MAX_ATTEMPTS", int, defaults.max_attempts),
        injection_penalty=number("JUDGE_INJECTION_PENALTY", float, defaults.injection_penalty),
        read_timeout_seconds=number("JUDGE_READ_TIMEOUT_SECONDS", float, defaults.read_timeout_seconds),
        region=text("JUDGE_REGION"),
        error_score=number("JUDGE_ERROR_SCORE", float, defaults.error_score),
        structured_output=flag("JUDGE_STRUCTURED_OUTPUT"),
        environment=(text("RFT_ENVIRONMENT") or "").strip() or None,
    )
