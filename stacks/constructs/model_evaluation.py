"""Optional: after the job, evaluate the tuned deployment against the base model with the job's grader.

Trigger: the job-state rule (Completed jobs of this pipeline) starts a Standard state machine. The
completion handler (``lambda/rft_job/events``) creates the deployment and records its ARN in SSM; the
first step waits (retrying every minute, up to ``deployment_wait``) until that record names an
Active deployment of this job's model. This keeps the completion handler unchanged and the two
reactions independent: a failed evaluation never hides the deployment notification.

Then a Distributed Map reads the evaluation JSONL straight from the data bucket (``ItemReader``,
``maxItems`` = ``limit``) and runs, per row and at most ``max_concurrency`` rows at once: Converse on
the base model and on the deployment (a Parallel of two ``answer`` Lambda calls, retried with
backoff on throttling), the grader Lambda on the two answers (one two-item batch, as Bedrock calls
it), and ``record`` (the row to S3). ``summarize`` writes ``evaluation.jsonl``, ``summary.json`` and
``report.md`` under ``<results prefix><job name>/``, publishes the summary to the topic and puts the
``EvaluationMeanReward``/``EvaluationPassRate``/``EvaluationLift`` metrics. Code: ``lambda/evaluation``.
"""

from __future__ import annotations

import json
from typing import cast

import aws_cdk as cdk
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_sns as sns,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct

from ..support.lambda_support import grant_data_key, role_with_own_logs
from ..support.local_bundling import LAMBDA_RUNTIME, REPO_ROOT, bundled_code
from ..support.nag import (
    LATEST_PYTHON_RUNTIME_REASON,
    accept,
    accept_wildcard_actions,
    accept_wildcard_resources,
    nag_text,
)
from .grader_function import judge_model_arns

EVALUATION_SOURCE = REPO_ROOT / "lambda" / "evaluation"
METRIC_NAMESPACE = "BedrockRFT"  # = lambda/evaluation/steps.py METRIC_NAMESPACE
THROTTLE_ERRORS = ["ModelThrottled"]
TRANSIENT_LAMBDA_ERRORS = [
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.SdkClientException",
    "Lambda.AWSLambdaException",
]


class _OneObjectJsonLReader(sfn.S3JsonLItemReader):
    """CDK's JSONL reader grants ``s3:GetObject`` on the whole bucket; the map reads one object."""

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        return [iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(self.key)])]


