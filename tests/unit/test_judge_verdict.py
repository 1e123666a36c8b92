"""Tolerant parsing of the judge's verdict and normalisation to [0, 1]."""

from __future__ import annotations

import pytest

from graders.judge.verdict import UnusableVerdict, parse_verdict


def score(text: str, low: float = 0, high: float = 10) -> float:
    return parse_verdict(text, scale_min=low, scale_max=high).score


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"score": 7, "reason": "good"}', 0.7),
        ('```json\n{"score": 4, "reason": "weak"}\n```', 0.4),
        ('Here is my verdict:\n{"score": 10, "reason": "perfect"}\nThanks!', 1.0),
        ("Score: 7/10", 0.7),
        ("**Score:** 6", 0.6),
        ("After checking each instruction, the score is 3.", 0.3),
        ('{"Score": "8", "Reason": "fine"}', 0.8),
        ('{"score": "9/10"}', 0.9),
        ("{'score': 5, 'reason': 'python style'}", 0.5),
        ('{"score": 2, "reason": "trailing comma",}', 0.2),
        ('{"rating": 0}', 0.0),
        ("8", 0.8),
        ("Rating: 3 out of 5", 0.6),  # the judge's own denominator wins over the rubric's
    ],
)
def test_accepted_verdict_shapes(text, expected):
    assert score(text) == pytest.approx(expected)


def test_gpt_oss_reasoning_blocks_are_dropped_before_parsing():
    text = (
        '<reasoning>Maybe {"score": 1}? No: the steps are valid, score: 2 would be unfair.</reasoning>'
        '{"score": 9, "reason": "valid steps"}'
    )
    verdict = parse_verdict(text, scale_min=0, scale_max=10)
    assert verdict.score == pytest.approx(0.9) and verdict.reason == "valid steps"


def test_the_last_json_object_is_the_verdict_when_the_judge_thinks_aloud():
    text = 'An answer like {"score": 2} would be wrong here. Final: {"score": 6, "reason": "partly"}'
    assert score(text) == pytest.approx(0.6)


@pytest.mark.parametrize("low, high, raw, expected", [(1, 5, 1, 0.0), (1, 5, 3, 0.5), (1, 5, 5, 1.0), (0, 10, 10, 1.0)])
def test_scores_are_normalised_on_the_rubric_scale(low, high, raw, expected):
    verdict = parse_verdict(f'{{"score": {raw}, "reason": "r"}}', scale_min=low, scale_max=high)
    assert verdict.score == pytest.approx(expected) and verdict.raw_score == raw


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The answer is thoughtful and mostly addresses the request.",
        '{"reason": "no score given"}',
        '{"score": 11, "reason": "above the scale"}',
        '{"score": -1}',
        '{"score": true}',
        '{"score": "excellent"}',
        "Score: 12/10",
        '{"score": NaN}',
    ],
)
def test_unusable_verdicts_are_rejected(text):
    with pytest.raises(UnusableVerdict):
        parse_verdict(text, scale_min=0, scale_max=10)


def test_a_score_below_a_one_based_scale_is_unusable():
    with pytest.raises(UnusableVerdict):
        parse_verdict('{"score": 0}', scale_min=1, scale_max=5)
