"""CDK Pipelines: roll the RFT pipeline out across accounts, one stage per environment.

Synth runs the README's two commands (set-up with synth and cdk-nag, then the tests), so
nothing reaches an account that would fail a pull request. Production waits for a manual
approval, and every stage ends with a check of its deployed outputs.
"""

from __future__ import annotations

import json
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_codepipeline as codepipeline, pipelines
from constructs import Construct

from config.settings import PRODUCTION_NAMES, REPO_ROOT, DeliveryConfig, EnvironmentConfig

from .environment import EnvironmentStage
from .support.nag import accept, accept_generated_wildcards

CDK_CLI_VERSION = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]


class DeliveryPipelineStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        delivery: DeliveryConfig,
        environments: dict[str, EnvironmentConfig],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            delivery.repository, delivery.branch, connection_arn=delivery.connection_arn
        )
        # `make setup` installs Node 22 from npm (package.json), synthesizes every environment with cdk-nag.
        synth = pipelines.ShellStep(
            "Synth", input=source, commands=["make setup", "make test"], primary_output_directory="cdk.out"
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{id_}",
            synth=synth,
            cross_account_keys=True,
            enable_key_rotation=True,
            docker_enabled_for_synth=False,
            cli_version=CDK_CLI_VERSION,
            pipeline_type=codepipeline.PipelineType.V2,
        )
        for name in delivery.stages:
            config = environments[name]
            stage = EnvironmentStage(
                self,
                name.capitalize(),
                config=config,
                env=cdk.Environment(account=config.account, region=config.region),
            )
            pre = (
                [pipelines.ManualApprovalStep(f"Promote-{name}", comment=f"Deploy the RFT pipeline to {name}?")]
                if name in PRODUCTION_NAMES
                else []
            )
            data, training = stage.stacks.data.node, stage.stacks.training.node
            check = pipelines.ShellStep(
                f"Check-{name}",
                commands=["python3 scripts/post_deploy_check.py"],
                input=source,
                env={"EXPECTED_ENVIRONMENT": name, "EXPECTED_PROJECT": config.project},
                env_from_cfn_outputs={
                    "BUCKET_NAME": cast(cdk.CfnOutput, data.find_child("BucketName")),
                    "DATASET_URI": cast(cdk.CfnOutput, data.find_child("DatasetUri")),
                    "JOB_ARN": cast(cdk.CfnOutput, training.find_child("JobArn")),
                    "GRADER_FUNCTION": cast(cdk.CfnOutput, training.find_child("GraderFunctionName")),
                },
            )
            self.pipeline.add_stage(stage, pre=pre, post=[check])
        self.pipeline.build_pipeline()  # materialise CDK's roles so their findings can be acknowledged
        self._accept_generated_findings()

    def _accept_generated_findings(self) -> None:
        accept_generated_wildcards(self.pipeline, "Role and grant written by CDK Pipelines")
        accept(
            self.pipeline.pipeline.artifact_bucket,
            "AwsSolutions-S1",
            (
                "Pipeline artifact bucket made by CDK Pipelines: transient build artifacts encrypted with the "
                "pipeline's KMS key and reached only through the pipeline's roles"
            ),
        )
