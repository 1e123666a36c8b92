"""Turn the custom resource's properties into a CreateModelCustomizationJob request.

CloudFormation hands every property to a custom resource as a string, so hyperparameters
are converted back to the types the Bedrock API expects. Job and model names carry a hash
of every training input (dataset content, grader code, hyperparameters, ...): identical
inputs give identical names and request token, so a retried create starts no second job,
and any changed input gives new names, hence a new job.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

CUSTOMIZATION_TYPE = "REINFORCEMENT_FINE_TUNING"
# Properties that do not change what is trained; they never cause a new job.
NON_TRAINING_PROPERTIES = frozenset({"ServiceToken", "Tags"})

_INT_HYPERPARAMETERS = (
    "epochCount",
    "batchSize",
    "trainingSamplePerPrompt",
    "maxPromptLength",
    "inferenceMaxTokens",
    "evalInterval",
)
_FLOAT_HYPERPARAMETERS = ("learningRate",)
_STRING_HYPERPARAMETERS = ("reasoningEffort",)
_JOB_NAME_MAX = 63
_HASH_LENGTH = 12


class SpecError(ValueError):
    """The resource properties cannot make a valid job request."""


def fingerprint(properties: Mapping[str, Any]) -> str:
    """A stable hash of every property that affects training."""
    relevant = {k: v for k, v in properties.items() if k not in NON_TRAINING_PROPERTIES}
    canonical = json.dumps(relevant, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _clean_prefix(prefix: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9-]+", "-", prefix).strip("-")
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    return (cleaned or "rft")[: _JOB_NAME_MAX - _HASH_LENGTH - 10]


def names(properties: Mapping[str, Any], attempt: int = 1) -> tuple[str, str, str]:
    """(job name, custom model name, client request token) for these inputs.

    ``attempt`` > 1 is used when an earlier job of the same inputs was stopped or failed:
    Bedrock job and model names are unique forever, so a rerun needs a fresh suffix.
    """
    digest = fingerprint(properties)[:_HASH_LENGTH]
    prefix = _clean_prefix(str(properties.get("JobNamePrefix", "rft")))
    suffix = digest if attempt == 1 else f"{digest}-r{attempt}"
    return f"{prefix}-{suffix}", f"{prefix}-model-{suffix}", f"{prefix}-{suffix}-token"


def hyperparameters(raw: Mapping[str, Any]) -> dict[str, Any]:
    try:
        converted: dict[str, Any] = {k: int(str(raw[k])) for k in _INT_HYPERPARAMETERS if k in raw}
        converted.update({k: float(str(raw[k])) for k in _FLOAT_HYPERPARAMETERS if k in raw})
    except ValueError as exc:
        raise SpecError(f"HyperParameters: {exc}") from None
    converted.update({k: str(raw[k]) for k in _STRING_HYPERPARAMETERS if k in raw})
    unknown = set(raw) - set(converted)
    if unknown:
        raise SpecError(f"HyperParameters: unknown fields {sorted(unknown)}")
    return converted


def _required(properties: Mapping[str, Any], key: str) -> str:
    value = properties.get(key)
    if not isinstance(value, str) or not value:
        raise SpecError(f"resource property {key} is required")
    return value


def training_data_config(properties: Mapping[str, Any]) -> dict[str, Any]:
    if properties.get("TrainingDataS3Uri"):
        return {"s3Uri": properties["TrainingDataS3Uri"]}
    logs = properties.get("InvocationLogs")
    if logs:
        config = json.loads(logs) if isinstance(logs, str) else dict(logs)
        config["usePromptResponse"] = str(config.get("usePromptResponse", False)).lower() == "true"
        return {"invocationLogsConfig": config}
    raise SpecError("resource property TrainingDataS3Uri or InvocationLogs is required")


def create_request(properties: Mapping[str, Any], attempt: int = 1) -> dict[str, Any]:
    """The complete CreateModelCustomizationJob request for these properties."""
    job_name, model_name, token = names(properties, attempt)
    request: dict[str, Any] = {
        "jobName": job_name,
        "customModelName": model_name,
        "clientRequestToken": token,
        "roleArn": _required(properties, "RoleArn"),
        "baseModelIdentifier": _required(properties, "BaseModelIdentifier"),
        "customizationType": CUSTOMIZATION_TYPE,
        "trainingDataConfig": training_data_config(properties),
        "outputDataConfig": {"s3Uri": _required(properties, "OutputDataS3Uri")},
        "customizationConfig": {
            "rftConfig": {
                "graderConfig": {"lambdaGrader": {"lambdaArn": _required(properties, "GraderLambdaArn")}},
                "hyperParameters": hyperparameters(properties.get("HyperParameters") or {}),
            }
        },
    }
    if properties.get("ValidationDataS3Uri"):
        request["validationDataConfig"] = {"validators": [{"s3Uri": properties["ValidationDataS3Uri"]}]}
    if properties.get("CustomModelKmsKeyId"):
        request["customModelKmsKeyId"] = properties["CustomModelKmsKeyId"]
    tags = properties.get("Tags") or {}
    if tags:
        tag_list = [{"key": str(k), "value": str(v)} for k, v in sorted(tags.items())]
        request["jobTags"] = tag_list
        request["customModelTags"] = tag_list
    return request
