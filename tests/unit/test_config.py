"""The typed configuration: what loads, and the message each mistake gets."""

from __future__ import annotations

import copy
import json
import re

import pytest

from config.settings import DEFAULT_CONFIG_FILE, ConfigError, load_config, parse_config, select_environment

BASE = json.loads(DEFAULT_CONFIG_FILE.read_text())


def with_dev(**overrides):
    document = copy.deepcopy(BASE)
    document["environments"]["dev"].update(overrides)
    return document


def problems(document) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return caught.value.problems


def test_shipped_configuration_loads_every_environment_typed():
    configs = load_config()
    assert set(configs) == {"dev", "staging", "prod"}
    dev, prod = configs["dev"], configs["prod"]
    assert dev.account is None and dev.region == "us-east-1" and dev.start_training is False
    assert prod.account == "333333333333" and prod.start_training is True and prod.data_kms_key is True
    assert prod.hyperparameters is not None
    assert prod.hyperparameters.epoch_count == 3 and prod.hyperparameters.batch_size == 64  # merged on defaults
    assert prod.hyperparameters.to_api()["learningRate"] == 1e-05
    assert prod.notification_emails == ("ml-team@example.com",)
    assert dev.stack_name("Training") == "RftTraining-dev"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("epochCount", 0, "hyperparameters.epochCount: 0 is not allowed: an integer from 1 to 50"),
        ("epochCount", 51, "an integer from 1 to 50"),
        ("batchSize", 513, "hyperparameters.batchSize: 513 is not allowed: an integer from 16 to 512"),
        ("learningRate", 0.01, "hyperparameters.learningRate: 0.01 is not allowed: a number from 1e-07 to 0.001"),
        ("trainingSamplePerPrompt", 1, "an integer from 2 to 16"),
        ("reasoningEffort", "extreme", 'reasoningEffort: "extreme" is not allowed: one of low, medium, high'),
        ("evalInterval", 101, "an integer from 1 to 100"),
        ("maxPromptLength", "4096", 'maxPromptLength: "4096" is not allowed: an integer from 1 to 1000000'),
        ("learningRate", "1e-5", 'learningRate: "1e-5" is not allowed: a number from 1e-07 to 0.001'),
        ("epochCount", True, "an integer from 1 to 50"),
    ],
)
def test_hyperparameters_out_of_range_name_the_field_and_the_range(field, value, message):
    found = problems(with_dev(hyperparameters={field: value}))
    assert any(message in p and p.startswith("environments.dev.hyperparameters.") for p in found), found


def test_a_region_without_bedrock_rft_fails_with_a_clear_message():
    assert problems(with_dev(region="us-west-2")) == [
        'environments.dev.region: "us-west-2" is not allowed: Bedrock reinforcement fine-tuning of baseModelId '
        "amazon.nova-2-lite-v1:0:256k takes the Nova path (CreateModelCustomizationJob), offered only in us-east-1"
    ]


def test_production_must_name_its_account():
    document = copy.deepcopy(BASE)
    document["environments"]["prod"]["account"] = "caller"
    assert any("environments.prod.account" in p and "explicit 12-digit" in p for p in problems(document))
    assert any("a 12-digit account id" in p for p in problems(with_dev(account="12345")))


def test_every_problem_is_reported_at_once_and_typos_are_caught():
    found = problems(
        with_dev(grader="maths", startTraining="yes", hyperparamters={}, judge={"rubric": "vibes"}, region="us-west-2")
    )
    assert set(found) == {
        'environments.dev.grader: "maths" is not allowed: one of math, format, judge, composite, code, tools',
        'environments.dev.startTraining: "yes" is not allowed: true or false',
        'environments.dev.hyperparamters: unknown setting; did you mean "hyperparameters"? (known: account, '
        "baseModelId, code, composite, dataKmsKey, dataset, evaluation, format, grader, hyperparameters, judge, "
        "math, modelDeployment, notifications, preflight, region, rewardHealth, startTraining, tools)",
        'environments.dev.judge.rubric: "vibes" is not allowed: one of instruction_following, summarization, '
        "reasoning, rag_faithfulness, custom",
        # A rule across fields (region vs base model) is reported with the field errors, not after they are fixed.
        'environments.dev.region: "us-west-2" is not allowed: Bedrock reinforcement fine-tuning of baseModelId '
        "amazon.nova-2-lite-v1:0:256k takes the Nova path (CreateModelCustomizationJob), offered only in us-east-1",
    }, found


