"""``Custom::ModelDeploymentCleanup``: on stack Delete, remove the deployment the pipeline recorded.

The completion handler, not CloudFormation, creates the deployment (it appears hours after the
deploy), so the stack only knows it through the SSM parameter. Delete removes that deployment and
the parameter, unless ``RetainOnDelete`` is true: then both stay, and the parameter still says which
deployment is serving. Create and Update only name the resource.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from aws_errors import error_code

from . import naming

LOGGER = logging.getLogger(__name__)


class CleanupFailed(RuntimeError):
    """The deployment could not be deleted; CloudFormation shows this message."""


class DeploymentCleanup:
    def __init__(self, *, bedrock: Any, ssm: Any) -> None:
        self._bedrock, self._ssm = bedrock, ssm

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        properties = event.get("ResourceProperties", {})
        parameter_name = str(properties.get("ParameterName", ""))
        if not parameter_name:
            raise CleanupFailed("resource property ParameterName is required")
        kind = event["RequestType"]
        if kind in ("Create", "Update"):
            # A renamed parameter gives a new physical id: CloudFormation then deletes the old resource.
            return {"PhysicalResourceId": f"deployment-recorded-in:{parameter_name}"}
        if kind != "Delete":
            raise ValueError(f"unknown RequestType {kind!r}")
        retain = str(properties.get("RetainOnDelete", "false")).lower() == "true"
        self.delete(parameter_name, retain=retain)
        return {"PhysicalResourceId": event.get("PhysicalResourceId", parameter_name)}

    def delete(self, parameter_name: str, *, retain: bool) -> None:
        if retain:
            LOGGER.info("RetainOnDelete: keeping the deployment recorded in %s", parameter_name)
            return
        deployment_arn = self._recorded(parameter_name)
        if deployment_arn is None:
            LOGGER.info("no deployment recorded in %s; nothing to delete", parameter_name)
            return
        if naming.is_deployment_arn(deployment_arn):
            self._delete_deployment(deployment_arn)
        else:
            LOGGER.warning(
                "%s holds %r, not a deployment ARN; only the parameter is removed", parameter_name, deployment_arn
            )
        try:
            self._ssm.delete_parameter(Name=parameter_name)
        except ClientError as exc:
            if error_code(exc) != "ParameterNotFound":
                raise CleanupFailed(f"ssm:DeleteParameter {parameter_name} failed: {exc}") from None

    def _recorded(self, parameter_name: str) -> str | None:
        try:
            value: str = self._ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
            return value
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise CleanupFailed(f"ssm:GetParameter {parameter_name} failed: {exc}") from None

    def _delete_deployment(self, deployment_arn: str) -> None:
        try:
            self._bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=deployment_arn)
            LOGGER.info("deleted deployment %s", deployment_arn)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                LOGGER.info("deployment %s is already gone", deployment_arn)
                return
            # Conflict (still Creating or Updating) included: the stack delete fails with the reason and
            # can simply be retried; a silently kept deployment would go unnoticed.
            message = exc.response.get("Error", {}).get("Message", str(exc))
            raise CleanupFailed(
                f"Bedrock DeleteCustomModelDeployment of {deployment_arn} failed: {error_code(exc)}: {message}"
            ) from None
