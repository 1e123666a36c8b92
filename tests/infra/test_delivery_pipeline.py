"""The cross-account delivery pipeline: one stage per environment, prod behind an approval."""

from __future__ import annotations

import copy

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from config.settings import ConfigError, parse_config, parse_delivery
from stacks.delivery_pipeline_stack import DeliveryPipelineStack

from .conftest import BASE_DOCUMENT, CDK_CONTEXT


@pytest.fixture(scope="module")
def pipeline_app() -> tuple[dict, list[tuple[str, str, str]]]:
    environments = parse_config(BASE_DOCUMENT)
    delivery = parse_delivery(BASE_DOCUMENT, environments)
    assert delivery is not None
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []})
    stack = DeliveryPipelineStack(
        app,
        "RftDelivery",
        delivery=delivery,
        environments=environments,
        env=cdk.Environment(account=delivery.account, region=delivery.region),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    assembly = app.synth()  # cdk-nag clean, stage stacks included
    acknowledgements = [
        (c.node.path, finding, reason)
        for c in stack.node.find_all()
        for entry in c.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for finding, reason in entry.data.items()
    ]
    return assembly.get_stack_by_name(stack.stack_name).template, acknowledgements


@pytest.fixture(scope="module")
def pipeline_template(pipeline_app) -> dict:
    return pipeline_app[0]


def test_pipeline_acknowledgements_name_one_finding_each_with_what_the_grant_is_for(pipeline_app):
    acknowledgements = pipeline_app[1]
    pipeline_own = [
        a
        for a in acknowledgements
        if "/Pipeline/" in a[0] and "RftData" not in a[0] and "RftGraders" not in a[0] and "RftTraining" not in a[0]
    ]
    assert pipeline_own
    for path, finding, reason in pipeline_own:
        assert finding.startswith("Annotation::AwsSolutions-") and finding not in {
            "Annotation::AwsSolutions-IAM5",
            "Annotation::AwsSolutions-IAM4",
        }, (path, finding)
        assert len(reason) >= 60, (path, finding, reason)
    reasons = {reason for _, finding, reason in pipeline_own if "IAM5" in finding}
    assert len(reasons) >= 4  # different grants get different reasons


def stages(template: dict) -> dict[str, list[dict]]:
    pipeline = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline")
    return {s["Name"]: s["Actions"] for s in pipeline["Properties"]["Stages"]}


def test_one_stage_per_configured_environment_in_rollout_order(pipeline_template):
    names = list(stages(pipeline_template))
    assert names[:2] == ["Source", "Build"] and names[-2:] == ["Staging", "Prod"]


def test_prod_waits_for_a_manual_approval_before_deploying(pipeline_template):
    prod = stages(pipeline_template)["Prod"]
    approval = next(a for a in prod if a["ActionTypeId"]["Category"] == "Approval")
    deploys = [a for a in prod if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert deploys and all(approval["RunOrder"] < d["RunOrder"] for d in deploys)
    assert not any(a["ActionTypeId"]["Category"] == "Approval" for a in stages(pipeline_template)["Staging"])


def test_each_stage_ends_with_a_post_deploy_check_and_deploys_into_its_account(pipeline_template):
    for name, account in (("Staging", "222222222222"), ("Prod", "333333333333")):
        actions = stages(pipeline_template)[name]
        check = max(actions, key=lambda a: a["RunOrder"])
        assert check["Name"].startswith("Check-") and check["ActionTypeId"]["Provider"] == "CodeBuild"
        roles = [str(a.get("RoleArn", "")) for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
        assert roles and all(account in role for role in roles)


def test_artifacts_are_encrypted_with_a_rotating_cross_account_key(pipeline_template):
    Template.from_json(pipeline_template).has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_delivery_configuration_is_validated():
    environments = parse_config(BASE_DOCUMENT)
    document = copy.deepcopy(BASE_DOCUMENT)
    document["delivery"]["stages"] = ["dev", "qa"]
    with pytest.raises(ConfigError) as caught:
        parse_delivery(document, environments)
    assert any("delivery.stages" in p for p in caught.value.problems)
    document["delivery"]["stages"] = ["dev"]
    with pytest.raises(ConfigError, match="uses the caller's account"):
        parse_delivery(document, environments)
    assert parse_delivery({k: v for k, v in BASE_DOCUMENT.items() if k != "delivery"}, environments) is None
