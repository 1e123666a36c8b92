"""The evaluation state machine in a bare stack: trigger, map concurrency and reader, retries, and the
scope of every role (exactly the two models and the grader, the evaluation set, the results prefix)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_, aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from stacks.constructs.job_notifications import JobNotifications
from stacks.constructs.model_evaluation import ModelEvaluation

ACCOUNT, REGION = "123456789012", "us-east-1"
BASE = "us.amazon.nova-2-lite-v1:0"
GRADER = "rft-dev-math-grader"
DATASET_KEY = "training/math_word_problems.jsonl"
PREFIX = "output/evaluation/"


@lru_cache(maxsize=1)
def template() -> dict:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "EvalTest", env=cdk.Environment(account=ACCOUNT, region=REGION))
    notifications = JobNotifications(
        stack, "Notifications", project="rft", environment="dev", emails=[], deliver_to_topic=False
    )
    ModelEvaluation(
        stack,
        "Evaluation",
        rule=notifications.rule,
        topic=notifications.topic,
        bucket=s3.Bucket.from_bucket_name(stack, "Data", "rft-dev-data"),
        dataset_key=DATASET_KEY,
        results_prefix=PREFIX,
        grader=lambda_.Function.from_function_name(stack, "Grader", GRADER),
        base_model_id=BASE,
        deployment_parameter="/rft/dev/custom-model-deployment-arn",
        environment="dev",
        max_concurrency=10,
        limit=50,
        max_tokens=8192,
        reasoning_effort="high",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    return app.synth().get_stack_by_name("EvalTest").template  # raises on an unacknowledged cdk-nag finding


def resources(kind: str) -> dict[str, dict]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


def render(value: Any) -> str:
    """A template value as text, references shown as <logical id> or <logical id.attribute>."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(render(v) for v in value)
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(render(p) for p in parts)
        if "Ref" in value:
            return {
                "AWS::Partition": "aws",
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT,
                "AWS::URLSuffix": "amazonaws.com",
            }.get(value["Ref"], f"<{value['Ref']}>")
        if "Fn::GetAtt" in value:
            return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return json.dumps(value)


def definition() -> dict:
    (machine,) = resources("AWS::StepFunctions::StateMachine").values()
    return json.loads(render(machine["Properties"]["DefinitionString"]))


def statements_of(role_prefix: str) -> list[dict]:
    policies = [
        p
        for k, p in resources("AWS::IAM::Policy").items()
        if any(render(r).startswith(f"<{role_prefix}") for r in p["Properties"]["Roles"])
    ]
    assert policies, f"no policy for {role_prefix}"
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]


def allowed(statements: list[dict], action: str) -> set[str]:
    out = set()
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            res = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            out |= {render(r) for r in res}
    return out


def actions_of(statements: list[dict]) -> set[str]:
    return {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}


