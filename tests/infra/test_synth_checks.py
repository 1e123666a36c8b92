"""Checks at synth: cdk-nag is active and clean, cfn-lint is clean, bad configuration stops synth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from config.settings import REPO_ROOT

from .conftest import CDK_CONTEXT, document_with


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding():
    app = cdk.App(context=CDK_CONTEXT)
    stack = cdk.Stack(app, "Careless", env=cdk.Environment(region="us-east-1"))
    s3.Bucket(stack, "Open")  # no SSL-only policy, no access logs
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    assert "AwsSolutions-S10" in str(failure.value) and "AwsSolutions-S1'" in str(failure.value)


def test_pipeline_synthesizes_with_no_unacknowledged_cdk_nag_finding(dev, prod, no_training, open_weight):
    # The fixtures call app.synth() with AwsSolutionsChecks registered; reaching here means it passed.
    assert dev.raw["training"]["Resources"] and prod.raw["data"]["Resources"] and no_training.raw["graders"]
    assert open_weight.raw["training"]["Resources"]


# Actions the Service Authorization Reference lists with no resource type: the only ones a policy may grant on "*".
VPC_INTERFACE_SIDS = ("LambdaManagesVpcInterfaces", "NoInterfaceCallsFromFunctionCode")
NO_RESOURCE_TYPE_ACTIONS = {
    "cloudwatch:PutMetricData",  # limited to one namespace by condition
    # Step Functions logging and X-Ray tracing of the evaluation state machine (CDK's grant)
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
    # open-weight files and fine-tuning jobs (limited to the region by condition)
    "bedrock-mantle:CreateFile",
    "bedrock-mantle:GetFile",
    "bedrock-mantle:ListFiles",
    "bedrock-mantle:DeleteFile",
    "bedrock-mantle:CreateFineTuningJob",
    "bedrock-mantle:GetFineTuningJob",
    "bedrock-mantle:ListFineTuningJobs",
    "bedrock-mantle:CancelFineTuningJob",
    "bedrock-mantle:CallWithBearerToken",
    "bedrock:CallWithBearerToken",
}


def test_every_acknowledgement_is_a_specific_finding_on_a_specific_construct_with_a_reason(dev, prod, open_weight):
    for synthesized in (dev, prod, open_weight):
        assert synthesized.acknowledgements
        for path, finding, reason in synthesized.acknowledgements:
            assert path.count("/") >= 1, f"{finding} acknowledged for a whole stack"
            assert finding not in {"Annotation::AwsSolutions-IAM5", "Annotation::AwsSolutions-IAM4"}, path
            assert len(reason) >= 40, (path, finding, reason)
        # A "*" resource is acknowledged only where the statements granting it hold actions without a resource type.
        for template in synthesized.raw.values():
            for policy in template["Resources"].values():
                if policy["Type"] != "AWS::IAM::Policy":
                    continue
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    if statement.get("Sid") in VPC_INTERFACE_SIDS:
                        # The VPC network-interface actions Lambda needs on the code grader's role: EC2 grants
                        # them only on "*", and a Deny keeps them from the function's own code.
                        assert "CodeGrader" in json.dumps(policy["Properties"].get("Roles")), statement
                        continue
                    resources = (
                        statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                    )
                    if "*" in resources:
                        actions = (
                            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                        )
                        assert set(actions) <= NO_RESOURCE_TYPE_ACTIONS, statement


def test_cfn_lint_is_clean_on_every_synthesized_template(dev, prod, open_weight, tmp_path):
    paths = []
    for label, synthesized in (("dev", dev), ("prod", prod), ("open-weight", open_weight)):
        for part, template in synthesized.raw.items():
            path = tmp_path / f"{label}-{part}.template.json"
            path.write_text(json.dumps(template))
            paths.append(str(path))
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run([cfn_lint, "--", *paths], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"region": "eu-west-1"}, 'environments.dev.region: "eu-west-1" is not allowed: Bedrock reinforcement'),
        (
            {"hyperparameters": {"batchSize": 8}},
            "hyperparameters.batchSize: 8 is not allowed: an integer from 16 to 512",
        ),
        (
            {"format": {"defaultConstraints": {"colour": "blue"}}},
            "environments.dev.format: default constraints name none",
        ),
        (
            {"grader": "format"},
            "math_word_problems.jsonl: 250 rows (lines 1, 2, 3, 4, 5, ...): instruction_id_list: missing",
        ),
        (
            {"baseModelId": "openai.gpt-oss-20b"},
            'environments.dev.region: "us-east-1" is not allowed: Bedrock '
            "reinforcement fine-tuning of baseModelId openai.gpt-oss-20b takes the open-weight path",
        ),
        (
            {"baseModelId": "openai.gpt-oss-20b", "region": "us-west-2", "hyperparameters": {"epochCount": 2}},
            "environments.dev.hyperparameters: 'epochCount' is a hyperparameter of the Nova path",
        ),
        ({"hyperparameters": {"n_epochs": 2}}, "'n_epochs' is a hyperparameter of the open-weight path"),
        (
            {"evaluation": {"enabled": True}},
            "environments.dev.evaluation.enabled: true is not allowed: false unless modelDeployment.enabled",
        ),
    ],
)
def test_app_refuses_to_synthesize_a_bad_configuration(tmp_path, overrides, message):
    config_file = tmp_path / "bad.json"
    config_file.write_text(json.dumps(document_with(**overrides)))
    result = subprocess.run(
        [sys.executable, "app.py"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={
            "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, "config": str(config_file)}),
            "CDK_OUTDIR": str(tmp_path / "out"),
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode != 0
    assert "cdk synth stopped" in result.stderr and message in result.stderr
