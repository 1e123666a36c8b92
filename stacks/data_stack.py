"""Stateful resources: the data bucket (and its key), kept apart so other stacks can be replaced freely."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from config.settings import EnvironmentConfig

from .constructs.data_bucket import DataBucket
from .constructs.invocation_logging import InvocationLogging


def data_bucket_name(config: EnvironmentConfig, account: str) -> str:
    """Deterministic, so other stacks refer to the bucket by name rather than by export."""
    return f"{config.project}-{config.name}-data-{account}-{config.region}"


def data_key_alias(config: EnvironmentConfig) -> str:
    """The data key's alias: the training stack's role is scoped to it rather than importing the key."""
    return f"alias/{config.project}-{config.name}-rft-data"


def _evaluation_files(config: EnvironmentConfig) -> list[Path]:
    from config.settings import REPO_ROOT

    evaluation = config.evaluation
    return [REPO_ROOT / evaluation.dataset] if evaluation.enabled and evaluation.dataset else []


class DataStack(cdk.Stack):
    def __init__(
        self, scope: Construct, id_: str, *, config: EnvironmentConfig, datasets_dir: Path, **kwargs: Any
    ) -> None:
        """With ``dataset.invocationLogs.manageLogging`` this stack turns Bedrock invocation logging on to the
        logs' bucket (and, when that is the data bucket, lets Bedrock write there); otherwise the training
        preflight checks that it is on."""
        super().__init__(scope, id_, **kwargs)
        self.data = DataBucket(
            self,
            "Data",
            bucket_name=data_bucket_name(config, self.account),
            datasets_dir=datasets_dir,
            key_alias=data_key_alias(config) if config.data_kms_key else None,
            # Only the configured files, which synth validated: a broken file never uploads.
            dataset_files=sorted(
                {
                    p.name
                    for p in [*config.dataset.local_files(), *_evaluation_files(config)]
                    if p.parent == datasets_dir
                }
            ),
        )
        training = config.dataset.training
        logs = config.dataset.invocation_logs
        self.invocation_logging: InvocationLogging | None = None
        if logs and logs.manage_logging:
            self.invocation_logging = InvocationLogging(self, "InvocationLogging", s3_uri=logs.s3_uri)
            self._let_bedrock_write_logs(config, logs.bucket_name, logs.s3_uri)
        cdk.CfnOutput(self, "BucketName", value=self.data.bucket.bucket_name)
        if training:
            dataset_uri = self.data.training_uri(Path(training).name)
        elif logs is not None:
            dataset_uri = logs.s3_uri
        else:  # config/settings.py requires one of the two
            raise ValueError(f"{config.name}: the dataset has neither a training file nor invocation logs")
        cdk.CfnOutput(self, "DatasetUri", value=dataset_uri)
        cdk.CfnOutput(self, "OutputUri", value=self.data.output_uri)

    def _let_bedrock_write_logs(self, config: EnvironmentConfig, bucket: str, s3_uri: str) -> None:
        """Bedrock checks at PutModelInvocationLoggingConfiguration that it may write to the destination.

        Into the data bucket (``s3Uri`` names it): this stack adds the bucket-policy (and key-policy)
        statements, and the logging resource waits for them. Another bucket is not this stack's to change:
        synth warns with what its policy needs."""
        account = _data_bucket_account(config, bucket)
        if cdk.Token.is_unresolved(self.account) and account:
            # A "caller" environment: the account is known at deploy only; refuse another account's bucket.
            cdk.CfnRule(
                self,
                "InvocationLogsInTheDataBucket",
                assertions=[
                    cdk.CfnRuleAssertion(
                        assert_=cdk.Fn.condition_equals(cdk.Aws.ACCOUNT_ID, account),
                        assert_description=(
                            f"dataset.invocationLogs.s3Uri names {bucket}, the data bucket of account {account}, "
                            "not of this account: use s3://" + data_bucket_name(config, "<this account>") + "/<prefix>"
                        ),
                    )
                ],
            )
        elif account != self.account:
            account = None
        if account is None:
            cdk.Annotations.of(self).add_warning_v2(
                "rft:invocationLogsBucket",
                f"dataset.invocationLogs.manageLogging: {bucket} is not this stack's data bucket, so its policy "
                "must already let Bedrock write the logs (statement 'AmazonBedrockLogsWrite' in "
                "https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html), or "
                "PutModelInvocationLoggingConfiguration fails its destination check. Or point s3Uri into "
                f"s3://{data_bucket_name(config, '<account>')}/<prefix> and the stack grants it.",
            )
            return
        self.data.allow_invocation_logs(s3_uri[len("s3://") :].partition("/")[2])
        logging = self.invocation_logging
        assert logging is not None
        # The destination check runs at create: the policies must be in place first.
        logging.resource.node.add_dependency(self.data.bucket)
        if self.data.bucket.policy is not None:
            logging.resource.node.add_dependency(self.data.bucket.policy)
        if self.data.key is not None:
            logging.resource.node.add_dependency(self.data.key)


def _data_bucket_account(config: EnvironmentConfig, bucket: str) -> str | None:
    """The account whose data bucket ``bucket`` is named as (``data_bucket_name``), or None."""
    pattern = re.escape(data_bucket_name(config, "ACCOUNT")).replace("ACCOUNT", r"(\d{12})")
    match = re.fullmatch(pattern, bucket)
    return match.group(1) if match else None
