"""Reward for a correct final answer: the math grader's ``grade(sample) -> Grade``.

Score: 1.0 when the final answer is equivalent to the reference; with several boxes, each
must be, or all of them together as one list (``\\boxed{5}``, ``\\boxed{-5}`` for ``\\pm 5``).
An unmarked answer (found only as a final equation or the last number) earns
``unmarked_answer_credit``. A wrong answer earns ``format_credit`` (< 0.5) when the response
gave exactly one explicit, checkable final answer, else 0. Hedging (boxes that disagree, a
list of candidates, an alternative in an aside such as ``3 \\text{ (or 4)}``) and answers too
large or slow to check earn 0.

:func:`grade_within` grades with default settings within the time a caller (the composite
grader) has left.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..contract import Deadline, Grade, Sample, per_item
from .equivalence import ENGINE_LOAD_SECONDS, Verdict, engine_loaded, equivalent
from .extract import MAX_FINAL_ANSWERS, extract_final_answer
from .hedging import read_answer
from .normalize import clean_answer, split_items
from .numeric import Tolerance
from .reference import reference_answers, sample_reference
from .settings import MathSettings

_ASSIGNMENT = re.compile(r"^\s*([A-Za-z](?:_\{?\w+\}?)?)\s*=")
_BRACKETED = re.compile(r"\\?[(\[{](.*)\\?[)\]}]", re.DOTALL)


@dataclass(frozen=True)
class MathGraderSettings:
    max_response_chars: int = 200_000  # ~50k tokens; beyond that a response is not an answer
    seconds_per_item: float = 1.0  # symbolic checking time for one item, all its answers
    unmarked_answer_credit: float = 0.9  # right, but with no final-answer marker
    format_credit: float = 0.1  # wrong, but one explicit checkable final answer

    def __post_init__(self) -> None:
        if not 0.0 <= self.format_credit < 0.5:
            raise ValueError("format_credit must be in [0, 0.5): a wrong answer never reaches 0.5")
        if not 0.5 <= self.unmarked_answer_credit <= 1.0:
            raise ValueError("unmarked_answer_credit must be in [0.5, 1]")
        if self.seconds_per_item <= 0 or self.max_response_chars <= 0:
            raise ValueError("seconds_per_item and max_response_chars must be positive")


@dataclass
class _Outcome:
    found: bool = False
    explicit: bool = False
    hedged: bool = False
    correct: bool = False
    symbolic: bool = False
    unverifiable: bool = False
    single: bool = False


class MathGrader:
    """Grades one sample; :meth:`grade_samples` a batch, each item's time cut to what the batch has left."""

    def __init__(
        self,
        *,
        settings: MathGraderSettings | None = None,
        tolerance: Tolerance | None = None,
    ) -> None:
        """``tolerance`` (opt-in, for rounded references) replaces the exact rule for plain numbers."""
        self.settings = settings or MathGraderSettings()
        self.tolerance = tolerance

    @classmethod
    def from_env(cls) -> MathGrader:
        """The grader the Lambda runs: tolerance from ``MATH_TOLERANCE_*`` (see :mod:`.settings`)."""
        return cls(tolerance=MathSettings.from_env().tolerance)

    def __call__(self, sample: Sample) -> Grade:
        return self.grade(sample)

    def grade_samples(self, samples: Sequence[Sample], deadline: Deadline) -> Sequence[Grade]:
        """The batch, item by item; each item's symbolic checking stops at the batch's deadline."""
        return per_item(lambda sample: self.grade(sample, seconds_left=deadline.remaining()))(samples, deadline)

    def grade(self, sample: Sample, *, seconds_left: float | None = None) -> Grade:
        """Grade one sample; ``seconds_left`` (the caller's remaining time) also caps the
        symbolic checking time."""
        references = reference_answers(sample_reference(sample))
        response = sample.response
        if len(response) > self.settings.max_response_chars:
            return self._grade(_Outcome(), f"response too long ({len(response)} chars)")
        extraction = extract_final_answer(response)
        if not extraction.found:
            return self._grade(_Outcome(), "no final answer found")
        outcome = _Outcome(found=True, explicit=extraction.explicit)
        if extraction.too_many:
            outcome.hedged = True
            return self._grade(outcome, f"more than {MAX_FINAL_ANSWERS} final answers")
        answers_found = extraction.answers
        if len(extraction.all_boxes) > len(answers_found) and (
            max(map(_parts, references)) > sum(map(_parts, answers_found))
        ):
            answers_found = extraction.all_boxes  # a multi-part answer boxed part by part along the way
        readings = [read_answer(answer, references) for answer in answers_found]
        hedge = next((reading.hedge for reading in readings if reading.hedge), None)
        if hedge:
            outcome.hedged = True
            return self._grade(outcome, f"hedged: {hedge}")
        answers = tuple(reading.answer for reading in readings)
        outcome.single = len(answers) == 1
        if _lists_candidates(answers, references):
            outcome.hedged = True
            return self._grade(outcome, "hedged: a list of candidate answers")
        deadline = time.monotonic() + self._item_seconds(seconds_left)
        verdicts = _judge(answers, references, deadline, self.tolerance)
        outcome.correct = all(v.equivalent for v in verdicts)
        outcome.symbolic = any(v.engine in ("symbolic", "refused") for v in verdicts)
        if len(answers) > 1 and not outcome.correct:
            outcome.hedged = True
            return self._grade(outcome, f"hedged: {len(answers)} different final answers")
        refused = [v for v in verdicts if v.unverifiable]
        outcome.unverifiable = bool(refused) and not outcome.correct
        return self._grade(outcome, refused[0].reason if outcome.unverifiable else None)

    def _item_seconds(self, seconds_left: float | None) -> float:
        """Symbolic time for this item: its own limit, cut to what the caller (the batch) has
        left; none when Math-Verify would first have to load (1-2 s) in too little time."""
        time_left = float("inf") if seconds_left is None else seconds_left
        if time_left < ENGINE_LOAD_SECONDS and not engine_loaded():
            return 0.0  # the fast paths still decide; a symbolic check is refused, not overrun
        return max(0.0, min(self.settings.seconds_per_item, time_left))

    def _grade(self, outcome: _Outcome, reason: str | None) -> Grade:
        settings = self.settings
        format_ok = outcome.explicit and outcome.single and not outcome.hedged and not outcome.unverifiable
        if outcome.correct:
            score = 1.0 if outcome.explicit else settings.unmarked_answer_credit
        else:
            score = settings.format_credit if format_ok else 0.0
        return Grade(
            score=score,
            rewards={"correct": float(outcome.correct)},
            metrics={
                "answer_found": float(outcome.found),
                "format_ok": float(format_ok),
                "explicit_answer": float(outcome.explicit),
                "hedged": float(outcome.hedged),
                "symbolic_check": float(outcome.symbolic),
                "unverifiable": float(outcome.unverifiable),
            },
            reason=reason,
        )


