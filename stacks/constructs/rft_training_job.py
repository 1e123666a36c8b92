"""The RFT training job as a custom resource (CloudFormation has no type for it).

Create starts the job and returns at once with its ARN; a changed input starts a new job and
CloudFormation's delete of the old resource stops the old one. The handler is
``lambda/rft_job`` with a bundled boto3 new enough for ``rftConfig``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_
from constructs import Construct

from ..support.lambda_support import role_with_own_logs, scoped_provider
from ..support.local_bundling import LAMBDA_RUNTIME, REPO_ROOT, bundled_code
from ..support.nag import LATEST_PYTHON_RUNTIME_REASON, accept, accept_wildcard_resources

RESOURCE_TYPE = "Custom::RftTrainingJob"


class RftTrainingJob(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        job_name_prefix: str,
        base_model_id: str,
        service_role: iam.IRole,
        grader: lambda_.IFunction,
        training_data_uri: str | None,
        invocation_logs: Mapping[str, object] | None,
        validation_data_uri: str | None,
        output_data_uri: str,
        hyperparameters: Mapping[str, object],
        inputs_fingerprint: str,
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        role, log_group = role_with_own_logs(
            self, "Handler", description="Starts, reads and stops this pipeline's Bedrock RFT jobs"
        )
        jobs_arn = stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")
        base_model_arn = (
            base_model_id
            if base_model_id.startswith("arn:")
            else stack.format_arn(
                service="bedrock", account="", resource="foundation-model", resource_name=base_model_id
            )
        )
        models_arn = stack.format_arn(service="bedrock", resource="custom-model", resource_name="*")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="StartJob",
                actions=["bedrock:CreateModelCustomizationJob", "bedrock:TagResource"],
                resources=[base_model_arn, jobs_arn, models_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadAndStopJob",
                actions=["bedrock:GetModelCustomizationJob", "bedrock:StopModelCustomizationJob"],
                resources=[jobs_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassServiceRoleToBedrock",
                actions=["iam:PassRole"],
                resources=[service_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
            )
        )
        self.handler = lambda_.Function(
            self,
            "Handler",
            runtime=LAMBDA_RUNTIME,
            handler="rft_job.custom_resource.index.on_event",
            code=bundled_code(REPO_ROOT / "lambda" / "rft_job"),
            role=role,
            log_group=log_group,
            timeout=cdk.Duration.minutes(5),
            memory_size=256,
            logging_format=lambda_.LoggingFormat.JSON,
            description="Custom resource: lifecycle of the Bedrock RFT job",
        )
        provider = scoped_provider(self, on_event_handler=self.handler, purpose="the RFT job")
        accept_wildcard_resources(
            role,
            [jobs_arn, models_arn],
            ("Job and model ARNs carry ids Bedrock assigns at creation; scoped to this account and region"),
        )
        accept(self.handler, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)
        properties: dict[str, object] = {
            "JobNamePrefix": job_name_prefix,
            "BaseModelIdentifier": base_model_id,
            "RoleArn": service_role.role_arn,
            "GraderLambdaArn": grader.function_arn,
            "OutputDataS3Uri": output_data_uri,
            "HyperParameters": dict(hyperparameters),
            "InputsFingerprint": inputs_fingerprint,
            "Tags": dict(tags),
        }
        if training_data_uri:
            properties["TrainingDataS3Uri"] = training_data_uri
        if invocation_logs:
            properties["InvocationLogs"] = json.dumps(invocation_logs, sort_keys=True)
        if validation_data_uri:
            properties["ValidationDataS3Uri"] = validation_data_uri
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=cdk.Duration.minutes(10),
        )
        self.job_arn = self.resource.get_att_string("JobArn")
        self.job_name = self.resource.get_att_string("JobName")
        self.custom_model_name = self.resource.get_att_string("CustomModelName")
