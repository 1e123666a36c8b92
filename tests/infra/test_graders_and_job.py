"""Grader Lambdas and the training-job custom resource."""

from __future__ import annotations

import json

from stacks.constructs.rft_training_job import RESOURCE_TYPE


def functions(template) -> dict[str, dict]:
    found = {}
    for fn in template.find_resources("AWS::Lambda::Function").values():
        tags = {t["Key"]: t["Value"] for t in fn["Properties"].get("Tags", [])}
        if "rft:grader" in tags:
            found[tags["rft:grader"]] = fn["Properties"]
    return found


def test_every_catalogued_grader_is_tagged_with_its_kind_on_a_current_python_runtime(dev):
    from graders.catalog import CATALOG

    graders = functions(dev["graders"])
    assert set(graders) == set(CATALOG) >= {"math", "format", "judge", "composite", "code", "tools"}
    for kind, props in graders.items():
        assert props["MemorySize"] == CATALOG[kind].memory_mb and props["Timeout"] == CATALOG[kind].timeout_seconds
        assert props["Runtime"] == "python3.13"
        assert props["Handler"] == f"graders.{kind}_handler.handler"
        assert props["FunctionName"] == f"rft-dev-{kind}-grader"
        assert props["Timeout"] >= 60 and props["MemorySize"] >= 512


def test_graders_share_one_code_asset(dev):
    keys = {json.dumps(props["Code"], sort_keys=True) for props in functions(dev["graders"]).values()}
    assert len(keys) == 1


def test_grader_settings_reach_the_functions_as_environment(dev):
    graders = functions(dev["graders"])
    judge_env = graders["judge"]["Environment"]["Variables"]
    assert judge_env["JUDGE_MODEL_ID"] == "openai.gpt-oss-120b-1:0"
    assert judge_env["JUDGE_RUBRIC"] == "instruction_following"
    assert judge_env["JUDGE_MAX_CONCURRENCY"] == "32" and judge_env["JUDGE_INJECTION_PENALTY"] == "0.5"
    composite_env = graders["composite"]["Environment"]["Variables"]
    assert json.loads(composite_env["COMPOSITE_WEIGHTS"]) == {"format": 0.2, "judge": 0.2, "math": 0.6}
    assert graders["format"]["Environment"]["Variables"]["FORMAT_SCORING"] == "fraction"


def test_training_job_resource_carries_the_whole_job_definition(dev):
    resources = dev["training"].find_resources(RESOURCE_TYPE)
    assert len(resources) == 1
    props = next(iter(resources.values()))["Properties"]
    assert props["BaseModelIdentifier"] == "amazon.nova-2-lite-v1:0:256k"
    assert props["JobNamePrefix"] == "rft-dev"
    assert props["HyperParameters"] == {
        "epochCount": 2,
        "batchSize": 64,
        "learningRate": 1e-05,
        "trainingSamplePerPrompt": 4,
        "maxPromptLength": 4096,
        "inferenceMaxTokens": 8192,
        "reasoningEffort": "high",
        "evalInterval": 10,
    }
    assert props["GraderLambdaArn"]["Fn::Join"][1][-1] == ":function:rft-dev-math-grader"
    assert props["TrainingDataS3Uri"]["Fn::Join"][1][-1] == "-us-east-1/training/math_word_problems.jsonl"
    assert props["OutputDataS3Uri"]["Fn::Join"][1][-1] == "-us-east-1/output/"
    assert props["InputsFingerprint"].startswith("dataset=")
    assert props["Tags"] == {"rft:environment": "dev", "rft:grader": "math"}


def test_job_resource_waits_for_the_service_role_policy_and_has_a_bounded_timeout(dev):
    resource = next(iter(dev["training"].find_resources(RESOURCE_TYPE).values()))
    assert any(d.startswith("BedrockServiceRolePolicy") for d in resource["DependsOn"])
    assert resource["Properties"]["ServiceTimeout"] == "600"


def test_job_handler_runs_the_bundled_lifecycle_code(dev):
    dev["training"].has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "rft_job.custom_resource.index.on_event", "Runtime": "python3.13"}
    )


def test_training_stack_outputs_the_job(dev):
    outputs = dev["training"].find_outputs("*")
    assert outputs["JobArn"]["Value"]["Fn::GetAtt"][1] == "JobArn"
    assert {"JobName", "CustomModelName", "ServiceRoleArn", "GraderFunctionName"} <= set(outputs)


def test_graders_stack_outputs_every_function_name(dev):
    assert {f"{k}GraderName" for k in ("Math", "Format", "Judge", "Composite")} <= set(dev["graders"].find_outputs("*"))


def test_without_start_training_no_job_is_declared(no_training):
    no_training["training"].resource_count_is(RESOURCE_TYPE, 0)
    assert "not started" in no_training["training"].find_outputs("JobArn")["JobArn"]["Value"]