@pytest.mark.parametrize(
    "mutate,expected",
    [
        (
            lambda d: d["defaults"]["hyperparameters"].update(batchSize=8),
            ["defaults.hyperparameters.batchSize: 8 is not allowed: an integer from 16 to 512"],
        ),
        (
            lambda d: d["defaults"].update(region="eu-west-1"),
            [
                'defaults.region: "eu-west-1" is not allowed: Bedrock reinforcement fine-tuning of baseModelId '
                "amazon.nova-2-lite-v1:0:256k takes the Nova path (CreateModelCustomizationJob), offered only in "
                "us-east-1"
            ],
        ),
        (
            lambda d: d["defaults"]["hyperparameters"].update(learningRate="1e-5"),
            ['defaults.hyperparameters.learningRate: "1e-5" is not allowed: a number from 1e-07 to 0.001'],
        ),
        (
            lambda d: d["defaults"]["judge"].update(maxConcurrency=100),
            ["defaults.judge.maxConcurrency: 100 is not allowed: an integer from 1 to 64"],
        ),
        (
            lambda d: d["defaults"]["format"].update(defaultConstraints=[{"type": "nosuch"}]),
            ['defaults.format.defaultConstraints: [{"type": "nosuch"}] is not allowed: an object'],
        ),
        (
            lambda d: d["defaults"]["hyperparameters"].update(epochcount=2),
            [
                'defaults.hyperparameters.epochcount: unknown setting; did you mean "epochCount"? (known: batchSize, '
                "epochCount, evalInterval, inferenceMaxTokens, learningRate, maxPromptLength, reasoningEffort, "
                "trainingSamplePerPrompt)"
            ],
        ),
        (
            lambda d: d["defaults"]["judge"].update(rubric="custom"),
            ['defaults.judge.customRubric: null is not allowed: the rubric text, required when rubric is "custom"'],
        ),
    ],
)
def test_a_problem_of_the_defaults_is_reported_once_where_it_is_written(mutate, expected):
    document = copy.deepcopy(BASE)
    mutate(document)
    assert problems(document) == expected


def test_an_environment_that_writes_the_field_is_named_and_the_others_are_not_repeated():
    document = copy.deepcopy(BASE)
    document["defaults"]["hyperparameters"]["batchSize"] = 8
    document["environments"]["prod"]["hyperparameters"]["batchSize"] = 1024
    assert problems(document) == [
        "defaults.hyperparameters.batchSize: 8 is not allowed: an integer from 16 to 512",
        "environments.prod.hyperparameters.batchSize: 1024 is not allowed: an integer from 16 to 512",
    ]
    # A rule that depends on what the environment writes is the environment's, even for a field from defaults.
    document = copy.deepcopy(BASE)
    document["environments"]["dev"]["baseModelId"] = "openai.gpt-oss-20b"
    (message,) = problems(document)
    assert message.startswith('environments.dev.region: "us-east-1" is not allowed: Bedrock reinforcement')
    # Production's account rule depends on the environment's name: never a problem of defaults.
    document = copy.deepcopy(BASE)
    document["defaults"]["account"] = "caller"
    del document["environments"]["prod"]["account"]
    assert problems(document) == [
        'environments.prod.account: "caller" is not allowed: production needs an explicit 12-digit account id'
    ]


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"notifications": {"emails": ["not-an-address"]}}, 'notifications.emails: ["not-an-address"] is not allowed'),
        ({"judge": {"modelId": "nope"}}, 'judge.modelId: "nope" is not allowed: a Bedrock model id'),
        ({"judge": 5}, "judge: 5 is not allowed: an object"),
        ({"code": {"cpuSeconds": 0.5}}, "code.cpuSeconds: 0.5 is not allowed: an integer from 1 to 60"),
        ({"startTraining": None}, "startTraining: null is not allowed: true or false"),
        ({"dataKmsKey": "true"}, 'dataKmsKey: "true" is not allowed: true or false'),
    ],
)
def test_values_are_rendered_as_json_as_the_file_spells_them(overrides, message):
    found = problems(with_dev(**overrides))
    assert any(p.startswith(f"environments.dev.{message}") for p in found), found
    assert not any("None" in p or "True" in p or "'" in p.split(":", 1)[1].split(" is not allowed")[0] for p in found)