class ModelEvaluation(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        rule: events.Rule,
        topic: sns.ITopic,
        bucket: s3.IBucket,
        dataset_key: str,
        results_prefix: str,
        grader: lambda_.IFunction,
        base_model_id: str,
        deployment_parameter: str,
        environment: str,
        max_concurrency: int = 8,
        limit: int | None = None,
        max_tokens: int | None = None,
        reasoning_effort: str | None = None,
        deployment_wait: cdk.Duration = cdk.Duration.hours(2),
        data_key_alias: str | None = None,
    ) -> None:
        """``data_key_alias``: the data bucket's customer-managed key (None: SSE-S3, no key grants)."""
        super().__init__(scope, id_)
        if not 1 <= max_concurrency <= 1000:
            raise ValueError(f"max_concurrency must be 1-1000, got {max_concurrency}")
        stack = cdk.Stack.of(self)
        code = bundled_code(EVALUATION_SOURCE)
        self.results_prefix = results_prefix
        deployments_arn = stack.format_arn(service="bedrock", resource="custom-model-deployment", resource_name="*")
        self.base_model_arns = judge_model_arns(
            base_model_id, region=stack.region, account=stack.account, partition=stack.partition
        )
        results_objects = bucket.arn_for_objects(f"{results_prefix}*")
        common_env = {"BUCKET": bucket.bucket_name, "RESULTS_PREFIX": results_prefix}

        def function(
            name: str, handler: str, description: str, timeout: cdk.Duration, environment_: dict[str, str]
        ) -> tuple[lambda_.Function, iam.Role]:
            role, log_group = role_with_own_logs(self, name, description=description)
            fn = lambda_.Function(
                self,
                f"{name}Function",
                runtime=LAMBDA_RUNTIME,
                code=code,
                handler=f"evaluation.index.{handler}",
                role=role,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                timeout=timeout,
                memory_size=256,
                description=description,
                environment=environment_,
            )
            accept(fn, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)
            return fn, role

        resolve_fn, resolve_role = function(
            "Resolve",
            "on_resolve",
            "Finds the tuned model's Active deployment for the evaluation",
            cdk.Duration.seconds(30),
            {"DEPLOYMENT_PARAMETER": deployment_parameter},
        )
        resolve_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadDeploymentRecord",
                actions=["ssm:GetParameter"],
                resources=[
                    stack.format_arn(
                        service="ssm", resource="parameter", resource_name=deployment_parameter.lstrip("/")
                    )
                ],
            )
        )
        resolve_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadDeployment", actions=["bedrock:GetCustomModelDeployment"], resources=[deployments_arn]
            )
        )

        answer_env = {
            k: v
            for k, v in {
                "MAX_TOKENS": str(max_tokens) if max_tokens else "",
                "REASONING_EFFORT": reasoning_effort or "",
            }.items()
            if v
        }
        self.answer_function, answer_role = function(
            "Answer",
            "on_answer",
            "Answers one evaluation prompt with the base or the tuned model",
            cdk.Duration.minutes(10),
            answer_env,
        )
        # Exactly the base model (its profile and the foundation models it routes to) and this
        # account's deployments (the tuned deployment's id is assigned after the job; see the note below).
        answer_role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeTheTwoModels",
                actions=["bedrock:InvokeModel"],
                resources=[*self.base_model_arns, deployments_arn],
            )
        )

        record_fn, record_role = function(
            "Record",
            "on_record",
            "Writes one evaluated row to the results prefix",
            cdk.Duration.seconds(30),
            common_env,
        )
        record_role.add_to_policy(
            iam.PolicyStatement(sid="WriteResults", actions=["s3:PutObject"], resources=[results_objects])
        )

        summarize_fn, summarize_role = function(
            "Summarize",
            "on_summarize",
            "Summarizes the evaluation, notifies it and puts its metrics",
            cdk.Duration.minutes(5),
            {
                **common_env,
                "TOPIC_ARN": topic.topic_arn,
                "ENVIRONMENT": environment,
                "BASE_MODEL_ID": base_model_id,
                "GRADER_FUNCTION": grader.function_name,
                "DATASET_KEY": dataset_key,
            },
        )
        summarize_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadAndWriteResults", actions=["s3:GetObject", "s3:PutObject"], resources=[results_objects]
            )
        )
        summarize_role.add_to_policy(
            iam.PolicyStatement(
                sid="ListResults",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{results_prefix}*"]}},
            )
        )
        summarize_role.add_to_policy(
            iam.PolicyStatement(
                sid="PutEvaluationMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}},
            )
        )
        topic.grant_publish(summarize_role)

        # -- the state machine --
        wait_seconds = 60
        resolve = tasks.LambdaInvoke(
            self,
            "WaitForDeployment",
            lambda_function=resolve_fn,
            payload_response_only=True,
            result_path="$.evaluation",
        )
        resolve.add_retry(
            errors=["DeploymentNotReady"],
            interval=cdk.Duration.seconds(wait_seconds),
            max_attempts=max(1, int(deployment_wait.to_seconds() // wait_seconds)),
            backoff_rate=1.0,
        )

        def answer(side: str, model: dict[str, str]) -> tasks.LambdaInvoke:
            task = tasks.LambdaInvoke(
                self,
                f"Answer{side.capitalize()}",
                lambda_function=self.answer_function,
                payload_response_only=True,
                payload=sfn.TaskInput.from_object({"row.$": "$.row", "index.$": "$.index", "side": side, **model}),
            )
            task.add_retry(
                errors=THROTTLE_ERRORS,
                interval=cdk.Duration.seconds(2),
                max_attempts=8,
                backoff_rate=2.0,
                max_delay=cdk.Duration.minutes(2),
                jitter_strategy=sfn.JitterType.FULL,
            )
            task.add_retry(
                errors=TRANSIENT_LAMBDA_ERRORS,
                interval=cdk.Duration.seconds(2),
                max_attempts=6,
                backoff_rate=2.0,
                jitter_strategy=sfn.JitterType.FULL,
            )
            return task

        both = sfn.Parallel(self, "AnswerWithBothModels", result_path="$.answers")
        both.branch(answer("base", {"modelId": base_model_id}))
        both.branch(answer("tuned", {"modelId.$": "$.tunedModelId"}))  # the resolved deployment ARN
        # The grader gets one batch of the two answers, as Bedrock would send it: a JSON list of items.
        batch = sfn.Pass(
            self,
            "BatchForGrader",
            result_path="$.batch",
            parameters={"items.$": "States.Array($.answers[0].item, $.answers[1].item)"},
        )
        # InputPath hands the grader the list itself; ResultPath merges its results into the row's state.
        grade = tasks.LambdaInvoke(
            self,
            "Grade",
            lambda_function=grader,
            payload_response_only=True,
            input_path="$.batch.items",
            result_path="$.grades",
        )
        grade.add_retry(
            errors=TRANSIENT_LAMBDA_ERRORS,
            interval=cdk.Duration.seconds(2),
            max_attempts=6,
            backoff_rate=2.0,
            jitter_strategy=sfn.JitterType.FULL,
        )
        record = tasks.LambdaInvoke(
            self, "Record", lambda_function=record_fn, payload_response_only=True, result_path=sfn.JsonPath.DISCARD
        )
        record.add_retry(
            errors=TRANSIENT_LAMBDA_ERRORS, interval=cdk.Duration.seconds(2), max_attempts=6, backoff_rate=2.0
        )

        reader = _OneObjectJsonLReader(bucket=bucket, key=dataset_key, max_items=limit)
        self.map = sfn.DistributedMap(
            self,
            "EvaluateEachRow",
            item_reader=reader,
            max_concurrency=max_concurrency,
            item_selector={
                "row.$": "$$.Map.Item.Value",
                "index.$": "$$.Map.Item.Index",
                "jobName.$": "$.evaluation.jobName",
                "tunedModelId.$": "$.evaluation.deploymentArn",
            },
            result_path=sfn.JsonPath.DISCARD,
            label="EvaluateEachRow",
        )
        self.map.item_processor(both.next(batch).next(grade).next(record))
        summarize = tasks.LambdaInvoke(
            self,
            "Summarize",
            lambda_function=summarize_fn,
            payload_response_only=True,
            payload=sfn.TaskInput.from_object(
                {"jobName.$": "$.evaluation.jobName", "deploymentArn.$": "$.evaluation.deploymentArn"}
            ),
        )
        summarize.add_retry(
            errors=TRANSIENT_LAMBDA_ERRORS, interval=cdk.Duration.seconds(5), max_attempts=4, backoff_rate=2.0
        )

        machine_logs = logs.LogGroup(
            self, "StateMachineLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(resolve.next(self.map).next(summarize)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            timeout=deployment_wait.plus(cdk.Duration.hours(12)),
            comment="Evaluates the tuned deployment against the base model with the job's grader",
            # Every state change logged, without the data: prompts and answers stay in the results prefix.
            logs=sfn.LogOptions(destination=machine_logs, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        if data_key_alias:
            # The map reads the evaluation set; record and summarize read and write the results.
            grant_data_key(
                self.state_machine.role,
                self.state_machine,
                alias=data_key_alias,
                actions=["kms:Decrypt"],
                sid="ReadEncryptedDataset",
            )
            for role in (record_role, summarize_role):
                grant_data_key(
                    role, role, alias=data_key_alias, actions=["kms:Decrypt", "kms:GenerateDataKey"], sid="UseDataKey"
                )
        rule.add_target(
            targets.SfnStateMachine(self.state_machine, retry_attempts=4, max_event_age=cdk.Duration.hours(2))
        )

        generated = (
            "Custom-model deployment ids are assigned by Bedrock after the job; scoped to this account "
            "and region (InvokeModel authorises Converse)"
        )
        accept_wildcard_resources(answer_role, [deployments_arn], generated)
        accept_wildcard_resources(resolve_role, [deployments_arn], generated)
        accept_wildcard_resources(record_role, [results_objects], "objects under the evaluation results prefix only")
        accept_wildcard_resources(
            summarize_role,
            [results_objects, "*"],
            "objects under the results prefix; PutMetricData has no resource, limited to the "
            f"{METRIC_NAMESPACE} namespace by condition",
        )
        accept_wildcard_actions(
            summarize_role,
            ["kms:GenerateDataKey*"],
            "CDK's grant to publish to the KMS-encrypted topic: that one topic key only",
        )
        machine_id = stack.get_logical_id(cast(cdk.CfnElement, self.state_machine.node.default_child))
        execution = (
            f"arn:{nag_text(stack, stack.partition)}:states:{nag_text(stack, stack.region)}:"
            f"{nag_text(stack, stack.account)}"
            f":execution:"
            + json.dumps({"Fn::Select": [6, {"Fn::Split": [":", {"Ref": machine_id}]}]}, separators=(",", ":"))
        )
        for resource in [
            f"{fn.function_arn}:*" for fn in (resolve_fn, self.answer_function, record_fn, summarize_fn, grader)
        ]:
            accept(
                self.state_machine,
                f"AwsSolutions-IAM5[Resource::{nag_text(stack, resource)}]",
                "CDK's LambdaInvoke grant: the versions and aliases of these functions only",
            )
        accept(
            self.state_machine,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray trace segments and CloudWatch Logs "
            "delivery (tracing and logging of the state machine) have no resource-level permissions",
        )
        for resource in (f"{execution}:*", f"{execution}/EvaluateEachRow:*"):
            accept(
                self.state_machine,
                f"AwsSolutions-IAM5[Resource::{resource}]",
                "CDK's Distributed Map grant: the child executions of this state machine only",
            )

    def dashboard_widgets(self, environment: str) -> list[cloudwatch.IWidget]:
        """Mean reward and pass rate of base and tuned per evaluation, and the lift."""

        def metric(name: str, side: str | None) -> cloudwatch.Metric:
            dims = {"environment": environment, **({"model": side} if side else {})}
            return cloudwatch.Metric(
                namespace=METRIC_NAMESPACE,
                metric_name=name,
                dimensions_map=dims,
                statistic="Maximum",
                period=cdk.Duration.days(1),
                label=f"{side or 'lift'} {name.removeprefix('Evaluation')}",
            )

        axis = cloudwatch.YAxisProps(min=0, max=1, show_units=False)
        return [
            cloudwatch.GraphWidget(
                title="Evaluation: mean reward and pass rate (base vs tuned)",
                width=12,
                height=6,
                left_y_axis=axis,
                left=[metric(n, s) for n in ("EvaluationMeanReward", "EvaluationPassRate") for s in ("base", "tuned")],
            ),
            cloudwatch.SingleValueWidget(
                title="Evaluation: lift in mean reward (tuned - base)",
                width=12,
                height=6,
                metrics=[metric("EvaluationLift", None)],
            ),
        ]
