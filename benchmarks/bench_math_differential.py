"""Differential test of the math grader against plain Math-Verify on a seeded corpus.

Prints, for >= 2,000 generated (response, reference) pairs in MATH and GSM8K styles
(``tests/support/math_corpus.py``: correct answers in many written forms, wrong answers,
near misses, hedges): pairs both graders accept / refuse; pairs Math-Verify's ``parse`` +
``verify`` accepts and ours refuses, each under its refusal rule (hedge, bounds) or as a
wrong answer Math-Verify rewards; pairs ours accepts and Math-Verify refuses, under the rule
that makes ours right (units, currency, thousands separators, ...); and any UNEXPLAINED
disagreement (exit status 1 if there is one).

Run: .venv/bin/python benchmarks/bench_math_differential.py [--size 2400] [--seed 17]
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda")]

from graders.math_answer.grader import MathGrader
from tests.support.math_corpus import compare, corpus, grade_with, math_verify_gold


def math_verify_verify(response: str, reference: str) -> bool:
    import math_verify

    gold = math_verify_gold(reference)
    try:
        return bool(math_verify.verify(math_verify.parse(gold), math_verify.parse(response)))
    except Exception:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    pairs = corpus(args.size, args.seed)
    outcomes = compare(pairs, grade_with(MathGrader()), math_verify_verify)
    kinds = Counter(p.kind for p in pairs)
    print(f"{len(pairs)} pairs (seed {args.seed}): " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    both = Counter((o.ours, o.theirs) for o in outcomes)
    print(
        f"both accept {both[True, True]}, both refuse {both[False, False]}, "
        f"Math-Verify accepts and ours refuses {both[False, True]}, ours accepts and Math-Verify refuses "
        f"{both[True, False]}"
    )
    for label, wanted in (
        ("Math-Verify accepts, ours refuses", (False, True)),
        ("ours accepts, Math-Verify refuses", (True, False)),
    ):
        rules = Counter(o.rule for o in outcomes if (o.ours, o.theirs) == wanted)
        print(f"{label}:")
        for rule, count in rules.most_common():
            print(f"  {count:5d}  {rule}")
    for label, chosen in (("ours", lambda o: o.ours), ("Math-Verify", lambda o: o.theirs)):
        agree = sum(chosen(o) == (o.pair.kind == "correct") for o in outcomes)
        print(f"agreement with the truth: {label} {agree / len(outcomes):.1%}")
    missed = Counter(o.pair.form for o in outcomes if o.pair.kind == "correct" and not o.ours and not o.theirs)
    if missed:
        print("correct answers both refuse: " + ", ".join(f"{form} {n}" for form, n in missed.most_common(10)))
    unexplained = [o for o in outcomes if o.rule.startswith("UNEXPLAINED")]
    print(f"unexplained disagreements: {len(unexplained)}")
    for outcome in unexplained[:20]:
        print(
            f"  {outcome.rule}: reference {outcome.pair.reference[-60:]!r}, response ends "
            f"{outcome.pair.response[-100:]!r}"
        )
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