def test_unknown_top_level_keys_and_a_bad_project_are_named():
    document = copy.deepcopy(BASE)
    document.update(projct="x", project="X")
    assert problems(document) == [
        'project: "X" is not allowed: 2-16 lowercase letters or digits',
        'projct: unknown setting; did you mean "project"? (known: $schema, defaults, delivery, environments, project)',
    ]


def test_dataset_must_exist_and_exactly_one_source_is_set():
    assert any(
        'dataset.training: "datasets/missing.jsonl" is not allowed' in p
        for p in problems(with_dev(dataset={"training": "datasets/missing.jsonl"}))
    )
    both = with_dev(dataset={"invocationLogs": {"s3Uri": "s3://my-logs/bedrock/"}})
    assert any("set exactly one of 'training'" in p for p in problems(both))


def test_invocation_logs_are_typed_and_their_filters_checked():
    document = copy.deepcopy(BASE)
    document["defaults"]["grader"] = "judge"
    document["defaults"]["dataset"] = {
        "invocationLogs": {
            "s3Uri": "s3://my-logs/bedrock/",
            "usePromptResponse": True,
            "requestMetadataFilters": {"equals": {"task": "math"}},
        }
    }
    # Logged prompts leave the evaluation no file to default to (tested in test_config_paths.py).
    document["environments"]["prod"]["evaluation"] = {"enabled": False}
    logs = parse_config(document)["dev"].dataset.invocation_logs
    assert logs is not None
    assert logs.bucket_name == "my-logs"
    assert logs.to_api() == {
        "usePromptResponse": True,
        "invocationLogSource": {"s3Uri": "s3://my-logs/bedrock/"},
        "requestMetadataFilters": {"equals": {"task": "math"}},
    }
    document["defaults"]["dataset"]["invocationLogs"]["requestMetadataFilters"] = {"like": {}}
    assert any("requestMetadataFilters" in p for p in problems(document))


def test_custom_rubric_needs_its_text_and_composite_weights_are_checked():
    assert any("judge.customRubric" in p for p in problems(with_dev(judge={"rubric": "custom"})))
    assert any("composite.weights" in p for p in problems(with_dev(composite={"weights": {"math": -1}})))
    assert any("composite.weights" in p for p in problems(with_dev(composite={"weights": {"style": 1}})))


def test_unknown_environment_and_unreadable_files_are_reported(tmp_path):
    with pytest.raises(ConfigError, match="'qa' is not a configured environment"):
        select_environment(load_config(), "qa")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(broken)
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "absent.json")


def test_environment_names_cannot_make_one_job_prefix_match_another():
    document = copy.deepcopy(BASE)
    document["environments"]["dev-x"] = {"account": "caller"}
    assert any(p.startswith("environments.dev-x: environment names") for p in problems(document))


def test_judge_concurrency_defaults_and_is_bounded():
    document = copy.deepcopy(BASE)
    del document["defaults"]["judge"]["maxConcurrency"]
    assert parse_config(document)["dev"].judge.max_concurrency == 32
    assert any(
        "judge.maxConcurrency: 0 is not allowed: an integer from 1 to 64" in p
        for p in problems(with_dev(judge={"maxConcurrency": 0}))
    )


