"""Names and tokens derived from the job, so a repeated event finds what the first one created."""

from __future__ import annotations

import hashlib
import re

_NAME_MAX = 63  # modelDeploymentName: ([0-9a-zA-Z][_-]?){1,63}
_SUFFIX = "-deployment"
_HASH_LENGTH = 12
DEPLOYMENT_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:custom-model-deployment/[a-z0-9]{12}$")


def _clean(text: str) -> str:
    """Letters and digits separated by single hyphens: what the deployment-name pattern accepts."""
    return re.sub(r"[^0-9a-zA-Z]+", "-", text).strip("-")


def deployment_name(model_name: str) -> str:
    """``<model name>-deployment``; a name too long keeps its start and gains a hash of the whole."""
    base = _clean(model_name) or "rft-model"
    if len(base) + len(_SUFFIX) <= _NAME_MAX:
        return base + _SUFFIX
    digest = hashlib.sha256(model_name.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    keep = _NAME_MAX - len(_SUFFIX) - _HASH_LENGTH - 1
    return f"{base[:keep].rstrip('-')}-{digest}{_SUFFIX}"


def request_token(job_arn: str) -> str:
    """``clientRequestToken`` for CreateCustomModelDeployment: one per job, so Bedrock creates once."""
    return "deploy-" + hashlib.sha256(job_arn.encode("utf-8")).hexdigest()[:40]


def is_deployment_arn(value: str | None) -> bool:
    return bool(value and DEPLOYMENT_ARN.match(value))
