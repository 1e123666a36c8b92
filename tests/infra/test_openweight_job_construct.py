"""Template tests of the open-weight job construct and its poller, in a bare stack (no pipeline config needed)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_, aws_s3 as s3
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from stacks.constructs.job_notifications import JobNotifications
from stacks.constructs.openweight_training_job import (
    BEARER_TOKEN_ACTIONS,
    JOB_ACTIONS,
    RESOURCE_TYPE,
    OpenWeightJobPoller,
    OpenWeightTrainingJob,
)

GRADER_ARN = "arn:aws:lambda:us-west-2:123456789012:function:rft-dev-math"


@pytest.fixture(scope="module")
def template() -> Template:
    # Bundling is covered by tests/infra/test_bundling.py; here the source folder is the asset.
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Bare", env=cdk.Environment(account="123456789012", region="us-west-2"))
    grader = lambda_.Function.from_function_arn(stack, "Grader", GRADER_ARN)
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "rft-dev-data")
    OpenWeightTrainingJob(
        stack,
        "Job",
        job_name_prefix="rft-dev",
        base_model_id="openai.gpt-oss-20b",
        grader=grader,
        bucket=bucket,
        training_key="training/train.jsonl",
        validation_key="training/val.jsonl",
        hyperparameters={"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 1.0},
        inputs_fingerprint="dataset=a;grader-code=b;grader-settings=c",
        tags={"rft:environment": "dev"},
    )
    notifications = JobNotifications(stack, "Notifications", project="rft", environment="dev", emails=[])
    OpenWeightJobPoller(
        stack,
        "Poller",
        topic=notifications.topic,
        topic_key=notifications.key,
        job_name_prefix="rft-dev-",
        project="rft",
        environment="dev",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    app.synth()  # raises when cdk-nag reports an unacknowledged finding
    return Template.from_stack(stack)


def statements(template: Template) -> list[dict[str, Any]]:
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return value if isinstance(value, list) else [value]


def test_job_resource_carries_the_whole_job_definition(template: Template) -> None:
    template.has_resource_properties(
        RESOURCE_TYPE,
        {
            "JobNamePrefix": "rft-dev",
            "BaseModelIdentifier": "openai.gpt-oss-20b",
            "GraderLambdaArn": GRADER_ARN,
            "TrainingDataS3Uri": "s3://rft-dev-data/training/train.jsonl",
            "ValidationDataS3Uri": "s3://rft-dev-data/training/val.jsonl",
            "HyperParameters": {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 1},
            "InputsFingerprint": "dataset=a;grader-code=b;grader-settings=c",
        },
    )


def test_no_policy_statement_has_a_wildcard_action(template: Template) -> None:
    for statement in statements(template):
        for action in actions(statement):
            assert "*" not in action, statement


def test_handler_role_has_the_mantle_actions_token_use_grader_invoke_and_dataset_read(template: Template) -> None:
    granted = {a for s in statements(template) for a in actions(s)}
    assert set(JOB_ACTIONS) | set(BEARER_TOKEN_ACTIONS) | {"lambda:InvokeFunction", "s3:GetObject"} <= granted
    invoke = next(
        s for s in statements(template) if "lambda:InvokeFunction" in actions(s) and s.get("Sid") == "InvokeGrader"
    )
    assert invoke["Resource"] == [GRADER_ARN, f"{GRADER_ARN}:*"]
    read = next(s for s in statements(template) if s.get("Sid") == "ReadDataset")
    rendered = str(read["Resource"])
    assert "training/train.jsonl" in rendered and "training/val.jsonl" in rendered and "/*" not in rendered


def test_mantle_statements_are_pinned_to_the_stack_region(template: Template) -> None:
    mantle = [s for s in statements(template) if any(a.startswith("bedrock") for a in actions(s))]
    assert mantle and all(s["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-west-2"}} for s in mantle)


def test_handler_runs_the_bundled_openai_job_code(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "rft_job_openweight.index.on_event", "Runtime": "python3.13", "Timeout": 300},
    )


def test_poller_runs_on_a_schedule_and_publishes_to_the_topic(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "rft_job_openweight.poller.handler",
            "Environment": {"Variables": Match.object_like({"JOB_NAME_PREFIX": "rft-dev-", "WINDOW_SECONDS": "300"})},
        },
    )
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(5 minutes)"})
    publish = [s for s in statements(template) if "sns:Publish" in actions(s)]
    assert publish
    poller_mantle = {
        a for s in statements(template) if s.get("Sid", "").startswith("ReadFineTuningJobs") for a in actions(s)
    }
    assert poller_mantle == {
        "bedrock-mantle:GetFineTuningJob",
        "bedrock-mantle:ListFineTuningJobs",
        *BEARER_TOKEN_ACTIONS,
    }