def _judge(
    answers: tuple[str, ...], references: tuple[str, ...], deadline: float, tolerance: Tolerance | None = None
) -> list[Verdict]:
    """Verdicts on the final answers: each must be right, or, when there are several, all of
    them as one list (``x = \\boxed{5}`` or ``x = \\boxed{-5}`` for ``\\pm 5``). Symbolic work
    ends by ``deadline``."""
    verdicts = []
    for answer in answers:
        verdicts.append(_best_verdict(answer, references, deadline, tolerance))
        if not verdicts[-1].equivalent:
            break
    if len(answers) > 1 and not verdicts[-1].equivalent:
        together = _best_verdict(", ".join(answers), references, deadline, tolerance)
        if together.equivalent:
            return [together]
        verdicts.append(together)
    return verdicts


def _best_verdict(
    answer: str, references: tuple[str, ...], deadline: float, tolerance: Tolerance | None = None
) -> Verdict:
    """Equivalent to some reference; else the verdict saying why it could not be checked, if any."""
    verdicts = []
    for reference in references:
        verdict = equivalent(answer, reference, seconds=deadline - time.monotonic(), tolerance=tolerance)
        if verdict.equivalent:
            return verdict
        verdicts.append(verdict)
    return next((v for v in verdicts if v.unverifiable), verdicts[0])


def _lists_candidates(answers: tuple[str, ...], references: tuple[str, ...]) -> bool:
    """An answer listing more items than the reference has, e.g. ``1, 2, 3, 4 or 5`` for ``3``.

    (Several boxes are judged by :func:`_judge`.) ``x = 3, y = 4`` names distinct unknowns:
    that is one answer, not a list of candidates.
    """
    expected = max(map(_item_count, references))
    for answer in answers:
        items = split_items(clean_answer(answer))
        if len(items) <= max(1, expected):
            continue
        names = [_ASSIGNMENT.match(item) for item in items]
        if all(names) and len({m.group(1) for m in names}) == len(names):  # type: ignore[union-attr]
            continue
        return True
    return False


@lru_cache(maxsize=4096)
def _item_count(reference: str) -> int:
    """Items in a reference, counting inside one set, tuple or interval: ``\\{1,2,3\\}`` has 3."""
    items = split_items(clean_answer(reference))
    count = len(items)
    if count == 1:
        inner = _BRACKETED.fullmatch(items[0])
        if inner:
            count = max(1, len(split_items(inner.group(1))))
    return count * 2 if "\\pm" in reference or "\\mp" in reference else count  # \pm 5 is two answers


def _parts(reference: str) -> int:
    """Separately answered parts of a reference: ``3, 4`` or ``\\pm 5`` has 2; one interval,
    tuple or set is one answer however many items it holds."""
    return 1 if _BRACKETED.fullmatch(clean_answer(reference)) else _item_count(reference)


_DEFAULT: list[MathGrader] = []


def _default_grader() -> MathGrader:
    if not _DEFAULT:
        _DEFAULT.append(MathGrader())
    return _DEFAULT[0]


def grade_within(sample: Sample, seconds_left: float) -> Grade:
    """Grade with default settings in the ``seconds_left`` a caller has (e.g. the composite
    grader, from the Lambda's remaining time): symbolic checking gets at most
    min(``seconds_per_item``, ``seconds_left``); with no time left the sample scores 0."""
    if not seconds_left > 0:  # also NaN
        return Grade(
            score=0.0,
            rewards={"correct": 0.0},
            metrics={"timed_out": 1.0},
            reason=f"no time left to grade the answer ({seconds_left:.3f} s left)",
        )
    return _default_grader().grade(sample, seconds_left=seconds_left)
