"""The composite Lambda with its real components: the math grader, the format grader and the judge
(against the Bedrock runtime stand-in), configured through environment variables as in a deployment."""

from __future__ import annotations

import importlib
import json

import pytest

from graders.handler_kit import LocalContext
from tests.support.bedrock_runtime_standin import Behaviour, crate_question_judge

QUESTION = "A crate holds 12 boxes of 7 cans. How many cans? End with '#### <n>'."


@pytest.fixture
def standin(monkeypatch, tmp_path):
    # The stand-in judge: 9/10 when the answer says 84, 3/10 otherwise.
    server = crate_question_judge(monkeypatch, tmp_path)
    yield server
    server.stop()


def fresh_handler():
    import graders.composite_handler

    return importlib.reload(graders.composite_handler).handler


def row(row_id: str, answer: str, **metadata) -> dict:
    return {
        "id": row_id,
        "messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": answer}],
        "metadata": {"reference_answer": "84", **metadata},
    }


def entries(res: dict, kind: str) -> dict[str, float]:
    return {m["name"]: m["value"] for m in res.get("metrics_list", []) if m["type"] == kind}


def test_math_and_judge_components_rank_a_correct_answer_first(standin, monkeypatch):
    monkeypatch.setenv("COMPOSITE_DEFAULT_GRADERS", '["math", "judge"]')
    right, unmarked, wrong = fresh_handler()(
        [
            row("right", "12 x 7 = 84\n#### 84"),
            row("unmarked", "That makes 84 cans."),
            row("wrong", "12 x 7 = 74\n#### 74"),
        ],
        None,
    )
    assert [r["id"] for r in (right, unmarked, wrong)] == ["right", "unmarked", "wrong"]
    assert entries(right, "Reward") == {"math": 1.0, "judge": 0.9}
    assert right["aggregate_reward_score"] == pytest.approx((0.5 * 1.0 + 0.2 * 0.9) / 0.7)
    assert right["aggregate_reward_score"] > unmarked["aggregate_reward_score"] > wrong["aggregate_reward_score"]
    # The math grader's own entries come through, prefixed.
    assert entries(right, "Metric")["math.correct"] == 1.0 and entries(wrong, "Metric")["math.correct"] == 0.0
    assert entries(right, "Metric")["judge.raw_score"] == 9
    assert len(standin.calls) == 3


def test_rows_pick_components_and_a_judge_outage_costs_only_the_judge(standin, monkeypatch):
    monkeypatch.setenv("COMPOSITE_DEFAULT_GRADERS", '["math"]')
    monkeypatch.setenv("JUDGE_MAX_ATTEMPTS", "2")
    standin.reset(Behaviour(scripted=["unavailable", "unavailable"]))
    judged, math_only = fresh_handler()(
        [row("judged", "12 x 7 = 84\n#### 84", graders=["math", "judge"]), row("math", "#### 84")], None
    )
    assert entries(judged, "Reward") == {"math": 1.0, "judge": 0.5}  # neutral judge component
    assert entries(judged, "Metric")["judge.judge_error"] == 1.0
    assert judged["aggregate_reward_score"] == pytest.approx((0.5 + 0.2 * 0.5) / 0.7)
    assert entries(math_only, "Reward") == {"math": 1.0} and math_only["aggregate_reward_score"] == 1.0
    assert standin.stats.faults_served == {"unavailable": 2}


