"""Both payload shapes (dataset fields under ``metadata``, or at the top level of the item) give the same
scores through every handler and through `rft grade`'s runner, on the shipped datasets; metric names
in results are always valid, whatever a row's constraint ids look like."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from graders.contract import MAX_METRIC_NAME_CHARS, Grade, parse_sample, result
from rft.local_grading import batch_item, load_handler, prompt_and_response, run_grader
from rft.rows import read_rows
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour, point_boto3_at

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
ROWS_PER_DATASET = 40
CUSTOM_RUBRIC = (
    "---\nscale_min: 0\nscale_max: 10\n---\nPrompt: {{prompt}}\nReference: {{reference_answer}}\n"
    "Criteria: {{criteria}}\nDomain: {{domain}}\nContext: {{context}}"
)


def length_judge(call) -> str:
    """A verdict that depends on every field the rubric placed (the nonce has a fixed length)."""
    return json.dumps({"score": len(call.user_text) % 11, "reason": "length"})


@pytest.fixture
def standin(monkeypatch, tmp_path):
    server = BedrockRuntimeStandin(Behaviour(responder=length_judge)).start()
    point_boto3_at(
        monkeypatch,
        tmp_path,
        server.endpoint_url,
        JUDGE_RUBRIC="custom",
        JUDGE_CUSTOM_RUBRIC=CUSTOM_RUBRIC,
        COMPOSITE_DEFAULT_GRADERS='["math", "format", "judge"]',
    )
    yield server
    server.stop()


def shapes(path: Path) -> tuple[list[dict], list[dict]]:
    """The rows as Bedrock's guide nests them (metadata) and as the SageMaker/Nova guides pass them (flat)."""
    nested, flat = [], []
    for row in read_rows(path)[:ROWS_PER_DATASET]:
        extra = {"criteria": ["answers the question"], "domain": "tests", "context": None}
        row = type(row)(line=row.line, data={**row.data, **extra})
        _, response = prompt_and_response(row.data)
        if response is None:
            response = row.data.get("reference_answer")
        item = batch_item(row, response)
        nested.append(item)
        flat.append({"id": item["id"], "messages": item["messages"], **item["metadata"]})
    return nested, flat


def handler(kind: str):
    return importlib.reload(importlib.import_module(f"graders.{kind}_handler")).handler


@pytest.mark.parametrize("kind", ["math", "format", "judge", "composite"])
@pytest.mark.parametrize("dataset", ["instruction_following.jsonl", "math_word_problems.jsonl"])
def test_both_shapes_score_the_same_through_every_handler(standin, kind, dataset):
    nested, flat = shapes(DATASETS / dataset)
    grade = handler(kind)
    nested_results, flat_results = grade(nested, None), grade(flat, None)
    assert [r["id"] for r in flat_results] == [item["id"] for item in flat]
    assert flat_results == nested_results
    scores = [r["aggregate_reward_score"] for r in flat_results]
    if (kind, dataset) in {("math", "math_word_problems.jsonl"), ("format", "instruction_following.jsonl")}:
        assert sum(scores) / len(scores) >= 0.85  # reference answers: the row's fields were read


def test_both_shapes_score_the_same_through_rft_grade(standin):
    for dataset in ("instruction_following.jsonl", "math_word_problems.jsonl"):
        nested, flat = shapes(DATASETS / dataset)
        for kind in ("format", "math", "composite"):
            runner = load_handler(kind)
            assert run_grader(runner, flat) == run_grader(runner, nested)


def test_metadata_wins_over_top_level_fields_and_null_is_absent():
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    sample = parse_sample(
        {
            "id": "x",
            "messages": messages,
            "reference_answer": "top",
            "domain": "top",
            "criteria": None,
            "metadata": {"reference_answer": None, "domain": "meta", "criteria": "c"},
        }
    )
    assert sample.reference_answer == "top"  # metadata's null does not hide the top-level value
    assert sample.field("domain") == "meta" and sample.field("criteria") == "c"
    assert sample.field("id") is None and sample.field("messages") is None
    assert parse_sample({"messages": messages, "topic": None}).field("topic", "default") == "default"


@pytest.mark.parametrize(
    "constraint_id",
    [
        "x" * 300,
        "",
        "   ",
        "\n\t",
        "punctuation:\x00no_comma",
        "🙂" * 260,
        "Check." + "a" * 250,
        "a/b:c d",
    ],
)
def test_odd_constraint_ids_never_fail_the_format_handler(constraint_id, capsys):
    row = {
        "id": "odd",
        "messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "hi"}],
        "instruction_id_list": [constraint_id, constraint_id, "punctuation:no_comma"],
        "kwargs": [{}, {}, {}],
    }
    [res] = handler("format")([row, row][:1], None)  # the real handler, Powertools metrics included
    assert res["id"] == "odd" and 0.0 <= res["aggregate_reward_score"] <= 1.0
    assert_valid_metrics(res)
    assert '"_aws"' in capsys.readouterr().out  # the EMF document was written


def test_result_names_are_valid_unique_and_stable():
    long_a, long_b = "a" * 400 + "1", "a" * 400 + "2"
    hostile: dict[Any, Any] = {long_a: 1, long_b: 2, "": 3, " ": 4, "x\n": 5, "x": 6, 7: 8}  # 7: not even a str
    res = result("i", Grade(score=2.0, metrics=hostile, rewards={"x": 0.5}))
    assert_valid_metrics(res)
    names = [m["name"] for m in res["metrics_list"]]
    assert names[0] == "x" and len(set(names)) == len(names) == 8
    assert names == [
        m["name"]
        for m in result(
            "i",
            Grade(score=0, metrics=hostile, rewards={"x": 0.5}),
        )["metrics_list"]
    ]
    assert res["aggregate_reward_score"] == 1.0


def assert_valid_metrics(res: dict) -> None:
    names = []
    for entry in res.get("metrics_list", []):
        assert set(entry) == {"name", "value", "type"} and entry["type"] in ("Reward", "Metric")
        assert isinstance(entry["name"], str) and entry["name"].strip() == entry["name"] and entry["name"]
        assert len(entry["name"]) <= MAX_METRIC_NAME_CHARS
        names.append(entry["name"])
    assert len(set(names)) == len(names)
