"""The Bedrock service role, the RFT training job when configured, and what follows the job:
notification of its end, the optional deployment of its model and its evaluation, and the graders' dashboard
and alarms. On the open-weight path (config/base_models.py) the job is an OpenWeightTrainingJob and a poller
announces its end: no service role, no Bedrock job-state events, no deployment step."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_, aws_s3 as s3
from constructs import Construct

from config.settings import REPO_ROOT, EnvironmentConfig
from graders.catalog import CATALOG

from .constructs.bedrock_service_role import BedrockServiceRole
from .constructs.data_bucket import OUTPUT_PREFIX, TRAINING_PREFIX
from .constructs.grader_preflight import GraderPreflight
from .constructs.job_notifications import JobNotifications
from .constructs.model_deployment import ModelDeployment, deployment_parameter_name
from .constructs.model_evaluation import ModelEvaluation
from .constructs.monitoring_dashboard import MonitoringDashboard, dashboard_url
from .constructs.openweight_training_job import OpenWeightJobPoller, OpenWeightTrainingJob
from .constructs.reward_health import RewardHealthAlarms, RewardHealthThresholds
from .constructs.rft_training_job import RftTrainingJob
from .data_stack import data_bucket_name, data_key_alias
from .graders_stack import grader_code_paths
from .support.inputs_fingerprint import inputs_fingerprint
from .support.lambda_support import grant_data_key


def dataset_uri(bucket_name: str, local_path: str | None) -> str | None:
    return f"s3://{bucket_name}/{TRAINING_PREFIX}{Path(local_path).name}" if local_path else None


class TrainingStack(cdk.Stack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        # By name, not by export: the stateful data stack never gets pinned by this stack's references.
        bucket_name = data_bucket_name(config, self.account)
        bucket = s3.Bucket.from_bucket_name(self, "DataBucket", bucket_name)
        grader = lambda_.Function.from_function_name(self, "Grader", config.grader_function_name(config.grader))
        self.job: RftTrainingJob | OpenWeightTrainingJob | None = None
        self.preflight: GraderPreflight | None = None
        if config.open_weight:
            self._add_open_weight(config, bucket, grader)
            return
        logs = config.dataset.invocation_logs
        self.service_role = BedrockServiceRole(
            self,
            "BedrockServiceRole",
            bucket=bucket,
            training_prefix=TRAINING_PREFIX,
            output_prefix=OUTPUT_PREFIX,
            grader=grader,
            data_key_alias=data_key_alias(config) if config.data_kms_key else None,
            invocation_logs_bucket=logs.bucket_name if logs else None,
        )
        cdk.CfnOutput(self, "ServiceRoleArn", value=self.service_role.role.role_arn)
        cdk.CfnOutput(self, "GraderFunctionName", value=grader.function_name)
        self._add_post_training(config, bucket, grader)
        if not config.start_training:
            cdk.CfnOutput(self, "JobArn", value="not started (set startTraining to true to train on deploy)")
            return
        assert config.hyperparameters is not None  # the Nova path always has them
        checks = config.preflight
        if checks.enabled:
            self.preflight = GraderPreflight(
                self,
                "GraderPreflight",
                grader=grader,
                grader_kind=config.grader,
                training_dataset=REPO_ROOT / config.dataset.training if config.dataset.training else None,
                inputs_fingerprint=_fingerprint(config),
                base_model_id=config.base_model_id,
                judge_model_id=config.judge.model_id if config.grader_calls_judge(config.grader) else None,
                grader_env=config.grader_environment(config.grader),
                check_invocation_logging=logs is not None,
                sample_rows=checks.sample_rows,
                judge_sample_rows=checks.judge_sample_rows,
                min_auc=checks.min_auc,
                min_gap=checks.min_gap,
                max_low_reference_share=checks.max_low_reference_share,
                grader_timeout=cdk.Duration.seconds(CATALOG[config.grader].timeout_seconds),
            )
            cdk.CfnOutput(self, "PreflightResult", value=self.preflight.summary)
        self.job = RftTrainingJob(
            self,
            "TrainingJob",
            job_name_prefix=f"{config.project}-{config.name}",
            base_model_id=config.base_model_id,
            service_role=self.service_role.role,
            grader=grader,
            training_data_uri=dataset_uri(bucket_name, config.dataset.training),
            invocation_logs=logs.to_api() if logs else None,
            validation_data_uri=dataset_uri(bucket_name, config.dataset.validation),
            output_data_uri=f"s3://{bucket_name}/{OUTPUT_PREFIX}",
            hyperparameters=config.hyperparameters.to_api(),
            inputs_fingerprint=_fingerprint(config),
            tags={"rft:environment": config.name, "rft:grader": config.grader},
        )
        # The role's permissions must exist before Bedrock first assumes it.
        self.job.resource.node.add_dependency(self.service_role.policy)
        if self.preflight is not None:  # no job starts before the deployed grader passed its rehearsal
            self.job.resource.node.add_dependency(self.preflight.resource)
        cdk.CfnOutput(self, "JobArn", value=self.job.job_arn)
        cdk.CfnOutput(self, "JobName", value=self.job.job_name)
        cdk.CfnOutput(self, "CustomModelName", value=self.job.custom_model_name)

    def _add_open_weight(self, config: EnvironmentConfig, bucket: s3.IBucket, grader: lambda_.IFunction) -> None:
        """The open-weight job (OpenAI-compatible API) and the poller that announces its end."""
        cdk.CfnOutput(self, "GraderFunctionName", value=grader.function_name)
        self._add_post_training(config, bucket, grader)
        self.poller = OpenWeightJobPoller(
            self,
            "JobPoller",
            topic=self.notifications.topic,
            topic_key=self.notifications.key,
            job_name_prefix=self.notifications.job_name_prefix,
            project=config.project,
            environment=config.name,
        )
        if not config.start_training:
            cdk.CfnOutput(self, "JobArn", value="not started (set startTraining to true to train on deploy)")
            return
        training = config.dataset.training
        assert training is not None  # config: the open-weight path needs a training file
        validation = config.dataset.validation
        job = OpenWeightTrainingJob(
            self,
            "TrainingJob",
            job_name_prefix=f"{config.project}-{config.name}",
            base_model_id=config.base_model_id,
            grader=grader,
            bucket=bucket,
            training_key=f"{TRAINING_PREFIX}{Path(training).name}",
            validation_key=f"{TRAINING_PREFIX}{Path(validation).name}" if validation else None,
            hyperparameters=dict(config.open_weight_hyperparameters or {}),
            inputs_fingerprint=_fingerprint(config),
            tags={"rft:environment": config.name, "rft:grader": config.grader},
        )
        if config.data_kms_key:
            handler_role = cast(iam.Role, job.handler.role)  # the job construct gives its handler an iam.Role
            grant_data_key(
                handler_role,
                handler_role,
                alias=data_key_alias(config),
                actions=["kms:Decrypt"],
                sid="ReadEncryptedDataset",
            )
        self.job = job
        cdk.CfnOutput(self, "JobArn", value=job.job_id)
        cdk.CfnOutput(self, "JobName", value=job.job_name)

    def _add_post_training(self, config: EnvironmentConfig, bucket: s3.IBucket, grader: lambda_.IFunction) -> None:
        """Job-end notification, optional model deployment and evaluation, grader dashboard and alarms."""
        deploy = config.model_deployment.enabled
        self.notifications = JobNotifications(
            self,
            "JobNotifications",
            project=config.project,
            environment=config.name,
            emails=config.notification_emails,
            deliver_to_topic=not deploy,
        )  # else the deployer notifies
        cdk.CfnOutput(self, "NotificationTopicArn", value=self.notifications.topic.topic_arn)
        self.deployment: ModelDeployment | None = None
        if deploy:
            self.deployment = ModelDeployment(
                self,
                "ModelDeployment",
                rule=self.notifications.rule,
                topic=self.notifications.topic,
                parameter_name=deployment_parameter_name(config.project, config.name),
                job_name_prefix=self.notifications.job_name_prefix,
                retain_on_delete=config.model_deployment.retain_on_delete,
                tags={"rft:project": config.project, "rft:environment": config.name},
            )
            cdk.CfnOutput(self, "DeploymentArnParameter", value=self.deployment.parameter_name)
        self.evaluation: ModelEvaluation | None = None
        if deploy and config.evaluation.enabled:
            self.evaluation = self._add_evaluation(config, bucket, grader)
        token_graders = [kind for kind in CATALOG if config.grader_calls_judge(kind)]
        dashboard_name = f"{config.project}-{config.name}-rft-graders"
        self.monitoring = MonitoringDashboard(
            self,
            "Monitoring",
            dashboard_name=dashboard_name,
            alarm_topic=self.notifications.topic,
            grader_functions={kind: config.grader_function_name(kind) for kind in CATALOG},
            token_graders=token_graders,
            job_grader=config.grader,
        )
        if self.evaluation is not None:
            self.monitoring.dashboard.add_widgets(*self.evaluation.dashboard_widgets(config.name))
        # Reward health of the job's grader: malformed items, collapsed or stuck rewards, batches near the timeout.
        threshold_values: dict[str, Any] = {
            k: (int(v) if k in ("period_minutes", "evaluation_periods") else v) for k, v in config.reward_health.items()
        }
        thresholds = RewardHealthThresholds(**threshold_values)
        self.reward_health = RewardHealthAlarms(
            self,
            "RewardHealth",
            grader_kind=config.grader,
            function_name=config.grader_function_name(config.grader),
            grader_timeout=cdk.Duration.seconds(CATALOG[config.grader].timeout_seconds),
            topic=self.notifications.topic,
            thresholds=thresholds,
            calls_judge=config.grader_calls_judge(config.grader),
            checks_constraints="format" in config.grader_runs(config.grader),
        )
        self.monitoring.dashboard.add_widgets(*self.reward_health.widgets())
        cdk.CfnOutput(self, "DashboardName", value=dashboard_name)
        cdk.CfnOutput(self, "DashboardUrl", value=dashboard_url(config.region, dashboard_name))

    def _add_evaluation(
        self, config: EnvironmentConfig, bucket: s3.IBucket, grader: lambda_.IFunction
    ) -> ModelEvaluation:
        """Base model vs the tuned deployment on the evaluation set (uploaded to training/ by the data stack)."""
        evaluation, hyper = config.evaluation, config.hyperparameters
        assert evaluation.dataset is not None and hyper is not None  # config: enabled needs both
        construct = ModelEvaluation(
            self,
            "ModelEvaluation",
            rule=self.notifications.rule,
            topic=self.notifications.topic,
            bucket=bucket,
            dataset_key=f"{TRAINING_PREFIX}{Path(evaluation.dataset).name}",
            results_prefix=f"{OUTPUT_PREFIX}evaluation/",
            grader=grader,
            base_model_id=evaluation.base_model_id,
            deployment_parameter=deployment_parameter_name(config.project, config.name),
            environment=config.name,
            max_concurrency=evaluation.max_concurrency,
            limit=evaluation.limit,
            max_tokens=hyper.inference_max_tokens,
            reasoning_effort=hyper.reasoning_effort,
            data_key_alias=data_key_alias(config) if config.data_kms_key else None,
        )
        cdk.CfnOutput(self, "EvaluationStateMachineArn", value=construct.state_machine.state_machine_arn)
        return construct


def _fingerprint(config: EnvironmentConfig) -> str:
    """What a job is made of: a change starts a new job (the same inputs adopt the running one)."""
    return inputs_fingerprint(
        dataset_files=config.dataset.local_files(),
        grader_code=grader_code_paths(config.grader),
        grader_settings={"grader": config.grader, **config.grader_environment(config.grader, reward_only=True)},
        root=REPO_ROOT,
    )
