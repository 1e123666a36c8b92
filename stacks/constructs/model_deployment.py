"""Optional: deploy the trained model for on-demand inference when its job completes.

The job ends hours after ``cdk deploy``, so the deployment cannot be a CloudFormation resource: a
Lambda on the job-state rule calls ``CreateCustomModelDeployment`` and records the deployment ARN in
an SSM parameter (``/{project}/{env}/custom-model-deployment-arn``). A small custom resource
deletes that recorded deployment when the stack is deleted, unless ``retain_on_delete``.
Code: ``lambda/rft_job/events`` (boto3 bundled: the runtime's may predate the deployment API).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import (
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_lambda_destinations as destinations,
    aws_sns as sns,
)
from constructs import Construct

from ..support.lambda_support import role_with_own_logs, scoped_provider
from ..support.local_bundling import LAMBDA_RUNTIME, REPO_ROOT, bundled_code
from ..support.nag import LATEST_PYTHON_RUNTIME_REASON, accept, accept_wildcard_actions, accept_wildcard_resources

CLEANUP_RESOURCE_TYPE = "Custom::ModelDeploymentCleanup"
# The job package: the training job's custom resource and these event reactions share one asset and one lock.
JOB_SOURCE = REPO_ROOT / "lambda" / "rft_job"


def deployment_parameter_name(project: str, environment: str) -> str:
    return f"/{project}/{environment}/custom-model-deployment-arn"


class ModelDeployment(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        rule: events.Rule,
        topic: sns.ITopic,
        parameter_name: str,
        job_name_prefix: str,
        retain_on_delete: bool,
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        self.parameter_name = parameter_name
        parameter_arn = stack.format_arn(service="ssm", resource="parameter", resource_name=parameter_name.lstrip("/"))
        models_arn = stack.format_arn(service="bedrock", resource="custom-model", resource_name="*")
        deployments_arn = stack.format_arn(service="bedrock", resource="custom-model-deployment", resource_name="*")
        code = bundled_code(JOB_SOURCE)

        # On a job-state event: deploy (Completed) or explain (Failed, Stopped), and notify.
        handler_role, self.handler_logs = role_with_own_logs(
            self, "Handler", description="Deploys this pipeline's trained model and notifies the outcome"
        )
        handler_role.add_to_policy(
            iam.PolicyStatement(sid="ReadTrainedModel", actions=["bedrock:GetCustomModel"], resources=[models_arn])
        )
        handler_role.add_to_policy(
            iam.PolicyStatement(
                sid="DeployTrainedModel",
                actions=["bedrock:CreateCustomModelDeployment"],
                resources=[models_arn, deployments_arn],
            )
        )
        handler_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadAndTagDeployment",
                actions=["bedrock:GetCustomModelDeployment", "bedrock:TagResource"],
                resources=[deployments_arn],
            )
        )
        handler_role.add_to_policy(
            iam.PolicyStatement(
                sid="RecordDeployment", actions=["ssm:GetParameter", "ssm:PutParameter"], resources=[parameter_arn]
            )
        )
        topic.grant_publish(handler_role)
        self.handler = lambda_.Function(
            self,
            "Handler",
            runtime=LAMBDA_RUNTIME,
            handler="rft_job.events.index.on_job_event",
            code=code,
            role=handler_role,
            log_group=self.handler_logs,
            logging_format=lambda_.LoggingFormat.JSON,
            # Up to 10 minutes waiting for the new model to turn Active, plus the calls themselves.
            timeout=cdk.Duration.minutes(15),
            memory_size=256,
            description="Deploys the model of a completed RFT job; notifies every job outcome",
            environment={
                "TOPIC_ARN": topic.topic_arn,
                "DEPLOYMENT_PARAMETER": parameter_name,
                "JOB_NAME_PREFIX": job_name_prefix,
                "DEPLOYMENT_TAGS": json.dumps(dict(tags)),
            },
            # Whatever escapes the handler (it notifies Bedrock errors itself) reaches people this way.
            retry_attempts=2,
            on_failure=destinations.SnsDestination(topic),
        )
        rule.add_target(targets.LambdaFunction(self.handler, retry_attempts=4, max_event_age=cdk.Duration.hours(2)))

        # On stack delete: remove the recorded deployment (unless retained).
        cleanup_role, cleanup_logs = role_with_own_logs(
            self, "Cleanup", description="Deletes the recorded model deployment when the stack is deleted"
        )
        cleanup_role.add_to_policy(
            iam.PolicyStatement(
                sid="DeleteDeployment", actions=["bedrock:DeleteCustomModelDeployment"], resources=[deployments_arn]
            )
        )
        cleanup_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadAndRemoveRecord",
                actions=["ssm:GetParameter", "ssm:DeleteParameter"],
                resources=[parameter_arn],
            )
        )
        cleanup_handler = lambda_.Function(
            self,
            "CleanupHandler",
            runtime=LAMBDA_RUNTIME,
            handler="rft_job.events.index.on_cleanup_event",
            code=code,
            role=cleanup_role,
            log_group=cleanup_logs,
            logging_format=lambda_.LoggingFormat.JSON,
            timeout=cdk.Duration.minutes(5),
            memory_size=256,
            description="Custom resource: deletes the recorded model deployment with the stack",
        )
        provider = scoped_provider(self, on_event_handler=cleanup_handler, purpose="the deployment clean-up")
        self.cleanup = cdk.CustomResource(
            self,
            "Cleanup",
            service_token=provider.service_token,
            resource_type=CLEANUP_RESOURCE_TYPE,
            properties={"ParameterName": parameter_name, "RetainOnDelete": str(retain_on_delete).lower()},
            service_timeout=cdk.Duration.minutes(10),
        )

        generated_ids = (
            "Custom-model and deployment ARNs end in ids Bedrock assigns when the job or the "
            "deployment is created; scoped to this account and region"
        )
        accept_wildcard_resources(handler_role, [models_arn, deployments_arn], generated_ids)
        accept_wildcard_resources(cleanup_role, [deployments_arn], generated_ids)
        accept_wildcard_actions(
            handler_role,
            ["kms:GenerateDataKey*"],
            ("CDK's grant to publish to the KMS-encrypted topic: GenerateDataKey* on that one topic key only"),
        )
        for function in (self.handler, cleanup_handler):
            accept(function, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)
