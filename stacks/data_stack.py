"""Stateful resources: the data bucket (and its key), kept apart so other stacks can be replaced freely."""

from __future__ import annotations

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
        logs' bucket; otherwise the training preflight checks that it is on."""
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
        self.invocation_logging = (
            InvocationLogging(self, "InvocationLogging", s3_uri=logs.s3_uri) if logs and logs.manage_logging else None
        )
        cdk.CfnOutput(self, "BucketName", value=self.data.bucket.bucket_name)
        if training:
            dataset_uri = self.data.training_uri(Path(training).name)
        elif logs is not None:
            dataset_uri = logs.s3_uri
        else:  # config/settings.py requires one of the two
            raise ValueError(f"{config.name}: the dataset has neither a training file nor invocation logs")
        cdk.CfnOutput(self, "DatasetUri", value=dataset_uri)
        cdk.CfnOutput(self, "OutputUri", value=self.data.output_uri)
