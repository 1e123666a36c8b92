"""The preflight custom resource in the training stack: the job waits for it, and its role is narrow."""

from __future__ import annotations

import json

from .conftest import document_with, synthesize


def _training(**overrides):
    return synthesize(json.dumps(document_with(startTraining=True, **overrides))).raw["training"]


def _of_type(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_job_depends_on_the_preflight():
    template = _training()
    (preflight_id, preflight), = _of_type(template, "Custom::RftGraderPreflight").items()
    (_, job), = _of_type(template, "Custom::RftTrainingJob").items()
    assert preflight_id in job["DependsOn"]
    props = preflight["Properties"]
    assert props["InputsFingerprint"] == job["Properties"]["InputsFingerprint"]
    assert len(props["BatchHash"]) == 16 and props["MinAuc"] == "0.8"
    assert "PreflightResult" in template["Outputs"]


def test_the_preflight_role_invokes_only_the_jobs_grader():
    template = _training()
    policies = [p for k, p in _of_type(template, "AWS::IAM::Policy").items()
                if k.startswith("GraderPreflightHandlerRole")]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    invoke = [s for s in statements if "lambda:" in json.dumps(s["Action"])]
    assert len(invoke) == 1 and invoke[0]["Action"] == "lambda:InvokeFunction"
    resource = json.dumps(invoke[0]["Resource"])
    assert resource.endswith(':function:rft-dev-math-grader"]]}') and "*" not in resource
    others = {a for s in statements if s is not invoke[0] for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                                       else s["Action"])}
    assert others <= {"logs:CreateLogStream", "logs:PutLogEvents", "bedrock:GetFoundationModel",
                      "bedrock:GetInferenceProfile", "bedrock:GetModelInvocationLoggingConfiguration"}


def test_no_preflight_when_disabled():
    import aws_cdk as cdk

    from config.settings import parse_config
    from stacks.training_stack import TrainingStack

    config = parse_config(document_with(startTraining=True))["dev"]
    stack = TrainingStack(cdk.App(context={"aws:cdk:bundling-stacks": []}), "T", config=config, preflight=False,
                          env=cdk.Environment(account="111111111111", region="us-east-1"))
    assert stack.preflight is None and stack.job is not None
