"""Bedrock model-invocation logging to S3 as code (optional): a custom resource that turns it on and, on
delete, puts back the account's previous configuration (``lambda/invocation_logging``)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_
from constructs import Construct

from ..support.lambda_support import role_with_own_logs, scoped_provider
from ..support.local_bundling import LAMBDA_RUNTIME, REPO_ROOT
from ..support.nag import LATEST_PYTHON_RUNTIME_REASON, accept, accept_wildcard_resources

RESOURCE_TYPE = "Custom::BedrockInvocationLogging"


class InvocationLogging(Construct):
    def __init__(self, scope: Construct, id_: str, *, s3_uri: str) -> None:
        super().__init__(scope, id_)
        bucket, _, prefix = s3_uri[len("s3://") :].partition("/")
        role, log_group = role_with_own_logs(self, "Handler", description="Manages Bedrock invocation logging")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ManageInvocationLogging",
                actions=[
                    "bedrock:GetModelInvocationLoggingConfiguration",
                    "bedrock:PutModelInvocationLoggingConfiguration",
                    "bedrock:DeleteModelInvocationLoggingConfiguration",
                ],
                resources=["*"],
            )
        )
        accept_wildcard_resources(role, ["*"], "Invocation logging is an account setting with no resource ARN")
        handler = lambda_.Function(
            self,
            "Handler",
            runtime=LAMBDA_RUNTIME,
            handler="invocation_logging.index.on_event",
            code=lambda_.Code.from_asset(
                str(REPO_ROOT / "lambda"), exclude=["*", "!invocation_logging", "!invocation_logging/*.py"]
            ),
            role=role,
            log_group=log_group,
            timeout=cdk.Duration.minutes(1),
            memory_size=128,
            description="Custom resource: Bedrock model-invocation logging to S3",
        )
        accept(handler, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)
        provider = scoped_provider(self, on_event_handler=handler, purpose="Bedrock invocation logging")
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties={"BucketName": bucket, "KeyPrefix": prefix},
        )
