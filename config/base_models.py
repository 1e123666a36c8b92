"""Which training path a base model takes, where it may run, and which hyperparameters it accepts.

Two paths (see docs/open-weight.md for the AWS pages behind every value):

- **Nova**: ``CreateModelCustomizationJob`` with ``rftConfig`` (camelCase hyperparameters), us-east-1 only.
- **Open-weight**: Bedrock's OpenAI-compatible fine-tuning API (``bedrock-mantle``), ``fine_tuning.jobs.create``
  with ``method.type = "reinforcement"`` (snake_case hyperparameters ``n_epochs``, ``batch_size``,
  ``learning_rate_multiplier``, the three AWS documents for it).

Plain functions and tables only, so ``config`` can call them at synth time and tests need no AWS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NOVA = "nova"
OPEN_WEIGHT = "open-weight"

# AWS: "Supported models and Regions for fine-tuning" lists Nova 2 Lite for RFT in us-east-1 only.
NOVA_MODELS = ("amazon.nova-2-lite-v1:0:256k",)
NOVA_REGIONS = ("us-east-1",)
# AWS samples and the launch blog train these through bedrock-mantle, all in us-west-2. The user guide pages we
# could read give no region table for open-weight RFT; us-west-2 is the only region AWS shows for it.
OPEN_WEIGHT_MODELS = ("openai.gpt-oss-20b", "qwen.qwen3-32b-v1:0", "nvidia.nemotron-nano-3-30b")
OPEN_WEIGHT_REGIONS = ("us-west-2",)

PATH_MODELS: Mapping[str, tuple[str, ...]] = {NOVA: NOVA_MODELS, OPEN_WEIGHT: OPEN_WEIGHT_MODELS}
PATH_REGIONS: Mapping[str, tuple[str, ...]] = {NOVA: NOVA_REGIONS, OPEN_WEIGHT: OPEN_WEIGHT_REGIONS}
PATH_LABEL = {
    NOVA: "the Nova path (CreateModelCustomizationJob)",
    OPEN_WEIGHT: "the open-weight path (OpenAI-compatible fine-tuning API)",
}


@dataclass(frozen=True)
class Range:
    """One hyperparameter: its JSON type and inclusive bounds (``low_open``: the lower bound is excluded)."""

    kind: type
    low: float
    high: float
    low_open: bool = False
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        low = f"> {self.low:g}" if self.low_open else f">= {self.low:g}"
        return f"{self.kind.__name__} {low} and <= {self.high:g}"

    def check(self, value: Any) -> str | None:
        """None when the value fits, else why not."""
        if self.choices:
            return None if value in self.choices else f"must be {self.describe()}, got {value!r}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number ({self.describe()}), got {value!r}"
        if self.kind is int and not float(value).is_integer():
            return f"must be a whole number ({self.describe()}), got {value!r}"
        number = float(value)
        too_low = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or too_low or number > self.high:
            return f"must be {self.describe()}, got {value!r}"
        return None


# CreateModelCustomizationJob's RFTHyperParameters (API reference "RFTHyperParameters"). The service model gives
# maxPromptLength and inferenceMaxTokens no bound; 1,000,000 only rejects nonsense.
NOVA_HYPERPARAMETERS: Mapping[str, Range] = {
    "epochCount": Range(int, 1, 50),
    "batchSize": Range(int, 16, 512),
    "learningRate": Range(float, 1e-7, 1e-3),
    "trainingSamplePerPrompt": Range(int, 2, 16),
    "maxPromptLength": Range(int, 1, 1_000_000),
    "inferenceMaxTokens": Range(int, 1, 1_000_000),
    "evalInterval": Range(int, 1, 100),
    "reasoningEffort": Range(str, 0, 0, choices=("low", "medium", "high")),
}
# AWS ("Create and manage fine-tuning jobs for open-weight models using OpenAI APIs") documents these three names
# with the example values 1, 4 and 1.0 and no ranges. The bounds are OpenAI's fine-tuning API reference ones
# (n_epochs 1-50, batch_size 1-256, learning_rate_multiplier > 0); the service may enforce tighter ones.
OPEN_WEIGHT_HYPERPARAMETERS: Mapping[str, Range] = {
    "n_epochs": Range(int, 1, 50),
    "batch_size": Range(int, 1, 256),
    "learning_rate_multiplier": Range(float, 0, 10, low_open=True),
}
OPEN_WEIGHT_DEFAULTS: Mapping[str, Any] = {"n_epochs": 1, "batch_size": 4, "learning_rate_multiplier": 1.0}
PATH_HYPERPARAMETERS: Mapping[str, Mapping[str, Range]] = {
    NOVA: NOVA_HYPERPARAMETERS,
    OPEN_WEIGHT: OPEN_WEIGHT_HYPERPARAMETERS,
}
# The same idea under each path's spelling: the error for a misplaced name suggests its counterpart.
COUNTERPARTS = {
    "epochCount": "n_epochs",
    "batchSize": "batch_size",
    "learningRate": "learning_rate_multiplier",
    "n_epochs": "epochCount",
    "batch_size": "batchSize",
    "learning_rate_multiplier": "learningRate",
}


class BaseModelError(ValueError):
    """The base model, its region or its hyperparameters do not fit together."""


def training_path(base_model_id: str) -> str:
    """``nova`` or ``open-weight`` for this base model id; an error lists every supported id."""
    for path, models in PATH_MODELS.items():
        if base_model_id in models:
            return path
    supported = "; ".join(f"{PATH_LABEL[p]}: {', '.join(m)}" for p, m in PATH_MODELS.items())
    raise BaseModelError(f"baseModelId {base_model_id!r} is not a model Bedrock offers RFT for. Supported: {supported}")


def check_region(base_model_id: str, region: str) -> None:
    path = training_path(base_model_id)
    regions = PATH_REGIONS[path]
    if region not in regions:
        raise BaseModelError(
            f"baseModelId {base_model_id} takes {PATH_LABEL[path]}, which runs in "
            f"{', '.join(regions)} only; region is {region}"
        )


def validate_hyperparameters(base_model_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters checked against the model's path; every problem in one error.

    A name of the other path is an error naming both the name and the model (and the name to use instead).
    """
    path = training_path(base_model_id)
    ranges = PATH_HYPERPARAMETERS[path]
    other = OPEN_WEIGHT if path == NOVA else NOVA
    problems = []
    for name, value in values.items():
        if name not in ranges:
            if name in PATH_HYPERPARAMETERS[other]:
                hint = f"; use {COUNTERPARTS[name]!r}" if COUNTERPARTS.get(name) in ranges else ""
                problems.append(
                    f"{name!r} is a hyperparameter of {PATH_LABEL[other]}, but baseModelId "
                    f"{base_model_id} takes {PATH_LABEL[path]}{hint}"
                )
            else:
                problems.append(f"{name!r} is not a hyperparameter of {PATH_LABEL[path]} (known: {', '.join(ranges)})")
            continue
        reason = ranges[name].check(value)
        if reason:
            problems.append(f"{name} {reason}")
    if problems:
        raise BaseModelError("hyperparameters: " + "; ".join(problems))
    return {name: (int(v) if ranges[name].kind is int else v) for name, v in values.items()}


def open_weight_endpoint(region: str) -> str:
    """The OpenAI-compatible base URL (AWS: "Access and security for open-weight models")."""
    return f"https://bedrock-mantle.{region}.api.aws/v1"