def test_answers_may_invoke_exactly_the_base_model_and_this_accounts_deployments():
    statements = statements_of("EvaluationAnswerRole")
    assert allowed(statements, "bedrock:InvokeModel") == {
        f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{BASE}",
        *{
            f"arn:aws:bedrock:{r}::foundation-model/amazon.nova-2-lite-v1:0"
            for r in ("us-east-1", "us-east-2", "us-west-2")
        },
        f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model-deployment/*",
    }
    assert actions_of(statements) == {"bedrock:InvokeModel", "logs:CreateLogStream", "logs:PutLogEvents"}


def test_the_state_machine_invokes_the_grader_and_its_own_steps_and_reads_only_the_evaluation_set():
    statements = statements_of("EvaluationStateMachineRole")
    invoked = allowed(statements, "lambda:InvokeFunction")
    grader_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{GRADER}"
    assert grader_arn in invoked
    others = {arn for arn in invoked if not arn.startswith(grader_arn)}
    assert others and all(arn.startswith("<Evaluation") and "Function" in arn for arn in others)
    assert not any("bedrock:" in a for a in actions_of(statements))  # models are invoked by the Answer step only
    read = allowed(statements, "s3:GetObject")
    assert read == {f"arn:aws:s3:::rft-dev-data/{DATASET_KEY}"}


def test_results_are_written_only_under_the_results_prefix():
    assert allowed(statements_of("EvaluationRecordRole"), "s3:PutObject") == {f"arn:aws:s3:::rft-dev-data/{PREFIX}*"}
    summarize = statements_of("EvaluationSummarizeRole")
    assert (
        allowed(summarize, "s3:PutObject")
        == allowed(summarize, "s3:GetObject")
        == {f"arn:aws:s3:::rft-dev-data/{PREFIX}*"}
    )
    (metrics,) = [s for s in summarize if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "BedrockRFT"}}
    assert any(render(r).startswith("<NotificationsTopic") for r in allowed(summarize, "sns:Publish"))


def test_the_map_reads_the_jsonl_with_bounded_concurrency_and_limit():
    states = definition()["States"]
    assert list(states) == ["WaitForDeployment", "EvaluateEachRow", "Summarize"]
    row_map = states["EvaluateEachRow"]
    assert row_map["Type"] == "Map" and row_map["MaxConcurrency"] == 10
    reader = row_map["ItemReader"]
    assert reader["Resource"] == "arn:aws:states:::s3:getObject"
    assert reader["ReaderConfig"] == {"InputType": "JSONL", "MaxItems": 50}
    assert reader["Parameters"] == {"Bucket": "rft-dev-data", "Key": DATASET_KEY}
    assert row_map["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"


def test_answers_retry_throttling_with_backoff_and_the_grader_gets_both_answers_in_one_batch():
    processor = definition()["States"]["EvaluateEachRow"]["ItemProcessor"]["States"]
    parallel = processor["AnswerWithBothModels"]
    branches = {name: state for b in parallel["Branches"] for name, state in b["States"].items()}
    assert set(branches) == {"AnswerBase", "AnswerTuned"}
    assert branches["AnswerBase"]["Parameters"] == {
        "row.$": "$.row",
        "index.$": "$.index",
        "side": "base",
        "modelId": BASE,
    }
    assert branches["AnswerTuned"]["Parameters"]["modelId.$"] == "$.tunedModelId"
    for state in branches.values():
        (throttle,) = [r for r in state["Retry"] if r["ErrorEquals"] == ["ModelThrottled"]]
        assert throttle["BackoffRate"] == 2 and throttle["MaxAttempts"] >= 5 and throttle["JitterStrategy"] == "FULL"
    assert processor["BatchForGrader"]["Parameters"] == {
        "items.$": "States.Array($.answers[0].item, $.answers[1].item)"
    }
    grade = processor["Grade"]
    assert grade["Resource"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{GRADER}"
    assert grade["InputPath"] == "$.batch.items" and grade["ResultPath"] == "$.grades" and "Parameters" not in grade
    for state in (*branches.values(), grade, processor["Record"]):
        assert isinstance(state.get("Parameters", {}), dict)  # ASL: Parameters is an object


def test_the_first_step_waits_for_the_deployment_and_the_rule_starts_the_machine_on_completion():
    wait = definition()["States"]["WaitForDeployment"]
    (retry,) = [r for r in wait["Retry"] if r["ErrorEquals"] == ["DeploymentNotReady"]]
    assert retry["IntervalSeconds"] == 60 and retry["MaxAttempts"] == 120 and retry["BackoffRate"] == 1
    (rule,) = resources("AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"]["detail"]["jobName"] == [{"prefix": "rft-dev-"}]
    (target,) = rule["Properties"]["Targets"]
    assert render(target["Arn"]).startswith("<EvaluationStateMachine")


def test_the_answer_step_carries_the_jobs_inference_settings():
    answer = [f for k, f in resources("AWS::Lambda::Function").items() if k.startswith("EvaluationAnswer")]
    assert answer[0]["Properties"]["Environment"]["Variables"] == {"MAX_TOKENS": "8192", "REASONING_EFFORT": "high"}


def test_concurrency_out_of_range_is_refused():
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Bad", env=cdk.Environment(account=ACCOUNT, region=REGION))
    notifications = JobNotifications(stack, "N", project="rft", environment="dev", emails=[])
    with pytest.raises(ValueError, match="max_concurrency"):
        ModelEvaluation(
            stack,
            "E",
            rule=notifications.rule,
            topic=notifications.topic,
            bucket=s3.Bucket.from_bucket_name(stack, "D", "bucket"),
            dataset_key="k",
            results_prefix=PREFIX,
            grader=lambda_.Function.from_function_name(stack, "G", GRADER),
            base_model_id=BASE,
            deployment_parameter="/p",
            environment="dev",
            max_concurrency=0,
        )
