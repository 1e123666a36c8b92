"""The shared grader contract: shapes Bedrock sends, results it expects, no exception per item."""

from __future__ import annotations

import math

import pytest

from graders.contract import (
    BatchError,
    Deadline,
    Grade,
    GraderConfigurationError,
    batch_items,
    parse_sample,
    per_item,
    result,
    run_batch,
)


def grade_batch(event, grade_one, *, grader, deadline=None):
    """A per-item grader over an event, through the one batch loop."""
    return run_batch(batch_items(event), per_item(grade_one), deadline or Deadline(), grader=grader)


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


def test_a_batch_grader_that_raises_scores_its_items_zero_but_keeps_malformed_reasons():
    def broken(samples, deadline):
        raise RuntimeError("boom")

    bad, good = run_batch([{"id": "bad"}, item("ok")], broken, Deadline(), grader="t")
    assert [bad["id"], good["id"]] == ["bad", "ok"]
    assert bad["metrics_list"][0]["name"] == "malformed"
    assert good == {
        "id": "ok",
        "aggregate_reward_score": 0.0,
        "metrics_list": [{"name": "grader_error", "value": 1.0, "type": "Metric"}],
    }


def test_a_batch_grader_that_miscounts_scores_zero_rather_than_misaligning_ids():
    results = run_batch([item("a"), item("b")], lambda samples, d: [Grade(score=1.0)], Deadline(), grader="t")
    assert [r["id"] for r in results] == ["a", "b"]
    assert [r["aggregate_reward_score"] for r in results] == [0.0, 0.0]


def test_a_configuration_error_fails_the_batch():
    def unusable(samples, deadline):
        raise GraderConfigurationError("no model access")

    with pytest.raises(GraderConfigurationError):
        run_batch([item("a")], unusable, Deadline(), grader="t")


class _Context:
    def __init__(self, millis):
        self.millis = millis

    def get_remaining_time_in_millis(self):
        return self.millis


def test_deadline_from_context_keeps_the_reserve_and_earlier_moves_it_sooner():
    deadline = Deadline(_Context(10_000))
    assert 8.9 < deadline.remaining() <= 9.0  # 1 s is kept back for the response
    sooner = deadline.earlier(by=2.5)
    assert 6.4 < sooner.remaining() <= 6.5 and deadline.remaining() > sooner.remaining()
    assert Deadline().earlier(by=5).remaining() == float("inf")
    assert Deadline(_Context(1_400)).within(1.0) <= 0.4
    assert Deadline(_Context(500)).within(1.0) == 0.0 and Deadline(_Context(500)).expired()
    assert Deadline(object()).within(1.0) == 1.0
    assert Deadline(_Context(60_000), budget_seconds=2.0).remaining() <= 1.0
