"""What happens when one of this pipeline's RFT jobs ends.

Completed: the new custom model gets an on-demand deployment (``CreateCustomModelDeployment``),
whose ARN is recorded in an SSM parameter and sent to the pipeline's SNS topic. Failed and
Stopped: no deployment, a notification with Bedrock's failure message. A repeated event (EventBridge
delivers at least once) creates nothing new and sends nothing new. A Bedrock or SSM error is logged
and notified, never swallowed; only a failure to notify raises, so Lambda's retries and its
on-failure destination take over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from aws_errors import client_error

from . import naming

LOGGER = logging.getLogger(__name__)

COMPLETED = "Completed"
ENDED_WITHOUT_MODEL = frozenset({"Failed", "Stopped"})
_SUBJECT_MAX = 100  # SNS e-mail subjects


@dataclass(frozen=True)
class Settings:
    topic_arn: str
    parameter_name: str
    job_name_prefix: str  # ``{project}-{env}-``: events of other pipelines' jobs are ignored
    tags: Mapping[str, str] = field(default_factory=dict)
    # A Completed job's model can briefly still be Creating; Bedrock deploys only Active models.
    model_wait_seconds: float = 600.0
    model_poll_seconds: float = 20.0


@dataclass(frozen=True)
class JobEvent:
    job_name: str
    job_arn: str
    status: str
    output_model_arn: str | None
    output_model_name: str | None
    failure_message: str | None

    @classmethod
    def parse(cls, event: Mapping[str, Any]) -> JobEvent:
        detail = event.get("detail") or {}
        resources = event.get("resources") or [""]
        return cls(
            job_name=str(detail.get("jobName", "")),
            job_arn=str(detail.get("jobArn") or resources[0]),
            status=str(detail.get("jobStatus", "")),
            output_model_arn=detail.get("outputModelArn"),
            output_model_name=detail.get("outputModelName"),
            failure_message=detail.get("failureMessage"),
        )


class DeploymentFailed(RuntimeError):
    """A Bedrock or SSM call of the deployment failed; the message names the call and Bedrock's reason."""


@dataclass(frozen=True)
class Deployment:
    arn: str
    name: str
    status: str
    created: bool  # False: it already existed (a repeated event, or a retry after a crash)
    failure_message: str | None = None


def _client_error(operation: str, exc: ClientError) -> DeploymentFailed:
    code, message = client_error(exc)
    return DeploymentFailed(f"{operation} failed: {code}: {message}")


