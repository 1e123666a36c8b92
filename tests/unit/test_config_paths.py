"""The typed configuration follows the base model's training path (config/base_models.py): the region guard,
the hyperparameters and their messages; and the ``evaluation`` section."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from config.settings import DEFAULT_CONFIG_FILE, ConfigError, parse_config

BASE = json.loads(DEFAULT_CONFIG_FILE.read_text())
OPEN_WEIGHT = {"account": "caller", "region": "us-west-2", "baseModelId": "openai.gpt-oss-20b"}


def with_env(name: str, env: dict[str, Any]) -> dict:
    document = copy.deepcopy(BASE)
    document["environments"][name] = env
    return document


def problems(document: dict) -> list[str]:
    with pytest.raises(ConfigError) as failure:
        parse_config(document)
    return failure.value.problems


def test_shipped_configuration_is_all_nova_and_prod_evaluates_its_deployment():
    configs = parse_config(BASE)
    assert {c.training_path for c in configs.values()} == {"nova"}
    prod = configs["prod"]
    assert prod.evaluation.enabled and prod.model_deployment.enabled
    assert prod.evaluation.dataset == "datasets/math_word_problems.jsonl"  # no validation file: the training one
    assert (prod.evaluation.base_model_id, prod.evaluation.max_concurrency, prod.evaluation.limit) == (
        "us.amazon.nova-2-lite-v1:0",
        8,
        None,
    )
    assert not configs["dev"].evaluation.enabled


@pytest.mark.parametrize("model", ["openai.gpt-oss-20b", "qwen.qwen3-32b-v1:0", "nvidia.nemotron-nano-3-30b"])
def test_an_open_weight_environment_does_not_inherit_the_nova_defaults(model):
    config = parse_config(with_env("ow", {**OPEN_WEIGHT, "baseModelId": model}))["ow"]
    assert config.open_weight and config.hyperparameters is None
    assert config.open_weight_hyperparameters == {"n_epochs": 1, "batch_size": 4, "learning_rate_multiplier": 1.0}


@pytest.mark.parametrize(
    "given,expected",
    [
        (None, {"n_epochs": 1, "batch_size": 4, "learning_rate_multiplier": 1.0}),
        (
            {"n_epochs": 3, "learning_rate_multiplier": 0.5},
            {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 0.5},
        ),
    ],
)
def test_open_weight_hyperparameters_use_the_api_names_over_the_path_defaults(given, expected):
    config = parse_config(with_env("ow", {**OPEN_WEIGHT, "hyperparameters": given}))["ow"]
    assert config.open_weight_hyperparameters == expected


def test_when_the_defaults_are_open_weight_a_nova_environment_does_not_inherit_their_hyperparameters():
    document = copy.deepcopy(BASE)
    nova_hyper = document["defaults"]["hyperparameters"]
    document["defaults"].update(
        region="us-west-2", baseModelId="qwen.qwen3-32b-v1:0", hyperparameters={"batch_size": 8}
    )
    document["environments"] = {
        "ow": {"account": "caller"},
        "nova": {
            "account": "caller",
            "region": "us-east-1",
            "baseModelId": "amazon.nova-2-lite-v1:0:256k",
            "hyperparameters": nova_hyper,
        },
    }
    configs = parse_config(document)
    open_weight, nova = configs["ow"].open_weight_hyperparameters, configs["nova"].hyperparameters
    assert open_weight is not None and nova is not None
    assert open_weight["batch_size"] == 8
    assert nova.batch_size == nova_hyper["batchSize"]


def test_a_nova_hyperparameter_on_the_open_weight_path_names_both_and_the_name_to_use():
    (message,) = problems(with_env("ow", {**OPEN_WEIGHT, "hyperparameters": {"epochCount": 2}}))
    assert message.startswith("environments.ow.hyperparameters: 'epochCount' is a hyperparameter of the Nova path")
    assert "baseModelId openai.gpt-oss-20b takes the open-weight path" in message and "use 'n_epochs'" in message


def test_an_open_weight_hyperparameter_on_the_nova_path_names_both_and_the_name_to_use():
    (message,) = problems(with_env("nova", {"account": "caller", "hyperparameters": {"batch_size": 8}}))
    assert message.startswith(
        "environments.nova.hyperparameters: 'batch_size' is a hyperparameter of the open-weight path"
    )
    assert "baseModelId amazon.nova-2-lite-v1:0:256k takes the Nova path" in message and "use 'batchSize'" in message


@pytest.mark.parametrize(
    "hyper,message",
    [
        ({"n_epochs": 0}, "hyperparameters.n_epochs: 0 is not allowed: an integer from 1 to 50"),
        ({"batch_size": 300}, "hyperparameters.batch_size: 300 is not allowed: an integer from 1 to 256"),
        ({"n_epochs": 2.5}, "hyperparameters.n_epochs: 2.5 is not allowed: an integer from 1 to 50"),
        (
            {"learning_rate_multiplier": 0},
            "hyperparameters.learning_rate_multiplier: 0 is not allowed: a number > 0 and <= 10",
        ),
        (
            {"seed": 1},
            "hyperparameters.seed: unknown setting (known: batch_size, learning_rate_multiplier, n_epochs)",
        ),
        ({"nEpochs": 1}, 'hyperparameters.nEpochs: unknown setting; did you mean "n_epochs"?'),
    ],
)
def test_open_weight_hyperparameter_ranges_are_checked_at_parse(hyper, message):
    (found,) = problems(with_env("ow", {**OPEN_WEIGHT, "hyperparameters": hyper}))
    assert found.startswith(f"environments.ow.{message}"), found


@pytest.mark.parametrize(
    "env,message",
    [
        (
            {**OPEN_WEIGHT, "region": "us-east-1"},
            'environments.ow.region: "us-east-1" is not allowed: Bedrock reinforcement fine-tuning of baseModelId '
            "openai.gpt-oss-20b takes the open-weight path (OpenAI-compatible fine-tuning API), "
            "offered only in us-west-2",
        ),
        (
            {"account": "caller", "region": "us-west-2"},
            'environments.ow.region: "us-west-2" is not allowed: Bedrock reinforcement fine-tuning of baseModelId '
            "amazon.nova-2-lite-v1:0:256k takes the Nova path (CreateModelCustomizationJob), offered only in us-east-1",
        ),
    ],
)
def test_the_region_guard_follows_the_path(env, message):
    assert problems(with_env("ow", env)) == [message]


def test_an_unknown_base_model_lists_the_models_of_both_paths():
    (message,) = problems(with_env("x", {"account": "caller", "baseModelId": "meta.llama3-8b"}))
    assert message.startswith('environments.x.baseModelId: "meta.llama3-8b" is not allowed:')
    assert "amazon.nova-2-lite-v1:0:256k" in message and "openai.gpt-oss-20b" in message


def test_the_open_weight_path_refuses_deployment_and_invocation_logs():
    found = problems(
        with_env(
            "ow",
            {
                **OPEN_WEIGHT,
                "grader": "judge",
                "dataset": {"training": None, "invocationLogs": {"s3Uri": "s3://logs-b/x"}},
                "modelDeployment": {"enabled": True},
            },
        )
    )
    assert any(
        "environments.ow.modelDeployment.enabled: true is not allowed: false on the open-weight path" in p
        for p in found
    )
    assert any(
        p.startswith("environments.ow.dataset.invocationLogs: not allowed on the open-weight path: the Files API")
        for p in found
    )


@pytest.mark.parametrize(
    "evaluation,deploy,message",
    [
        (
            {"enabled": True},
            False,
            "environments.e.evaluation.enabled: true is not allowed: false unless modelDeployment.enabled is true",
        ),
        (
            {"enabled": True, "maxConcurrency": 0},
            True,
            "environments.e.evaluation.maxConcurrency: 0 is not allowed: an integer from 1 to 1000",
        ),
        ({"enabled": True, "limit": 0}, True, "environments.e.evaluation.limit: 0 is not allowed: an integer >= 1"),
        (
            {"enabled": True, "dataset": "other/x.jsonl"},
            True,
            'environments.e.evaluation.dataset: "other/x.jsonl" is '
            "not allowed: an existing .jsonl file directly in datasets/",
        ),
        (
            {"enabled": True, "baseModelId": "not a model"},
            True,
            'environments.e.evaluation.baseModelId: "not a model" is not allowed: a Bedrock on-demand model id',
        ),
        ({"enabled": True, "samples": 3}, True, "environments.e.evaluation.samples: unknown setting"),
    ],
)
def test_evaluation_settings_are_validated_with_the_field_named(evaluation, deploy, message):
    found = problems(
        with_env("e", {"account": "caller", "modelDeployment": {"enabled": deploy}, "evaluation": evaluation})
    )
    assert len(found) == 1 and found[0].startswith(message), found


def test_evaluation_takes_the_configured_dataset_model_concurrency_and_limit():
    config = parse_config(
        with_env(
            "e",
            {
                "account": "caller",
                "modelDeployment": {"enabled": True},
                "evaluation": {
                    "enabled": True,
                    "dataset": "datasets/math_word_problems.jsonl",
                    "baseModelId": "amazon.nova-lite-v1:0",
                    "maxConcurrency": 20,
                    "limit": 50,
                },
            },
        )
    )["e"]
    assert (
        config.evaluation.dataset,
        config.evaluation.base_model_id,
        config.evaluation.max_concurrency,
        config.evaluation.limit,
    ) == ("datasets/math_word_problems.jsonl", "amazon.nova-lite-v1:0", 20, 50)


def test_evaluation_of_invocation_logs_needs_an_explicit_dataset():
    document = with_env(
        "e",
        {
            "account": "caller",
            "grader": "judge",
            "modelDeployment": {"enabled": True},
            "dataset": {"training": None, "invocationLogs": {"s3Uri": "s3://logs-b/x"}},
            "evaluation": {"enabled": True},
        },
    )
    assert problems(document) == [
        "environments.e.evaluation.dataset: null is not allowed: a JSONL file in datasets/: "
        "the training data are invocation logs and there is no validation file to default "
        "to"
    ]
    document["environments"]["e"]["evaluation"]["dataset"] = "datasets/math_word_problems.jsonl"
    assert parse_config(document)["e"].evaluation.dataset == "datasets/math_word_problems.jsonl"
