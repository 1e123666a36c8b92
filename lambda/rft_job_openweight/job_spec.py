"""Turn the ``Custom::OpenWeightRftJob`` properties into Files and ``fine_tuning.jobs.create`` requests.

The job name carries a hash of every training input (the inputs fingerprint, hyperparameters, model, grader, data
locations): a retried create finds the job it started, and any changed input gives a new name, hence a new job. The
name travels in the job's ``metadata`` and in the names of the files uploaded for it, so the job can be found even
if the service drops ``metadata`` (AWS's create-job page notes that ``suffix`` "is not supported", so we do not send
it).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

METHOD_TYPE = "reinforcement"
NON_TRAINING_PROPERTIES = frozenset({"ServiceToken", "Tags"})
NAME_KEY = "rft-job-name"
FINGERPRINT_KEY = "rft-inputs"
_INT_HYPERPARAMETERS = ("n_epochs", "batch_size")
_FLOAT_HYPERPARAMETERS = ("learning_rate_multiplier",)
_NAME_MAX = 64
_HASH_LENGTH = 12
_METADATA_VALUE_MAX = 512  # OpenAI's metadata limit: 16 keys, values up to 512 characters


class SpecError(ValueError):
    """The resource properties cannot make a valid job request."""


def fingerprint(properties: Mapping[str, Any]) -> str:
    relevant = {k: v for k, v in properties.items() if k not in NON_TRAINING_PROPERTIES}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def job_name(properties: Mapping[str, Any], attempt: int = 1) -> str:
    """``<prefix>-<hash>`` (``-r<n>`` for a rerun after a failed or cancelled job of the same inputs)."""
    prefix = re.sub(r"-{2,}", "-", re.sub(r"[^a-zA-Z0-9-]+", "-", str(properties.get("JobNamePrefix", "rft"))))
    prefix = (prefix.strip("-") or "rft")[: _NAME_MAX - _HASH_LENGTH - 6]
    digest = fingerprint(properties)[:_HASH_LENGTH]
    return f"{prefix}-{digest}" if attempt == 1 else f"{prefix}-{digest}-r{attempt}"


def required(properties: Mapping[str, Any], key: str) -> str:
    value = properties.get(key)
    if not isinstance(value, str) or not value:
        raise SpecError(f"resource property {key} is required")
    return value


def s3_location(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        raise SpecError(f"not an S3 object URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def file_name(name: str, role: str) -> str:
    """The uploaded file's name: it ties the file to its job, so a retry reuses it instead of uploading again."""
    return f"{name}-{role}.jsonl"


def hyperparameters(raw: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation sends every property as a string; the API wants numbers."""
    try:
        converted: dict[str, Any] = {k: int(float(str(raw[k]))) for k in _INT_HYPERPARAMETERS if k in raw}
        converted.update({k: float(str(raw[k])) for k in _FLOAT_HYPERPARAMETERS if k in raw})
    except ValueError as exc:
        raise SpecError(f"HyperParameters: {exc}") from None
    unknown = set(raw) - set(converted)
    if unknown:
        raise SpecError(
            f"HyperParameters: unknown fields {sorted(unknown)} (open-weight RFT takes "
            f"{', '.join(_INT_HYPERPARAMETERS + _FLOAT_HYPERPARAMETERS)})"
        )
    return converted


def metadata(properties: Mapping[str, Any], name: str) -> dict[str, str]:
    tags = {str(k)[:64]: str(v)[:_METADATA_VALUE_MAX] for k, v in sorted((properties.get("Tags") or {}).items())}
    return {**dict(list(tags.items())[:14]), NAME_KEY: name, FINGERPRINT_KEY: fingerprint(properties)[:32]}


def create_request(
    properties: Mapping[str, Any], name: str, *, training_file: str, validation_file: str | None
) -> dict[str, Any]:
    """Keyword arguments for ``client.fine_tuning.jobs.create``."""
    request: dict[str, Any] = {
        "model": required(properties, "BaseModelIdentifier"),
        "training_file": training_file,
        "method": {
            "type": METHOD_TYPE,
            "reinforcement": {
                "grader": {"type": "lambda", "lambda": {"function": required(properties, "GraderLambdaArn")}},
                "hyperparameters": hyperparameters(properties.get("HyperParameters") or {}),
            },
        },
        "metadata": metadata(properties, name),
    }
    if validation_file:
        request["validation_file"] = validation_file
    return request
