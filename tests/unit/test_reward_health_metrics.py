"""The EMF counts the reward-health shares divide by BatchSize: judge errors, neutral judge scores and rows
without format constraints, from the flags graders report (the composite's prefixed ones too)."""

from __future__ import annotations

import importlib
import json

import pytest

from graders.contract import Grade
from tests.support.bedrock_runtime_standin import Behaviour, crate_question_judge
from tests.support.grader_handlers import handler_with

QUESTION = "A crate holds 12 boxes of 7 cans. How many cans? End with '#### <n>'."


def _emf(out: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        doc = json.loads(line)
        for metric in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = doc[metric["Name"]]
            totals[metric["Name"]] = totals.get(metric["Name"], 0.0) + (
                sum(value) if isinstance(value, list) else value
            )
    return totals


def _items(n):
    return [
        {"id": f"i{k}", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
        for k in range(n)
    ]


def _grading(flags_per_item):
    def grade_samples(samples, deadline):
        return [Grade(score=0.5, metrics=flags) for _, flags in zip(samples, flags_per_item)]

    return lambda: grade_samples


def test_flagged_items_are_counted_per_batch(capsys):
    flags = [
        {"judge_error": 1.0, "neutral": 1.0},
        {"judge_score": 0.9},
        {"judge.judge_error": 1.0, "judge.neutral": 1.0, "math.correct": 1.0},  # the composite's names
        {"format.no_constraints": 1.0},
        {"no_constraints": 0.0, "neutral": 0.0},  # a flag at 0 is not counted
    ]
    handler_with("t-flags", _grading(flags))(_items(len(flags)), None)
    totals = _emf(capsys.readouterr().out)
    assert totals["BatchSize"] == 5
    assert totals["JudgeErrors"] == 2 and totals["JudgeNeutralScores"] == 2
    assert totals["ItemsWithoutConstraints"] == 1


def test_no_count_is_emitted_when_no_item_is_flagged(capsys):
    handler_with("t-clean", _grading([{"judge_score": 1.0}] * 3))(_items(3), None)
    totals = _emf(capsys.readouterr().out)
    assert totals["BatchSize"] == 3
    assert not {"JudgeErrors", "JudgeNeutralScores", "ItemsWithoutConstraints"} & set(totals)


@pytest.fixture
def standin(monkeypatch, tmp_path):
    server = crate_question_judge(monkeypatch, tmp_path, JUDGE_MAX_ATTEMPTS="2")
    yield server
    server.stop()


def _row(row_id, answer, **metadata):
    return {
        "id": row_id,
        "messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": answer}],
        "metadata": {"reference_answer": "84", **metadata},
    }


def test_the_real_judge_and_composite_emit_neutral_scores_when_the_judge_fails(standin, capsys):
    import graders.composite_handler
    import graders.judge_handler

    standin.reset(Behaviour(scripted=["unavailable", "unavailable"]))
    judge = importlib.reload(graders.judge_handler).handler
    (res,) = judge([_row("j", "12 x 7 = 84\n#### 84")], None)
    assert res["aggregate_reward_score"] == 0.5  # neutral (judge.errorScore)
    totals = _emf(capsys.readouterr().out)
    assert totals["JudgeNeutralScores"] == 1 and totals["JudgeErrors"] == 1

    standin.reset(Behaviour(scripted=["unavailable", "unavailable"]))
    composite = importlib.reload(graders.composite_handler).handler
    composite([_row("judged", "#### 84", graders=["math", "judge"]), _row("math", "#### 84", graders=["math"])], None)
    totals = _emf(capsys.readouterr().out)
    assert totals["BatchSize"] == 2
    assert totals["JudgeNeutralScores"] == 1 and totals["JudgeErrors"] == 1
