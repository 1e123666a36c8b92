"""The shared grader contract: shapes Bedrock sends, results it expects, no exception per item."""

from __future__ import annotations

import math

import pytest

from graders.contract import BatchError, Deadline, Grade, grade_batch, parse_sample, result


def item(id_, answer="42", **extra):
    return {
        "id": id_,
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": answer}],
        **extra,
    }


def test_ids_are_echoed_unchanged_in_order_even_when_not_strings():
    results = grade_batch([item("a"), item(7), item({"k": 1})], lambda s: Grade(score=1.0), grader="t")
    assert [r["id"] for r in results] == ["a", 7, {"k": 1}]


def test_every_accepted_shape_is_normalised():
    blocks = {
        "id": "x",
        "reference_answer": "4",
        "metadata": {"topic": "t"},
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": [{"type": "text", "text": "2+2"}]},
            {"role": "nova_assistant", "content": [{"type": "text", "text": "4"}, {"type": "text", "text": "!"}]},
        ],
    }
    sample = parse_sample(blocks)
    assert (sample.response, sample.reference_answer, sample.last_user_prompt) == ("4!", "4", "2+2")
    assert parse_sample(item("y", metadata={"reference_answer": "m"}, reference_answer="top")).reference_answer == "m"


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "text",
        {"id": "n"},
        {"id": "n", "messages": []},
        {"id": "n", "messages": [{"role": "user", "content": "only a prompt"}]},
    ],
)
def test_a_malformed_item_scores_zero_and_the_rest_are_graded(bad):
    results = grade_batch([bad, item("ok")], lambda s: Grade(score=1.0), grader="t")
    assert results[0]["aggregate_reward_score"] == 0.0
    assert {"name": "malformed", "value": 1.0, "type": "Metric"} in results[0]["metrics_list"]
    assert results[1] == {"id": "ok", "aggregate_reward_score": 1.0}


def test_a_grader_that_raises_costs_only_its_item():
    def explode(sample):
        raise RuntimeError("boom")

    results = grade_batch([item("a")], explode, grader="t")
    assert results[0]["aggregate_reward_score"] == 0.0 and results[0]["metrics_list"][0]["name"] == "grader_error"


def test_scores_are_clamped_and_metrics_are_finite_numbers():
    grade = Grade(score=float("nan"), metrics={"m": float("inf")}, rewards={"r": 2})
    out = result("i", grade)
    assert out["aggregate_reward_score"] == 0.0
    assert out["metrics_list"] == [
        {"name": "r", "value": 2.0, "type": "Reward"},
        {"name": "m", "value": 0.0, "type": "Metric"},
    ]
    assert result("i", Grade(score=7))["aggregate_reward_score"] == 1.0
    assert all(math.isfinite(e["value"]) for e in out["metrics_list"])


def test_items_past_the_deadline_score_zero_with_a_reason():
    results = grade_batch(
        [item("a"), item("b")], lambda s: Grade(score=1.0), grader="t", deadline=Deadline(budget_seconds=0.0)
    )
    assert [r["aggregate_reward_score"] for r in results] == [0.0, 0.0]
    assert results[0]["metrics_list"] == [{"name": "timed_out", "value": 1.0, "type": "Metric"}]


def test_a_batch_that_is_not_a_list_is_refused_clearly_and_trajectories_are_unwrapped():
    with pytest.raises(BatchError, match="JSON array"):
        grade_batch({"items": []}, lambda s: Grade(score=1.0), grader="t")
    assert grade_batch({"trajectories": [item("t")]}, lambda s: Grade(score=0.5), grader="t")[0]["id"] == "t"
