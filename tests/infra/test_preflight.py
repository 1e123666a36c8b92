"""The preflight custom resource in the training stack: the job waits for it, and its role is narrow."""

from __future__ import annotations

import json
from typing import Any

from .conftest import document_with, synthesize


def _training(**overrides):
    return synthesize(json.dumps(document_with(startTraining=True, **overrides))).raw["training"]


def _of_type(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_job_depends_on_the_preflight():
    template = _training()
    ((preflight_id, preflight),) = _of_type(template, "Custom::RftGraderPreflight").items()
    ((_, job),) = _of_type(template, "Custom::RftTrainingJob").items()
    assert preflight_id in job["DependsOn"]
    props = preflight["Properties"]
    assert props["InputsFingerprint"] == job["Properties"]["InputsFingerprint"]
    assert len(props["BatchHash"]) == 16 and props["MinAuc"] == "0.8"
    assert "PreflightResult" in template["Outputs"]


def test_the_preflight_role_invokes_only_the_jobs_grader():
    template = _training()
    policies = [
        p for k, p in _of_type(template, "AWS::IAM::Policy").items() if k.startswith("GraderPreflightHandlerRole")
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    invoke = [s for s in statements if "lambda:" in json.dumps(s["Action"])]
    assert len(invoke) == 1 and invoke[0]["Action"] == "lambda:InvokeFunction"
    resource = json.dumps(invoke[0]["Resource"])
    assert resource.endswith(':function:rft-dev-math-grader"]]}') and "*" not in resource
    others = {
        a
        for s in statements
        if s is not invoke[0]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert others <= {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "bedrock:GetFoundationModel",
        "bedrock:GetInferenceProfile",
        "bedrock:GetModelInvocationLoggingConfiguration",
    }


def test_no_preflight_when_disabled():
    import aws_cdk as cdk

    from config.settings import parse_config
    from stacks.training_stack import TrainingStack

    config = parse_config(document_with(startTraining=True, preflight={"enabled": False}))["dev"]
    stack = TrainingStack(
        cdk.App(context={"aws:cdk:bundling-stacks": []}),
        "T",
        config=config,
        env=cdk.Environment(account="111111111111", region="us-east-1"),
    )
    assert stack.preflight is None and stack.job is not None


def _alarms(template):
    return {
        v["Properties"]["AlarmName"]: v["Properties"] for v in _of_type(template, "AWS::CloudWatch::Alarm").values()
    }


def test_reward_health_alarms_for_the_jobs_grader():
    alarms = _alarms(_training())
    names = {n.rsplit("-", 1)[1] for n in alarms if n.startswith("rft-dev-math-grader-")}
    assert {
        "malformedShare",
        "rewardStuckAtZero",
        "rewardStuckAtOne",
        "rewardSpreadCollapsed",
        "durationNearTimeout",
    } <= names
    assert "noConstraintsShare" not in names and "judgeErrorShare" not in names  # not the math grader's
    malformed = alarms["rft-dev-math-grader-malformedShare"]
    assert malformed["Threshold"] == 0.05 and malformed["TreatMissingData"] == "notBreaching"
    expressions = [m.get("Expression") for m in malformed["Metrics"]]
    assert "IF(batch > 0, malformed / batch)" in expressions
    assert alarms["rft-dev-math-grader-durationNearTimeout"]["Threshold"] == 0.8 * 300_000
    assert alarms["rft-dev-math-grader-rewardStuckAtOne"]["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarms["rft-dev-math-grader-rewardSpreadCollapsed"]["ComparisonOperator"] == "LessThanThreshold"
    assert all(a["AlarmActions"] for a in alarms.values())


def test_format_and_judge_graders_get_their_own_share_alarms():
    format_alarms = _alarms(_training(grader="format", dataset={"training": "datasets/instruction_following.jsonl"}))
    assert "rft-dev-format-grader-noConstraintsShare" in format_alarms


def test_thresholds_come_from_the_configuration():
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from config.settings import parse_config
    from stacks.constructs.reward_health import RewardHealthThresholds
    from stacks.training_stack import TrainingStack

    config = parse_config(document_with(rewardHealth={"maxMalformedShare": 0.2, "evaluationPeriods": 4}))["dev"]
    thresholds: dict[str, Any] = dict(config.reward_health)
    assert RewardHealthThresholds(**thresholds).max_malformed_share == 0.2
    stack = TrainingStack(
        cdk.App(context={"aws:cdk:bundling-stacks": []}),
        "T",
        config=config,
        env=cdk.Environment(account="111111111111", region="us-east-1"),
    )
    props = _alarms(Template.from_stack(stack).to_json())["rft-dev-math-grader-malformedShare"]
    assert props["Threshold"] == 0.2 and props["EvaluationPeriods"] == 4


def _share_alarm(alarms, name):
    props = alarms[name]
    (expression,) = [m["Expression"] for m in props["Metrics"] if "Expression" in m]
    (counted,) = [
        m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m and m["Id"] != "batch"
    ]
    return props, expression, counted


def test_judge_graders_alarm_on_neutral_scores_apart_from_judge_errors():
    judge = _alarms(_training(grader="judge"))
    props, expression, counted = _share_alarm(judge, "rft-dev-judge-grader-neutralScoreShare")
    assert counted == "JudgeNeutralScores" and props["Threshold"] == 0.1
    assert expression == "IF(batch > 0, FILL(ns, 0) / batch)"
    assert props["ComparisonOperator"] == "GreaterThanThreshold" and props["AlarmActions"]
    errors, _, counted = _share_alarm(judge, "rft-dev-judge-grader-judgeErrorShare")
    assert counted == "JudgeErrors" and errors["Threshold"] == 0.05
    # The composite calls the judge with the shipped weights (judge 0.2): it gets both; with weight 0, neither.
    composite = _alarms(_training(grader="composite"))
    assert _share_alarm(composite, "rft-dev-composite-grader-neutralScoreShare")[2] == "JudgeNeutralScores"
    assert _share_alarm(composite, "rft-dev-composite-grader-noConstraintsShare")[2] == "ItemsWithoutConstraints"
    unjudged = _alarms(_training(grader="composite", composite={"weights": {"math": 1, "format": 1, "judge": 0}}))
    assert not [n for n in unjudged if n.endswith(("neutralScoreShare", "judgeErrorShare"))]
    assert not [n for n in _alarms(_training()) if n.endswith("neutralScoreShare")]  # the math grader


def test_the_neutral_score_threshold_comes_from_the_configuration():
    alarms = _alarms(_training(grader="judge", rewardHealth={"maxNeutralScoreShare": 0.25}))
    assert alarms["rft-dev-judge-grader-neutralScoreShare"]["Threshold"] == 0.25
    assert alarms["rft-dev-judge-grader-judgeErrorShare"]["Threshold"] == 0.05


def test_the_dashboard_shows_judge_errors_and_neutral_scores():
    template = _training(grader="judge")
    (dashboard,) = _of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "Judge errors and neutral scores" in body and "JudgeNeutralScores" in body
    assert "neutral judge scores" in body  # the share, in the reward-health widget
