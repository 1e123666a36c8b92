"""The base model picks the training path; region and hyperparameters are checked against that path."""

from __future__ import annotations

import pytest

from config import base_models as bm


@pytest.mark.parametrize(
    "model,path",
    [
        ("amazon.nova-2-lite-v1:0:256k", bm.NOVA),
        ("openai.gpt-oss-20b", bm.OPEN_WEIGHT),
        ("qwen.qwen3-32b-v1:0", bm.OPEN_WEIGHT),
        ("nvidia.nemotron-nano-3-30b", bm.OPEN_WEIGHT),
    ],
)
def test_each_supported_model_has_one_path(model: str, path: str) -> None:
    assert bm.training_path(model) == path


def test_unknown_model_lists_both_paths() -> None:
    with pytest.raises(bm.BaseModelError) as err:
        bm.training_path("meta.llama3-1-8b-instruct-v1:0")
    message = str(err.value)
    assert "meta.llama3-1-8b-instruct-v1:0" in message
    assert "amazon.nova-2-lite-v1:0:256k" in message and "openai.gpt-oss-20b" in message


@pytest.mark.parametrize(
    "model,good,bad",
    [
        ("amazon.nova-2-lite-v1:0:256k", "us-east-1", "us-west-2"),
        ("openai.gpt-oss-20b", "us-west-2", "us-east-1"),
    ],
)
def test_region_guard_follows_the_path(model: str, good: str, bad: str) -> None:
    bm.check_region(model, good)
    with pytest.raises(bm.BaseModelError, match=rf"{model}.*{good} only; region is {bad}"):
        bm.check_region(model, bad)


def test_open_weight_hyperparameters_in_range_pass_and_ints_are_normalised() -> None:
    values = bm.validate_hyperparameters(
        "qwen.qwen3-32b-v1:0", {"n_epochs": 2.0, "batch_size": 8, "learning_rate_multiplier": 0.5}
    )
    assert values == {"n_epochs": 2, "batch_size": 8, "learning_rate_multiplier": 0.5}
    assert isinstance(values["n_epochs"], int)


@pytest.mark.parametrize(
    "name,value",
    [
        ("n_epochs", 0),
        ("n_epochs", 51),
        ("n_epochs", 1.5),
        ("batch_size", 0),
        ("batch_size", 257),
        ("learning_rate_multiplier", 0),
        ("learning_rate_multiplier", -1),
        ("learning_rate_multiplier", float("nan")),
        ("n_epochs", True),
        ("batch_size", "4"),
    ],
)
def test_open_weight_values_out_of_range_are_named(name: str, value: object) -> None:
    with pytest.raises(bm.BaseModelError, match=name):
        bm.validate_hyperparameters("openai.gpt-oss-20b", {name: value})


@pytest.mark.parametrize(
    "name,value,counterpart",
    [
        ("epochCount", 2, "n_epochs"),
        ("learningRate", 1e-5, "learning_rate_multiplier"),
        ("trainingSamplePerPrompt", 4, None),
    ],
)
def test_nova_hyperparameter_for_open_weight_model_names_both(name: str, value: object, counterpart: str) -> None:
    with pytest.raises(bm.BaseModelError) as err:
        bm.validate_hyperparameters("openai.gpt-oss-20b", {name: value})
    message = str(err.value)
    assert name in message and "openai.gpt-oss-20b" in message and "Nova path" in message
    if counterpart:
        assert f"use {counterpart!r}" in message


def test_open_weight_hyperparameter_for_nova_model_names_both() -> None:
    with pytest.raises(bm.BaseModelError) as err:
        bm.validate_hyperparameters("amazon.nova-2-lite-v1:0:256k", {"n_epochs": 2, "batch_size": 4})
    message = str(err.value)
    assert "'n_epochs'" in message and "'batch_size'" in message and "amazon.nova-2-lite-v1:0:256k" in message
    assert "use 'epochCount'" in message and "open-weight path" in message


def test_nova_ranges_and_enum() -> None:
    model = "amazon.nova-2-lite-v1:0:256k"
    assert bm.validate_hyperparameters(model, {"batchSize": 16, "reasoningEffort": "high"})["batchSize"] == 16
    for bad in ({"batchSize": 8}, {"learningRate": 0.01}, {"reasoningEffort": "max"}, {"evalInterval": 101}):
        with pytest.raises(bm.BaseModelError, match=next(iter(bad))):
            bm.validate_hyperparameters(model, bad)


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(bm.BaseModelError, match="known: n_epochs, batch_size, learning_rate_multiplier"):
        bm.validate_hyperparameters("openai.gpt-oss-20b", {"seed": 1})


def test_defaults_fit_their_own_ranges() -> None:
    assert bm.validate_hyperparameters("openai.gpt-oss-20b", dict(bm.OPEN_WEIGHT_DEFAULTS))


def test_endpoint_is_regional() -> None:
    assert bm.open_weight_endpoint("us-west-2") == "https://bedrock-mantle.us-west-2.api.aws/v1"