class JobEventProcessor:
    def __init__(
        self,
        *,
        bedrock: Any,
        ssm: Any,
        sns: Any,
        settings: Settings,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bedrock, self._ssm, self._sns = bedrock, ssm, sns
        self._settings, self._sleep, self._clock = settings, sleep, clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, str]:
        """Act on one ``Model Customization Job State Change`` event; returns what was done."""
        job = JobEvent.parse(event)
        if not job.job_name.startswith(self._settings.job_name_prefix):
            LOGGER.info("ignoring job %r: not one of this pipeline's jobs", job.job_name)
            return {"outcome": "ignored", "reason": "another pipeline's job"}
        if job.status in ENDED_WITHOUT_MODEL:
            self._publish(f"RFT job {job.job_name} {job.status}: no model to deploy", self._ended_text(job))
            return {"outcome": "notified", "status": job.status}
        if job.status != COMPLETED:
            LOGGER.info("job %s is %s; nothing to do", job.job_name, job.status)
            return {"outcome": "ignored", "reason": f"status {job.status}"}
        try:
            deployment = self._deploy(job)
        except DeploymentFailed as exc:
            LOGGER.error("job %s completed but its model was not deployed: %s", job.job_name, exc)
            self._publish(f"RFT job {job.job_name} Completed: deployment FAILED", self._failed_text(job, exc))
            return {"outcome": "deployment_failed", "error": str(exc)}
        recording_error = None
        try:
            if not deployment.created and self._recorded_arn() == deployment.arn:
                LOGGER.info("deployment %s already recorded; repeated event", deployment.arn)
                return {"outcome": "already_deployed", "deploymentArn": deployment.arn}
            self._record(deployment.arn)
            LOGGER.info(
                "deployment %s (%s) recorded in %s", deployment.arn, deployment.status, self._settings.parameter_name
            )
        except DeploymentFailed as exc:
            LOGGER.error("deployment %s exists but was not recorded: %s", deployment.arn, exc)
            recording_error = str(exc)
        self._publish(
            f"RFT job {job.job_name} Completed: model deployed", self._deployed_text(job, deployment, recording_error)
        )
        return {
            "outcome": "deployed" if deployment.created else "adopted",
            "deploymentArn": deployment.arn,
            **({"recordingError": recording_error} if recording_error else {}),
        }

    # Bedrock

    def _deploy(self, job: JobEvent) -> Deployment:
        if not job.output_model_arn:
            raise DeploymentFailed("the event carries no outputModelArn")
        model = self._active_model(job.output_model_arn)
        name = naming.deployment_name(job.output_model_name or model["modelName"])
        existing = self._existing_deployment(name)
        if existing is not None:
            if existing["modelArn"] != job.output_model_arn:
                raise DeploymentFailed(
                    f"a deployment named {name} already serves another model ({existing['modelArn']})"
                )
            LOGGER.info("deployment %s already exists (%s)", existing["customModelDeploymentArn"], existing["status"])
            return Deployment(
                arn=existing["customModelDeploymentArn"],
                name=name,
                status=existing["status"],
                created=False,
                failure_message=existing.get("failureMessage"),
            )
        request: dict[str, Any] = {
            "modelDeploymentName": name,
            "modelArn": job.output_model_arn,
            "description": f"On-demand inference for the model trained by RFT job {job.job_name}",
            "clientRequestToken": naming.request_token(job.job_arn or job.job_name),
        }
        if self._settings.tags:
            request["tags"] = [{"key": k, "value": v} for k, v in sorted(self._settings.tags.items())]
        try:
            arn = self._bedrock.create_custom_model_deployment(**request)["customModelDeploymentArn"]
        except ClientError as exc:
            raise _client_error("CreateCustomModelDeployment", exc) from None
        LOGGER.info("created deployment %s of %s", arn, job.output_model_arn)
        return Deployment(arn=arn, name=name, status="Creating", created=True)

    def _active_model(self, model_arn: str) -> dict[str, Any]:
        give_up_at = self._clock() + self._settings.model_wait_seconds
        while True:
            try:
                model = self._bedrock.get_custom_model(modelIdentifier=model_arn)
            except ClientError as exc:
                raise _client_error("GetCustomModel", exc) from None
            status = model.get("modelStatus", "Active")  # older models carry no status: they are usable
            if status == "Active":
                active: dict[str, Any] = model
                return active
            if status == "Failed":
                raise DeploymentFailed(
                    f"custom model {model_arn} is Failed: {model.get('failureMessage') or 'no reason given'}"
                )
            if self._clock() >= give_up_at:
                raise DeploymentFailed(
                    f"custom model {model_arn} is still {status} after "
                    f"{self._settings.model_wait_seconds:.0f} s; deploy it once it is Active"
                )
            LOGGER.info("custom model %s is %s; waiting", model_arn, status)
            self._sleep(self._settings.model_poll_seconds)

    def _existing_deployment(self, name: str) -> dict[str, Any] | None:
        try:
            deployment: dict[str, Any] = self._bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=name)
            return deployment
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise _client_error("GetCustomModelDeployment", exc) from None

    # SSM and SNS

    def _recorded_arn(self) -> str | None:
        try:
            value: str = self._ssm.get_parameter(Name=self._settings.parameter_name)["Parameter"]["Value"]
            return value
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise _client_error("ssm:GetParameter", exc) from None

    def _record(self, deployment_arn: str) -> None:
        try:
            self._ssm.put_parameter(
                Name=self._settings.parameter_name,
                Value=deployment_arn,
                Type="String",
                Overwrite=True,
                Description="On-demand deployment of the latest model this RFT pipeline trained",
            )
        except ClientError as exc:
            raise _client_error(f"ssm:PutParameter of {deployment_arn}", exc) from None

    def _publish(self, subject: str, message: str) -> None:
        # Not caught: if the topic is unreachable, raising lets Lambda retry and log the event.
        self._sns.publish(TopicArn=self._settings.topic_arn, Subject=_subject(subject), Message=message)

    # Messages

    def _ended_text(self, job: JobEvent) -> str:
        return "\n".join(
            [
                f"The Bedrock reinforcement fine-tuning job {job.job_name} ended with status {job.status}.",
                f"Reason: {job.failure_message or 'Bedrock gave no failure message (a stopped job has none).'}",
                "No model was produced, so nothing was deployed.",
                f"Job ARN: {job.job_arn}",
            ]
        )

    def _failed_text(self, job: JobEvent, error: DeploymentFailed) -> str:
        return "\n".join(
            [
                f"The Bedrock reinforcement fine-tuning job {job.job_name} completed, but deploying its model failed.",
                f"Error: {error}",
                f"Custom model ARN: {job.output_model_arn or 'unknown'}",
                f"Job ARN: {job.job_arn}",
                "Deploy it by hand (aws bedrock create-custom-model-deployment) once the cause is fixed.",
            ]
        )

    def _deployed_text(self, job: JobEvent, deployment: Deployment, recording_error: str | None) -> str:
        lines = [
            f"The Bedrock reinforcement fine-tuning job {job.job_name} completed.",
            f"Custom model ARN: {job.output_model_arn}",
            f"On-demand deployment: {deployment.name} ({deployment.status}"
            f"{', ' + deployment.failure_message if deployment.failure_message else ''})",
            f"Deployment ARN (use it as modelId with InvokeModel or Converse): {deployment.arn}",
            (
                f"NOT recorded in SSM parameter {self._settings.parameter_name}: {recording_error}. The stack's "
                "delete will not remove this deployment; delete it by hand if it is not wanted."
                if recording_error
                else f"Recorded in SSM parameter {self._settings.parameter_name}"
            ),
            f"Job ARN: {job.job_arn}",
        ]
        if not deployment.created:
            lines.append("The deployment already existed (created on an earlier delivery of this event).")
        return "\n".join(lines)


def _subject(text: str) -> str:
    """SNS subjects: at most 100 printable ASCII characters, no line breaks."""
    ascii_only = "".join(c if 32 <= ord(c) < 127 else " " for c in text)
    return ascii_only if len(ascii_only) <= _SUBJECT_MAX else ascii_only[: _SUBJECT_MAX - 3] + "..."