class LambdaContext(LocalContext):
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_the_math_check_time_shrinks_to_the_time_left_in_the_batch(standin, monkeypatch):
    import graders.math_answer.grader as math_grader

    monkeypatch.setenv("COMPOSITE_DEFAULT_GRADERS", '["math"]')
    allowed: list[float] = []
    from graders.math_answer.equivalence import equivalent as real_equivalent  # what math_grader calls

    def recording_equivalent(answer, reference, *, seconds, **options):
        allowed.append(seconds)
        return real_equivalent(answer, reference, seconds=seconds, **options)

    monkeypatch.setattr(math_grader, "equivalent", recording_equivalent)
    handler = fresh_handler()
    [roomy] = handler([row("roomy", "#### 84")], LambdaContext(60_000))
    assert roomy["aggregate_reward_score"] == 1.0 and 0.9 < allowed[-1] <= 1.0  # the per-item limit
    # 1.6 s left, 1 s of it kept for the response: the check may use at most the 0.6 s before the deadline.
    [tight] = handler([row("tight", "#### 84")], LambdaContext(1_600))
    assert tight["aggregate_reward_score"] == 1.0 and allowed[-1] <= 0.6
    # With no time left the math component is not run at all.
    [late] = handler([row("late", "#### 84")], LambdaContext(900))
    assert late["aggregate_reward_score"] == 0.0 and entries(late, "Metric")["math.timed_out"] == 1.0
    # The next batch with time to spare gets the full per-item limit again.
    handler([row("roomy-again", "#### 84")], None)
    assert 0.9 < allowed[-1] <= 1.0


FORMAT_RULES = {
    "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
    "kwargs": [{}, {"relation": "less than", "num_words": 30}],
}
COMPLIANT_RIGHT = "12 boxes of 7 cans make 84 cans.\n#### 84"
RAMBLING_RIGHT = (
    "Well, let me think about it carefully, step by step, because the crate has boxes, and boxes "
    "have cans, and cans are what we count, so twelve times seven gives eighty-four in total.\n#### 84"
)
COMPLIANT_WRONG = "12 boxes of 7 cans make 74 cans.\n#### 74"


def test_all_three_components_rank_correct_and_compliant_first(standin, monkeypatch):
    monkeypatch.setenv("COMPOSITE_DEFAULT_GRADERS", '["math", "format", "judge"]')
    best, rambling, wrong = fresh_handler()(
        [
            row("best", COMPLIANT_RIGHT, **FORMAT_RULES),
            row("rambling", RAMBLING_RIGHT, **FORMAT_RULES),
            row("wrong", COMPLIANT_WRONG, **FORMAT_RULES),
        ],
        None,
    )
    assert entries(best, "Reward") == {"math": 1.0, "format": 1.0, "judge": 0.9}
    assert entries(rambling, "Reward") == {"math": 1.0, "format": 0.0, "judge": 0.9}
    assert entries(wrong, "Reward")["math"] == pytest.approx(0.1) and entries(wrong, "Reward")["format"] == 1.0
    assert best["aggregate_reward_score"] == pytest.approx(0.5 + 0.3 + 0.2 * 0.9)
    assert best["aggregate_reward_score"] > rambling["aggregate_reward_score"]
    assert best["aggregate_reward_score"] > wrong["aggregate_reward_score"]
    # Each format constraint is visible, prefixed with the component's name.
    metrics = entries(rambling, "Metric")
    assert metrics["format.punctuation:no_comma"] == 0.0 and metrics["format.length_constraints:number_words"] == 0.0


def test_format_defaults_from_the_environment_apply_to_rows_without_constraints(standin, monkeypatch):
    monkeypatch.setenv("COMPOSITE_DEFAULT_GRADERS", '["format"]')
    monkeypatch.setenv("FORMAT_DEFAULT_CONSTRAINTS", json.dumps(FORMAT_RULES))
    compliant, rambling = fresh_handler()([row("c", COMPLIANT_RIGHT), row("r", RAMBLING_RIGHT)], None)
    assert (compliant["aggregate_reward_score"], rambling["aggregate_reward_score"]) == (1.0, 0.0)
    assert standin.stats.requests == 0  # the judge is neither needed nor built


def test_a_misconfigured_component_fails_the_first_invocation(standin, monkeypatch):
    # Wrong settings would zero a component for the whole job; like the stand-alone graders, stop instead.
    monkeypatch.setenv("FORMAT_SCORING", "mostly")
    with pytest.raises(ValueError):
        fresh_handler()([row("x", COMPLIANT_RIGHT)], None)
