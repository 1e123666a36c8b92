"""The open-weight RFT job (gpt-oss, Qwen3, Nemotron) as a custom resource, and its job-state poller.

Open-weight RFT runs through Bedrock's OpenAI-compatible fine-tuning API (``bedrock-mantle``), not through
``CreateModelCustomizationJob``, so there is no Bedrock service role: the job runs with the caller's identity. The
handler's role therefore holds what the job needs: read of the two dataset objects, the ``bedrock-mantle`` actions
for files and fine-tuning jobs, ``CallWithBearerToken`` (a short-term Bedrock API key made from the role), and
``lambda:InvokeFunction`` on the grader (AWS: "Access and security for open-weight models"). No action wildcards.

AWS documents no EventBridge events for these jobs, so :class:`OpenWeightJobPoller` checks on a schedule and
publishes finished jobs to the pipeline's notification topic.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import (
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_s3 as s3,
    aws_sns as sns,
)
from constructs import Construct

from ..support.lambda_support import role_with_own_logs, scoped_provider
from ..support.local_bundling import LAMBDA_RUNTIME, REPO_ROOT, bundled_code
from ..support.nag import LATEST_PYTHON_RUNTIME_REASON, accept, accept_wildcard_resources

RESOURCE_TYPE = "Custom::OpenWeightRftJob"
CODE_DIR = REPO_ROOT / "lambda" / "rft_job_openweight"
# bedrock-mantle actions (Service Authorization Reference, "Amazon Bedrock Powered by AWS Mantle"). Files and
# fine-tuning jobs have no resource type there, so these statements name "*" (scoped by the region's endpoint).
JOB_ACTIONS = (
    "bedrock-mantle:CreateFile",
    "bedrock-mantle:GetFile",
    "bedrock-mantle:ListFiles",
    "bedrock-mantle:DeleteFile",
    "bedrock-mantle:CreateFineTuningJob",
    "bedrock-mantle:GetFineTuningJob",
    "bedrock-mantle:ListFineTuningJobs",
    "bedrock-mantle:CancelFineTuningJob",
)
POLLER_ACTIONS = ("bedrock-mantle:GetFineTuningJob", "bedrock-mantle:ListFineTuningJobs")
BEARER_TOKEN_ACTION = "bedrock-mantle:CallWithBearerToken"
# The short-term key is itself a presigned ``bedrock`` CallWithBearerToken request
# (see lambda/rft_job_openweight/auth.py), so the role may need the bedrock-side action too;
# neither names a resource type.
BEARER_TOKEN_ACTIONS = (BEARER_TOKEN_ACTION, "bedrock:CallWithBearerToken")
_NO_RESOURCE_TYPE = (
    "bedrock-mantle file and fine-tuning-job actions have no resource type in the Service "
    "Authorization Reference; the actions are listed one by one"
)


def _mantle_policy(role: iam.Role, sid: str, actions: tuple[str, ...], region: str) -> None:
    role.add_to_policy(
        iam.PolicyStatement(
            sid=sid,
            actions=list(actions),
            resources=["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": region}},
        )
    )
    # Required for any call made with a Bedrock API key; the reference lists no resource type for it.
    role.add_to_policy(
        iam.PolicyStatement(
            sid=f"{sid}BearerToken",
            actions=list(BEARER_TOKEN_ACTIONS),
            resources=["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": region}},
        )
    )


class OpenWeightTrainingJob(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        job_name_prefix: str,
        base_model_id: str,
        grader: lambda_.IFunction,
        bucket: s3.IBucket,
        training_key: str,
        validation_key: str | None,
        hyperparameters: Mapping[str, object],
        inputs_fingerprint: str,
        tags: Mapping[str, str],
        data_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        role, log_group = role_with_own_logs(
            self,
            "Handler",
            description="Uploads this pipeline's RFT data and starts, reads and cancels its "
            "open-weight RFT jobs (OpenAI-compatible API)",
        )
        keys = [training_key] + ([validation_key] if validation_key else [])
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadDataset", actions=["s3:GetObject"], resources=[bucket.arn_for_objects(k) for k in keys]
            )
        )
        if data_key is not None:
            data_key.grant_decrypt(role)
        _mantle_policy(role, "FineTuningJobs", JOB_ACTIONS, stack.region)
        # The job calls the reward function with the identity that created it.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeGrader",
                actions=["lambda:InvokeFunction"],
                resources=[grader.function_arn, f"{grader.function_arn}:*"],
            )
        )
        self.handler = lambda_.Function(
            self,
            "Handler",
            runtime=LAMBDA_RUNTIME,
            handler="rft_job_openweight.index.on_event",
            code=bundled_code(CODE_DIR),
            role=role,
            log_group=log_group,
            timeout=cdk.Duration.minutes(5),
            memory_size=512,
            logging_format=lambda_.LoggingFormat.JSON,
            description="Custom resource: lifecycle of the open-weight RFT job (OpenAI-compatible API)",
        )
        provider = scoped_provider(self, on_event_handler=self.handler, purpose="the open-weight RFT job")
        accept_wildcard_resources(role, ["*", f"{grader.function_arn}:*"], _NO_RESOURCE_TYPE + "; grader versions")
        accept(self.handler, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)
        properties: dict[str, object] = {
            "JobNamePrefix": job_name_prefix,
            "BaseModelIdentifier": base_model_id,
            "GraderLambdaArn": grader.function_arn,
            "TrainingDataS3Uri": f"s3://{bucket.bucket_name}/{training_key}",
            "HyperParameters": dict(hyperparameters),
            "InputsFingerprint": inputs_fingerprint,
            "Tags": dict(tags),
        }
        if validation_key:
            properties["ValidationDataS3Uri"] = f"s3://{bucket.bucket_name}/{validation_key}"
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=cdk.Duration.minutes(10),
        )
        # The role's permissions must exist before the first call with a token made from it.
        self.resource.node.add_dependency(role)
        self.job_id = self.resource.get_att_string("JobId")
        self.job_name = self.resource.get_att_string("JobName")


class OpenWeightJobPoller(Construct):
    """Every ``interval``, publish this pipeline's open-weight jobs that ended in the last interval to ``topic``."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        topic: sns.ITopic,
        topic_key: kms.IKey | None,
        job_name_prefix: str,
        project: str,
        environment: str,
        interval: cdk.Duration = cdk.Duration.minutes(5),
    ) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        role, log_group = role_with_own_logs(
            self,
            "Poller",
            description="Reads this pipeline's open-weight RFT jobs and publishes their end to the notification topic",
        )
        _mantle_policy(role, "ReadFineTuningJobs", POLLER_ACTIONS, stack.region)
        self.function = lambda_.Function(
            self,
            "Poller",
            runtime=LAMBDA_RUNTIME,
            handler="rft_job_openweight.poller.handler",
            code=bundled_code(CODE_DIR),
            role=role,
            log_group=log_group,
            timeout=cdk.Duration.minutes(1),
            memory_size=256,
            logging_format=lambda_.LoggingFormat.JSON,
            description="Announces the end of open-weight RFT jobs (no EventBridge events exist for them)",
            environment={
                "TOPIC_ARN": topic.topic_arn,
                "JOB_NAME_PREFIX": job_name_prefix,
                "PROJECT": project,
                "ENVIRONMENT": environment,
                "WINDOW_SECONDS": str(int(interval.to_seconds())),
            },
        )
        # Explicit actions: topic.grant_publish would add the wildcard action kms:GenerateDataKey*.
        role.add_to_policy(
            iam.PolicyStatement(sid="PublishJobEnd", actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        if topic_key is not None:
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="EncryptForTopic", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[topic_key.key_arn]
                )
            )
        self.rule = events.Rule(
            self,
            "Schedule",
            schedule=events.Schedule.rate(interval),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
            description="Poll open-weight RFT jobs for their end",
        )
        accept_wildcard_resources(role, ["*"], _NO_RESOURCE_TYPE)
        accept(self.function, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)
