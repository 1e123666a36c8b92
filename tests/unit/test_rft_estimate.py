"""`rft estimate`: counts, tokens and money against the shipped configurations and datasets, and
against a small hand-made dataset whose figures are worked out by hand in the comments."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest

from config.settings import DEFAULT_CONFIG_FILE, parse_config
from graders.catalog import CATALOG
from rft.commands.cli import main
from rft.estimate import estimate, load_prices
from rft.rows import Row

DOCUMENT = json.loads(DEFAULT_CONFIG_FILE.read_text())
PRICES = load_prices()


def env(name: str = "dev", **overrides):
    document = copy.deepcopy(DOCUMENT)
    document["environments"][name].update(overrides)
    return parse_config(document)[name]


def test_shipped_math_dataset_on_dev(capsys):
    assert main(["estimate", "--env", "dev"]) == 0
    printed = capsys.readouterr().out
    # 250 rows x 4 samples x 2 epochs = 2,000 graded items; no validation file; the math grader calls no judge.
    assert "250 training rows x 4 samples x 2 epochs = 2,000 graded items" in printed
    assert "0 judge calls" in printed
    # 2,000 items / 64 per call = 31.25 -> 32 requests; 2,000 x 0.05 s x 1 GB (math: 1024 MB) = 100 GB-s
    assert "2000 graded items / 64 per call" in printed
    assert "2000 items x 0.05 s x 1 GB" in printed
    # evaluation: 250 rows x 2 models = 500 calls; output bound 500 x 8,192 = 4,096,000 tokens at $2.75/M = $11.264
    assert "500 Converse calls" in printed and "4,096,000" in printed and "11.2640" in printed
    assert "training: billed per training hour" in printed and "prices as of 2026-12-01" in printed


def test_prod_has_three_epochs():
    config = env("prod")
    rows = [
        Row(i, {"messages": [{"role": "user", "content": "x" * 40}], "reference_answer": "1"}) for i in range(1, 251)
    ]
    figures = estimate(config, PRICES, training=rows).figures
    assert figures["training_items"] == 250 * 4 * 3 == 3000
    assert figures["grader_invocations"] == 47  # ceil(3000 / 64)
    assert figures["lambda_gb_seconds"] == pytest.approx(150.0)  # 3000 x 0.05 s x 1 GB


def test_judge_tokens_validation_and_money_by_hand():
    config = env(
        grader="judge",
        hyperparameters={
            "epochCount": 2,
            "batchSize": 16,
            "trainingSamplePerPrompt": 2,
            "inferenceMaxTokens": 100,
            "evalInterval": 1,
        },
    )
    # two rows, prompt 40 + 20 characters = 15 tokens, reference 8 characters = 2 tokens
    training = [
        Row(
            1,
            {
                "messages": [{"role": "system", "content": "s" * 40}, {"role": "user", "content": "u" * 20}],
                "reference_answer": "r" * 8,
            },
        )
        for _ in range(2)
    ]
    validation = [Row(1, {"messages": [{"role": "user", "content": "v" * 4}], "reference_answer": ""})]
    result = estimate(config, PRICES, training=training, validation=validation, evaluation=validation)
    f = result.figures
    assert f["training_items"] == 2 * 2 * 2 == 8
    # steps = ceil(2 rows x 2 epochs / batch 16) = 1; a validation run every step -> 1 run x 1 row x 2 samples = 2
    assert (f["training_steps"], f["validation_runs"], f["validation_items"]) == (1, 1, 2)
    assert f["judge_calls"] == 10
    # judge input per training item: rubric 450 + ceil(68 / 4) = 17 + answer bound 100 = 567; x 8 items = 4,536
    # per validation item: 450 + ceil(4 / 4) = 1 + 100 = 551; x 2 items = 1,102  -> 5,638
    assert f["judge_input_tokens"] == 5638
    assert f["judge_output_tokens"] == 10 * 1024
    # judge gpt-oss-120b $0.15 / $0.60 per M: 5,638 x 0.15e-6 + 10,240 x 0.60e-6 = 0.0008457 + 0.006144
    judge_lines = [line.usd for line in result.lines if line.what.startswith("judge openai.")]
    assert None not in judge_lines  # both judge lines are priced
    judge_usd = sum(usd for usd in judge_lines if usd is not None)
    assert judge_usd == pytest.approx(0.0069897)
    # Lambda: 10 items x 0.1 s x 0.5 GB (judge: 512 MB) = 0.5 GB-s; requests ceil(8/64) + 1 x ceil(2/64) = 2
    assert f["lambda_gb_seconds"] == pytest.approx(0.5)
    assert f["grader_invocations"] == 2
    # evaluation of the one validation row: 2 calls, input 2 x 1 token, output bound 2 x 100; 2 judge calls
    assert (
        f["evaluation_model_calls"],
        f["evaluation_input_tokens"],
        f["evaluation_output_tokens"],
        f["evaluation_judge_calls"],
    ) == (2, 2, 200, 2)


def test_a_prices_file_overrides_the_table_and_a_training_rate_is_shown(tmp_path, capsys):
    prices = json.loads(Path("config/prices.json").read_text())
    prices["models"]["us.amazon.nova-2-lite-v1:0"]["outputPerMillionTokens"] = 1.0
    prices["training"]["perHour"] = 12.5
    prices["asOf"] = "2027-01-01"
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(prices))
    assert main(["estimate", "--env", "dev", "--prices", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "4.0960" in printed  # 4,096,000 output tokens at $1.00 per M
    assert "$12.50 per training hour" in printed and "as of 2027-01-01" in printed


def test_a_broken_prices_file_is_a_message(tmp_path, capsys):
    path = tmp_path / "prices.json"
    path.write_text("{}")
    assert main(["estimate", "--env", "dev", "--prices", str(path)]) == 1
    assert "has no 'asOf'" in capsys.readouterr().err


def test_the_composite_calls_the_judge_only_when_weighted():
    rows = [Row(1, {"messages": [{"role": "user", "content": "q"}]})]
    weighted = env(grader="composite")
    assert estimate(weighted, PRICES, training=rows).figures["judge_calls"] == 8
    weights = {"math": 0.7, "format": 0.3}
    settings = {**weighted.grader_settings, "composite": {**weighted.grader_settings["composite"], "weights": weights}}
    unweighted = replace(weighted, composite=replace(weighted.composite, weights=weights), grader_settings=settings)
    assert estimate(unweighted, PRICES, training=rows).figures["judge_calls"] == 0


@pytest.mark.parametrize("grader", list(CATALOG))
def test_every_catalogue_kind_can_be_estimated(grader):
    rows = [Row(1, {"messages": [{"role": "user", "content": "q"}]})]
    figures = estimate(env(grader=grader), PRICES, training=rows).figures
    assert figures["training_items"] > 0
    assert (figures["judge_calls"] > 0) == env(grader=grader).grader_calls_judge(grader)
