"""The cross-account delivery pipeline: one stage per environment, prod behind an approval."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from config.settings import REPO_ROOT, ConfigError, parse_config, parse_delivery
from stacks.delivery_pipeline_stack import DeliveryPipelineStack

from .conftest import BASE_DOCUMENT, CDK_CONTEXT

PARTS = ("Data", "Graders", "Training")


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


# -- `-c env=...`: which stacks one synth builds (walkthrough F-11) ---------------------------------------------
def planned(wanted: str, document: dict | None = None) -> tuple[list[str], list[str]]:
    import app

    document = BASE_DOCUMENT if document is None else document
    selection = app.plan(wanted, document, parse_config(document))
    return [c.name for c in selection.standalone], selection.staged


def test_env_all_builds_each_environment_once():
    assert planned("all") == (["dev"], ["staging", "prod"])  # the staged ones only inside the pipeline
    without_delivery = {k: v for k, v in BASE_DOCUMENT.items() if k != "delivery"}
    assert planned("all", without_delivery) == (["dev", "staging", "prod"], [])
    assert planned("delivery") == ([], ["staging", "prod"])
    assert planned("staging") == (["staging"], [])  # one environment stand-alone, as before


def test_env_selection_errors_name_every_choice():
    with pytest.raises(ConfigError) as caught:
        planned("nosuch")
    assert caught.value.problems == [
        "env: 'nosuch' is not a configured environment (have: dev, staging, prod) nor all (every environment "
        "once) or delivery (the delivery pipeline alone)"
    ]
    without_delivery = {k: v for k, v in BASE_DOCUMENT.items() if k != "delivery"}
    with pytest.raises(ConfigError, match=r"nor all \(every environment once\)$"):
        planned("nosuch", without_delivery)
    with pytest.raises(ConfigError, match="no 'delivery' section"):
        planned("delivery", without_delivery)


def assembly_stacks(directory: Path, prefix: str = "") -> list[str]:
    """Every stack of a cloud assembly as `cdk ls` shows it (path in the app), nested assemblies included."""
    manifest = json.loads((directory / "manifest.json").read_text())
    found = []
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] == "cdk:cloud-assembly":
            found += assembly_stacks(directory / artifact["properties"]["directoryName"])
        elif artifact["type"] == "aws:cloudformation:stack":
            found.append(artifact.get("displayName") or artifact_id)
    return found


def test_the_app_with_env_all_lists_every_stack_once(tmp_path):
    """The real app.py, as `npx cdk ls -c env=all` runs it (bundling skipped: the stack list is the point)."""
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [sys.executable, "app.py"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, "env": "all", "aws:cdk:bundling-stacks": []}),
            "CDK_OUTDIR": str(out),
        },
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    paths = assembly_stacks(out)
    assert sorted(paths) == sorted(
        ["RftData-dev", "RftGraders-dev", "RftTraining-dev", "RftDelivery"]
        + [f"RftDelivery/{stage}/Rft{part}-{stage.lower()}" for stage in ("Staging", "Prod") for part in PARTS]
    )
    names = [path.rsplit("/", 1)[-1] for path in paths]
    assert len(names) == len(set(names))  # no stack name twice: `cdk deploy --all` cannot deploy one two ways
    # `make synth` lints cdk.out/*.template.json and cdk.out/assembly-*/*.template.json: every environment's
    # three templates are among them.
    templates = [*out.glob("*.template.json"), *out.glob("assembly-*/*.template.json")]
    for environment in ("dev", "staging", "prod"):
        for part in PARTS:
            assert sum(f"Rft{part}" in t.name and environment in t.name.lower() for t in templates) == 1, (
                environment,
                part,
            )
