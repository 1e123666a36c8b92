"""A fast subset of the differential test against Math-Verify (benchmarks/bench_math_differential.py):
no disagreement without a named rule, and no generated wrong answer, near miss or hedge rewarded."""

from __future__ import annotations

import logging

import pytest

from graders.math_answer.grader import MathGrader
from tests.support.math_corpus import compare, corpus, grade_with, math_verify_gold

math_verify = pytest.importorskip("math_verify")


def _theirs(response: str, reference: str) -> bool:
    gold = math_verify_gold(reference)
    return bool(math_verify.verify(math_verify.parse(gold), math_verify.parse(response)))


def test_corpus_is_seeded_and_large_enough():
    pairs = corpus(2400, 17)
    assert len(pairs) >= 2000 and pairs == corpus(2400, 17)
    assert {p.kind for p in pairs} == {"correct", "wrong", "near_miss", "hedge"}
    assert {p.style for p in pairs} == {"gsm8k", "math"}


def test_no_unexplained_disagreement_with_math_verify(caplog):
    caplog.set_level(logging.CRITICAL)
    outcomes = compare(corpus(200, 2026), grade_with(MathGrader()), _theirs)
    unexplained = [
        (o.rule, o.pair.reference, o.pair.response[-80:]) for o in outcomes if o.rule.startswith("UNEXPLAINED")
    ]
    assert unexplained == []
    assert all(o.ours == (o.pair.kind == "correct") for o in outcomes), [
        (o.pair.kind, o.pair.form) for o in outcomes if o.ours != (o.pair.kind == "correct")
    ]
