"""The training stack per path and with evaluation: the open-weight environment builds the open-weight job and
its poller instead of the Nova role, job and deployment machinery (cdk-nag and cfn-lint clean); the shipped prod
environment builds the evaluation state machine, triggered by the job-state rule, scoped to the data key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from config.settings import REPO_ROOT

from .conftest import Synthesized


def of_type(synthesized: Synthesized, part: str, kind: str) -> dict[str, dict]:
    return {k: v for k, v in synthesized.raw[part]["Resources"].items() if v["Type"] == kind}


def statements(synthesized: Synthesized, part: str) -> list[tuple[str, dict]]:
    return [
        (k, s)
        for k, p in of_type(synthesized, part, "AWS::IAM::Policy").items()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_open_weight_environment_builds_the_open_weight_job_not_the_nova_one(open_weight):
    assert not of_type(open_weight, "training", "Custom::RftTrainingJob")
    roles = of_type(open_weight, "training", "AWS::IAM::Role").values()
    principals = {json.dumps(r["Properties"]["AssumeRolePolicyDocument"]) for r in roles}
    assert not any("bedrock.amazonaws.com" in p for p in principals)  # no Bedrock service role
    (job,) = of_type(open_weight, "training", "Custom::OpenWeightRftJob").values()
    props = job["Properties"]
    assert props["BaseModelIdentifier"] == "openai.gpt-oss-20b"
    assert props["HyperParameters"] == {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 1.0}
    assert props["JobNamePrefix"] == "rft-dev"
    assert json.dumps(props["TrainingDataS3Uri"]).count("training/math_word_problems.jsonl") == 1
    assert "JobArn" in open_weight.raw["training"]["Outputs"]


def test_open_weight_environment_polls_for_the_job_end_and_has_no_deployment(open_weight):
    schedules = [
        r["Properties"].get("ScheduleExpression")
        for r in of_type(open_weight, "training", "AWS::Events::Rule").values()
    ]
    assert "rate(5 minutes)" in schedules
    pollers = [
        f
        for f in of_type(open_weight, "training", "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "rft_job_openweight.poller.handler"
    ]
    assert len(pollers) == 1 and pollers[0]["Properties"]["Environment"]["Variables"]["JOB_NAME_PREFIX"] == "rft-dev-"
    assert not of_type(open_weight, "training", "Custom::ModelDeploymentCleanup")
    assert not of_type(open_weight, "training", "AWS::StepFunctions::StateMachine")


def test_open_weight_job_handler_may_decrypt_the_data_key_by_alias_only(open_weight):
    kms = [s for _, s in statements(open_weight, "training") if s.get("Sid") == "ReadEncryptedDataset"]
    assert len(kms) == 1 and kms[0]["Action"] == "kms:Decrypt"
    assert kms[0]["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/rft-dev-rft-data"}}


def test_open_weight_stacks_deploy_in_us_west_2_and_are_cfn_lint_clean(open_weight, tmp_path):
    paths = []
    for part, template in open_weight.raw.items():
        path = tmp_path / f"open-weight-{part}.template.json"
        path.write_text(json.dumps(template))
        paths.append(str(path))
    manifest = json.loads((Path(open_weight.assembly_dir) / "manifest.json").read_text())
    regions = {
        a["environment"].rsplit("/", 1)[-1]
        for a in manifest["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    }
    assert regions == {"us-west-2"}
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run([cfn_lint, "--", *paths], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_evaluation_state_machine_only_where_evaluation_is_enabled(prod, deploying, dev):
    assert len(of_type(prod, "training", "AWS::StepFunctions::StateMachine")) == 1
    for synthesized in (deploying, dev):  # deployment without evaluation; neither
        assert not of_type(synthesized, "training", "AWS::StepFunctions::StateMachine")
    assert "EvaluationStateMachineArn" in prod.raw["training"]["Outputs"]
    assert "EvaluationStateMachineArn" not in deploying.raw["training"]["Outputs"]


def test_the_job_state_rule_starts_the_evaluation(prod):
    (machine_id,) = of_type(prod, "training", "AWS::StepFunctions::StateMachine")
    rules = [
        r
        for r in of_type(prod, "training", "AWS::Events::Rule").values()
        if "Model Customization Job State Change" in json.dumps(r["Properties"].get("EventPattern", {}))
    ]
    (rule,) = rules
    arns = [t["Arn"] for t in rule["Properties"]["Targets"]]
    assert {"Ref": machine_id} in arns and len(arns) == 2  # the deployment handler and the evaluation


def test_evaluation_reads_the_shipped_dataset_and_writes_the_results_prefix(prod):
    (machine,) = of_type(prod, "training", "AWS::StepFunctions::StateMachine").values()
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert "training/math_word_problems.jsonl" in definition and "us.amazon.nova-2-lite-v1:0" in definition
    writers = [s for _, s in statements(prod, "training") if s.get("Sid") == "WriteResults"]
    assert len(writers) == 1 and "output/evaluation/*" in json.dumps(writers[0]["Resource"])


def test_with_the_data_key_the_evaluation_roles_use_it_by_alias_only(prod):
    condition = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/rft-prod-rft-data"}}
    by_sid: dict[str, list[dict]] = {}
    for _, statement in statements(prod, "training"):
        by_sid.setdefault(statement.get("Sid", ""), []).append(statement)
    (read,) = by_sid["ReadEncryptedDataset"]  # the state machine's item reader
    assert read["Action"] == "kms:Decrypt" and read["Condition"] == condition
    writers = [s for s in by_sid["UseDataKey"] if s["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]]
    assert len(writers) == 2 and all(s["Condition"] == condition for s in writers)  # record and summarize


def test_the_dashboard_shows_the_evaluation(prod, deploying):
    (board,) = of_type(prod, "training", "AWS::CloudWatch::Dashboard").values()
    assert "EvaluationMeanReward" in json.dumps(board["Properties"]["DashboardBody"])
    (plain,) = of_type(deploying, "training", "AWS::CloudWatch::Dashboard").values()
    assert "EvaluationMeanReward" not in json.dumps(plain["Properties"]["DashboardBody"])


def test_one_configuration_with_an_environment_of_each_path_synthesizes():
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from config.settings import parse_config
    from stacks.environment import build_environment

    from .conftest import BASE_DOCUMENT, CDK_CONTEXT, OPEN_WEIGHT

    document = json.loads(json.dumps(BASE_DOCUMENT))
    document["environments"]["ow"] = {"account": "caller", **OPEN_WEIGHT, "startTraining": True}
    configs = parse_config(document)
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []})
    built = [build_environment(app, configs[name]) for name in ("dev", "ow")]
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    assembly = app.synth()  # raises on an unacknowledged cdk-nag finding
    nova, open_weight = (assembly.get_stack_by_name(b.training.stack_name).template for b in built)
    assert {r["Type"] for r in open_weight["Resources"].values()} >= {"Custom::OpenWeightRftJob"}
    assert "Custom::OpenWeightRftJob" not in {r["Type"] for r in nova["Resources"].values()}
    assert [b.training.region for b in built] == ["us-east-1", "us-west-2"]
