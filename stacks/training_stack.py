"""The Bedrock service role, the RFT training job when configured, and what follows the job:
notification of its end, the optional deployment of its model, and the graders' dashboard and alarms."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from config.settings import REPO_ROOT, EnvironmentConfig
from graders.catalog import CATALOG

from .constructs.bedrock_service_role import BedrockServiceRole
from .constructs.data_bucket import OUTPUT_PREFIX, TRAINING_PREFIX
from .constructs.grader_preflight import GraderPreflight
from .constructs.job_notifications import JobNotifications
from .constructs.model_deployment import ModelDeployment, deployment_parameter_name
from .constructs.monitoring_dashboard import MonitoringDashboard, dashboard_url
from .constructs.reward_health import RewardHealthAlarms, RewardHealthThresholds
from .constructs.rft_training_job import RftTrainingJob
from .data_stack import data_bucket_name, data_key_alias
from .graders_stack import grader_code_paths
from .inputs_fingerprint import inputs_fingerprint


def dataset_uri(bucket_name: str, local_path: str | None) -> str | None:
    return f"s3://{bucket_name}/{TRAINING_PREFIX}{Path(local_path).name}" if local_path else None


class TrainingStack(cdk.Stack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)
        health = config.reward_health
        reward_health = RewardHealthThresholds(**{k: (int(v) if k in ("period_minutes", "evaluation_periods") else v)
                                                  for k, v in health.items()})
        # By name, not by export: the stateful data stack never gets pinned by this stack's references.
        bucket_name = data_bucket_name(config, self.account)
        bucket = s3.Bucket.from_bucket_name(self, "DataBucket", bucket_name)
        grader = lambda_.Function.from_function_name(self, "Grader", config.grader_function_name(config.grader))
        logs = config.dataset.invocation_logs
        self.service_role = BedrockServiceRole(
            self, "BedrockServiceRole", bucket=bucket, training_prefix=TRAINING_PREFIX,
            output_prefix=OUTPUT_PREFIX, grader=grader,
            data_key_alias=data_key_alias(config) if config.data_kms_key else None,
            invocation_logs_bucket=logs.bucket_name if logs else None)
        cdk.CfnOutput(self, "ServiceRoleArn", value=self.service_role.role.role_arn)
        cdk.CfnOutput(self, "GraderFunctionName", value=grader.function_name)
        self._add_post_training(config)
        self.reward_health = RewardHealthAlarms(
            self, "RewardHealth", grader_kind=config.grader, function_name=config.grader_function_name(config.grader),
            grader_timeout=cdk.Duration.seconds(CATALOG[config.grader].timeout_seconds), topic=self.notifications.topic, thresholds=reward_health)
        self.monitoring.dashboard.add_widgets(*self.reward_health.widgets())
        self.job: RftTrainingJob | None = None
        if not config.start_training:
            cdk.CfnOutput(self, "JobArn", value="not started (set startTraining to true to train on deploy)")
            return
        fingerprint = inputs_fingerprint(
            dataset_files=config.dataset.local_files(), grader_code=grader_code_paths(config.grader),
            grader_settings={"grader": config.grader, **config.grader_environment(config.grader, reward_only=True)},
            root=REPO_ROOT)
        self.preflight: GraderPreflight | None = None
        checks = config.preflight
        if checks.enabled:
            uses_judge = config.grader_calls_judge(config.grader)
            self.preflight = GraderPreflight(
                self, "GraderPreflight", grader=grader, grader_kind=config.grader,
                training_dataset=REPO_ROOT / config.dataset.training if config.dataset.training else None,
                inputs_fingerprint=fingerprint, base_model_id=config.base_model_id,
                judge_model_id=config.judge.model_id if uses_judge else None,
                grader_env=config.grader_environment(config.grader),
                check_invocation_logging=logs is not None, sample_rows=checks.sample_rows,
                judge_sample_rows=checks.judge_sample_rows, min_auc=checks.min_auc, min_gap=checks.min_gap,
                max_low_reference_share=checks.max_low_reference_share, grader_timeout=cdk.Duration.seconds(CATALOG[config.grader].timeout_seconds))
            cdk.CfnOutput(self, "PreflightResult", value=self.preflight.summary)
        self.job = RftTrainingJob(
            self, "TrainingJob", job_name_prefix=f"{config.project}-{config.name}",
            base_model_id=config.base_model_id, service_role=self.service_role.role, grader=grader,
            training_data_uri=dataset_uri(bucket_name, config.dataset.training),
            invocation_logs=logs.to_api() if logs else None,
            validation_data_uri=dataset_uri(bucket_name, config.dataset.validation),
            output_data_uri=f"s3://{bucket_name}/{OUTPUT_PREFIX}",
            hyperparameters=config.hyperparameters.to_api(),
            inputs_fingerprint=fingerprint,
            tags={"rft:environment": config.name, "rft:grader": config.grader})
        # The role's permissions must exist before Bedrock first assumes it.
        self.job.resource.node.add_dependency(self.service_role.policy)
        if self.preflight is not None:  # no job starts before its grader passed the preflight
            self.job.resource.node.add_dependency(self.preflight.resource)
        cdk.CfnOutput(self, "JobArn", value=self.job.job_arn)
        cdk.CfnOutput(self, "JobName", value=self.job.job_name)
        cdk.CfnOutput(self, "CustomModelName", value=self.job.custom_model_name)

    def _add_post_training(self, config: EnvironmentConfig) -> None:
        """Job-end notification, optional model deployment, grader dashboard and alarms."""
        deploy = config.model_deployment.enabled
        self.notifications = JobNotifications(
            self, "JobNotifications", project=config.project, environment=config.name,
            emails=config.notification_emails, deliver_to_topic=not deploy)  # else the deployer notifies
        cdk.CfnOutput(self, "NotificationTopicArn", value=self.notifications.topic.topic_arn)
        self.deployment: ModelDeployment | None = None
        if deploy:
            self.deployment = ModelDeployment(
                self, "ModelDeployment", rule=self.notifications.rule, topic=self.notifications.topic,
                parameter_name=deployment_parameter_name(config.project, config.name),
                job_name_prefix=self.notifications.job_name_prefix,
                retain_on_delete=config.model_deployment.retain_on_delete,
                tags={"rft:project": config.project, "rft:environment": config.name})
            cdk.CfnOutput(self, "DeploymentArnParameter", value=self.deployment.parameter_name)
        token_graders = [kind for kind in CATALOG if config.grader_calls_judge(kind)]
        dashboard_name = f"{config.project}-{config.name}-rft-graders"
        self.monitoring = MonitoringDashboard(
            self, "Monitoring", dashboard_name=dashboard_name, alarm_topic=self.notifications.topic,
            grader_functions={kind: config.grader_function_name(kind) for kind in CATALOG},
            token_graders=token_graders, job_grader=config.grader)
        cdk.CfnOutput(self, "DashboardName", value=dashboard_name)
        cdk.CfnOutput(self, "DashboardUrl", value=dashboard_url(config.region, dashboard_name))