def test_datasets_must_live_in_the_uploaded_folder_and_differ():
    outside = with_dev(dataset={"training": "tests/unit/__init__.py"})
    assert any("directly in datasets/" in p for p in problems(outside))
    same = with_dev(
        dataset={"training": "datasets/math_word_problems.jsonl", "validation": "datasets/math_word_problems.jsonl"}
    )
    assert any("dataset.validation" in p and "other than the training file" in p for p in problems(same))


@pytest.mark.parametrize(
    "grader,extra,fragment",
    [
        ("math", {}, "logged prompts carry no reference_answer"),
        ("format", {}, "only with format.defaultConstraints"),
        ("composite", {"composite": {"weights": {"math": 1}, "defaultGraders": ["math"]}}, "no reference_answer"),
        (
            "code",
            {},
            "not the code grader (alone or in the composite's defaultGraders) with invocationLogs: logged "
            "prompts carry no tests",
        ),
        ("tools", {}, "logged prompts carry no reference tool calls"),
        (
            "composite",
            {"composite": {"weights": {"code": 1, "judge": 0}, "defaultGraders": ["code"]}},
            "not the code grader",
        ),
    ],
)
def test_invocation_logs_refuse_graders_that_would_score_zero(grader, extra, fragment):
    document = copy.deepcopy(BASE)
    # One environment switches to invocation logs; null clears the default training file.
    document["environments"]["dev"].update(
        grader=grader, **extra, dataset={"training": None, "invocationLogs": {"s3Uri": "s3://my-logs/bedrock/"}}
    )
    assert any(p.startswith("environments.dev.grader") and fragment in p for p in problems(document))
    document["environments"]["dev"].update(grader="judge")
    document["environments"]["dev"].pop("composite", None)
    parse_config(document)  # the judge needs neither a reference nor constraints


def test_pydantic_stays_at_synth_time_nothing_under_lambda_imports_it():
    from config.settings import REPO_ROOT

    importers = [
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "lambda").rglob("*.py")
        if re.search(r"^\s*(import|from)\s+pydantic\b", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert importers == []


def test_a_composite_may_weight_code_and_tools_and_is_then_isolated_but_never_with_the_judge():
    from graders.catalog import is_isolated

    code_and_format = {"weights": {"code": 0.7, "format": 0.3, "math": 0, "judge": 0}, "defaultGraders": ["code"]}
    dev = parse_config(with_dev(grader="composite", composite=code_and_format))["dev"]
    assert dev.composite.weights == {"code": 0.7, "format": 0.3, "math": 0.0, "judge": 0.0}
    assert is_isolated("composite", dev.grader_settings) and not dev.grader_calls_judge("composite")
    assert dev.grader_environment("composite")["COMPOSITE_DEFAULT_GRADERS"] == '["code"]'
    assert "CODE_TEST_TIMEOUT_SECONDS" in dev.grader_environment("composite")
    tools = parse_config(with_dev(composite={"weights": {"tools": 1, "math": 0, "judge": 0, "format": 0}}))["dev"]
    assert not is_isolated("composite", tools.grader_settings)  # the tool-call grader runs no programs
    assert not is_isolated("composite", parse_config(BASE)["dev"].grader_settings)
    # The shipped weights merge in a judge of 0.2: an isolated function cannot reach the judge model.
    [problem] = problems(with_dev(composite={"weights": {"code": 0.5}}))
    assert problem.startswith("environments.dev.composite.weights: the composite grader runs code")
    assert "set the judge's weight to 0" in problem
    assert any("defaultGraders" in p for p in problems(with_dev(composite={"defaultGraders": ["code", "vibes"]})))


def test_a_default_constraint_the_format_grader_cannot_read_is_reported_once_at_defaults():
    document = copy.deepcopy(BASE)
    document["defaults"]["format"] = {"defaultConstraints": {"colour": "blue"}}
    found = problems(document)
    assert len(found) == 1 and found[0].startswith("defaults.format: default constraints name none"), found
    # An environment that writes its own format section is named, and only it.
    document["environments"]["dev"]["format"] = {"defaultConstraints": {"colour": "red"}}
    document["defaults"].pop("format")
    found = problems(document)
    assert len(found) == 1 and found[0].startswith("environments.dev.format: default constraints name none"), found
