"""Create, update and delete of the RFT job behind the ``Custom::RftTrainingJob`` resource.

Create returns as soon as Bedrock accepts the job (training takes hours; a custom resource
may wait one hour at most). The physical id is the job ARN, so a changed input, which
yields a new job, makes CloudFormation delete (stop) the old one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from aws_errors import client_error

from . import job_spec

LOGGER = logging.getLogger(__name__)

ACTIVE_STATUSES = frozenset({"InProgress", "Completed"})
MAX_RERUNS = 20
# A brand-new service role can take a while before Bedrock may assume it.
IAM_PROPAGATION_RETRY_SECONDS = 120
IAM_PROPAGATION_SLEEP_SECONDS = 10
_IAM_PROPAGATION_HINTS = ("assume", "not authorized to perform", "role", "access denied")


class JobRequestFailed(RuntimeError):
    """Bedrock refused a request; the message is what ``cdk deploy`` shows."""


def _fail(operation: str, exc: ClientError) -> JobRequestFailed:
    code, message = client_error(exc)
    return JobRequestFailed(f"Bedrock {operation} failed: {code}: {message}")


def _looks_like_iam_propagation(exc: ClientError) -> bool:
    code, message = client_error(exc)
    return code in {"ValidationException", "AccessDeniedException"} and any(
        hint in message.lower() for hint in _IAM_PROPAGATION_HINTS
    )


def _response(job_arn: str, request: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "PhysicalResourceId": job_arn,
        "Data": {"JobArn": job_arn, "JobName": request["jobName"], "CustomModelName": request["customModelName"]},
    }


class JobLifecycle:
    def __init__(
        self, bedrock: Any, *, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._bedrock, self._sleep, self._clock = bedrock, sleep, clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        kind = event["RequestType"]
        properties = event.get("ResourceProperties", {})
        if kind == "Create":
            return self.create(properties)
        if kind == "Update":
            return self.update(properties, event.get("OldResourceProperties", {}), event["PhysicalResourceId"])
        if kind == "Delete":
            return self.delete(event.get("PhysicalResourceId", ""))
        raise ValueError(f"unknown RequestType {kind!r}")

    def create(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Start the job, or adopt the one these exact inputs already started."""
        for attempt in range(1, MAX_RERUNS + 1):
            request = job_spec.create_request(properties, attempt)
            existing = self._find(request["jobName"])
            if existing is None:
                return _response(self._start(request), request)
            if existing["status"] in ACTIVE_STATUSES:
                LOGGER.info("adopting job %s (%s)", existing["jobArn"], existing["status"])
                return _response(existing["jobArn"], request)
            LOGGER.info("job %s is %s; starting a rerun", request["jobName"], existing["status"])
        raise JobRequestFailed(f"gave up after {MAX_RERUNS} stopped or failed runs of the same inputs")

    def update(self, properties: Mapping[str, Any], old: Mapping[str, Any], physical_id: str) -> dict[str, Any]:
        """Unchanged training inputs keep the job; changed ones start a new job."""
        if (
            job_spec.fingerprint(properties) != job_spec.fingerprint(old)
            or ":model-customization-job/" not in physical_id
        ):
            return self.create(properties)
        LOGGER.info("training inputs unchanged; keeping %s", physical_id)
        job = self._find(physical_id) or {}
        job_name, model_name, _ = job_spec.names(properties)
        return {
            "PhysicalResourceId": physical_id,
            "Data": {
                "JobArn": physical_id,
                "JobName": job.get("jobName", job_name),
                "CustomModelName": job.get("outputModelName", model_name),
            },
        }

    def delete(self, physical_id: str) -> dict[str, Any]:
        """Stop a running job; anything else (finished, never created) needs no action."""
        if ":model-customization-job/" not in physical_id:
            LOGGER.info("no job was created for %r; nothing to stop", physical_id)
            return {"PhysicalResourceId": physical_id}
        try:
            status = self._bedrock.get_model_customization_job(jobIdentifier=physical_id)["status"]
        except ClientError as exc:
            if client_error(exc)[0] == "ResourceNotFoundException":
                return {"PhysicalResourceId": physical_id}
            raise _fail("GetModelCustomizationJob", exc) from None
        if status != "InProgress":
            LOGGER.info("job %s is %s; the custom model (if any) is kept", physical_id, status)
            return {"PhysicalResourceId": physical_id}
        try:
            self._bedrock.stop_model_customization_job(jobIdentifier=physical_id)
            LOGGER.info("stopped job %s", physical_id)
        except ClientError as exc:
            # Conflict: it finished between our read and the stop. NotFound: gone already.
            if client_error(exc)[0] not in {"ConflictException", "ResourceNotFoundException"}:
                raise _fail("StopModelCustomizationJob", exc) from None
        return {"PhysicalResourceId": physical_id}

    def _find(self, job_name: str) -> dict[str, Any] | None:
        try:
            job: dict[str, Any] = self._bedrock.get_model_customization_job(jobIdentifier=job_name)
            return job
        except ClientError as exc:
            if client_error(exc)[0] == "ResourceNotFoundException":
                return None
            raise _fail("GetModelCustomizationJob", exc) from None

    def _start(self, request: dict[str, Any]) -> str:
        give_up_at = self._clock() + IAM_PROPAGATION_RETRY_SECONDS
        while True:
            try:
                job_arn: str = self._bedrock.create_model_customization_job(**request)["jobArn"]
                return job_arn
            except ClientError as exc:
                if _looks_like_iam_propagation(exc) and self._clock() < give_up_at:
                    LOGGER.warning("create refused (%s); retrying while IAM propagates", client_error(exc)[1])
                    self._sleep(IAM_PROPAGATION_SLEEP_SECONDS)
                    continue
                raise _fail("CreateModelCustomizationJob", exc) from None
