"""The math grader's parts: extraction, the numeric fast path, guards, time limits, settings."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from graders.contract import parse_sample
from graders.math_answer import MathGrader, MathGraderSettings, equivalence, grade_within
from graders.math_answer.extract import extract_final_answer
from graders.math_answer.guards import screen
from graders.math_answer.hedging import number_words, read_answer
from graders.math_answer.numeric import numbers_equal, parse_number
from graders.math_answer.probe import probe_equal
from graders.math_answer.timelimit import SymbolicTimeout, time_limit

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"


def busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


# ---------------------------------------------------------------- extraction
@pytest.mark.parametrize(
    "text, source, answers",
    [
        ("x \\boxed{\\frac{a}{b}} y", "boxed", ("\\frac{a}{b}",)),
        ("\\boxed{\\{1, 2\\}}", "boxed", ("\\{1, 2\\}",)),
        ("\\boxed{\\boxed{42}}", "boxed", ("42",)),
        ("\\boxed{1} then \\boxed{2} then \\boxed{1}", "boxed", ("2", "1")),
        ("<ANSWER> 12 </ANSWER>", "answer_tag", ("12",)),
        ("<answer>\\boxed{5}</answer> and \\boxed{6}", "answer_tag", ("5",)),
        ("#### Step 2\nwork\n#### 42", "hash_marker", ("42",)),
        ("The answer is 3.5 cm. Next we check.", "answer_phrase", ("3.5 cm",)),
        ("The answer is 84. Wait, the answer is 85.", "answer_phrase", ("85",)),
        ("So x = 3.", "final_value", ("3",)),
        ("She has 8 apples left.", "final_value", ("8",)),
        ("It is either 4 or 5.", "final_value", ("4 or 5",)),
        ("So she has 3 (maybe 4) apples.", "final_value", ("3 (maybe 4)",)),
        ("The answer is 3 (4 if we count zero). Done.", "answer_phrase", ("3 (4 if we count zero)",)),
        ("The answer is 3, but it could be 4.", "answer_phrase", ("3, but it could be 4",)),
        ("The answer is 3, which is odd.", "answer_phrase", ("3",)),
        ("So \\boxed{3} (or maybe 4).", "boxed", ("3 (or maybe 4)",)),
        ("So \\boxed{3} (see step 2).", "boxed", ("3",)),
        ("No numbers at all.", "none", ()),
    ],
)
def test_extraction_sources(text, source, answers):
    found = extract_final_answer(text)
    assert (found.source, found.answers) == (source, answers)


def test_more_boxes_than_allowed_is_flagged_without_reading_them_all():
    found = extract_final_answer("\\boxed{7}" * 100_000)
    assert found.too_many and found.found


def test_an_unbalanced_box_is_kept_whole_rather_than_skipped():
    found = extract_final_answer("\\boxed{" + "{" * 5_000 + " so the answer is 42")
    assert found.source == "boxed"
    assert len(found.final) > 1_000


def test_explicit_only_extraction_ignores_unmarked_numbers():
    assert not extract_final_answer("She has 8 apples.", implicit=False).found


# ---------------------------------------------------------------- asides
@pytest.mark.parametrize(
    "answer, judged",
    [
        ("3 (three)", "3"),
        ("42 \\text{ (that is, forty-two)}", "42"),
        ("\\frac{1}{3} (0.33)", "\\frac{1}{3}"),
        ("42 (6 \\times 7)", "42"),
        ("105 (one hundred and five)", "105"),
        ("3 (three) (3.0)", "3"),
        ("(1, 2)", "(1, 2)"),
        ("2 (x+1)", "2 (x+1)"),
        ("\\frac{1}{2} (\\sqrt{3}+1)", "\\frac{1}{2} (\\sqrt{3}+1)"),
        ("84 (7 cans each)", "84 (7 cans each)"),
        ("12 (one dozen)", "12 (one dozen)"),
    ],
)
def test_asides_that_restate_the_value_are_dropped_and_others_kept(answer, judged):
    assert read_answer(answer, ("1",)) == (judged, None)


@pytest.mark.parametrize(
    "answer",
    [
        "3 (4)",
        "3 (four)",
        "3 (or so)",
        "x = 3 (x = 4)",
        "3 cm (4 cm)",
        "50\\% (0.25)",
        "3 (or \\sqrt{2})",
        "3 \\text{and/or} 4",
    ],
)
def test_asides_offering_another_value_are_hedges(answer):
    assert read_answer(answer, ("3",)).hedge


def test_a_doubting_word_the_reference_uses_is_not_a_hedge():
    assert read_answer("\\text{maybe}", ("maybe",)).hedge is None
    assert read_answer("\\text{maybe}", ("yes",)).hedge


@pytest.mark.parametrize(
    "text, value",
    [
        ("three", (3, 1)),
        ("forty-two", (42, 2)),
        ("minus five", (-5, 2)),
        ("one hundred and five", (105, 4)),
        ("twelve thousand three", (12003, 3)),
        ("four apples", (4, 1)),
        ("one dozen", None),
        ("three four", (3, 1)),
        ("apples", None),
        ("3", None),
    ],
)
def test_spelled_numbers(text, value):
    assert number_words(text) == value


# ---------------------------------------------------------------- numeric fast path
@pytest.mark.parametrize(
    "text, value, percent",
    [
        ("84", Fraction(84), False),
        ("-3.50", Fraction(-7, 2), False),
        ("1,234,567", Fraction(1234567), False),
        ("1{,}234", Fraction(1234), False),
        ("\\$1,234.50", Fraction(246900, 200), False),
        ("\u20ac20", Fraction(20), False),
        ("\\frac{3}{4}", Fraction(3, 4), False),
        ("-\\dfrac{3}{4}", Fraction(-3, 4), False),
        ("\\frac34", Fraction(3, 4), False),
        ("6/8", Fraction(3, 4), False),
        ("12.5\\%", Fraction(25, 2), True),
        ("1.5e6", Fraction(1_500_000), False),
        ("1.5 \\times 10^{6}", Fraction(1_500_000), False),
        ("x = 3", Fraction(3), False),
        ("(-5)", Fraction(-5), False),
        ("84 apples in total", Fraction(84), False),
        ("5 m", Fraction(5), False),
        ("30^\\circ", Fraction(30), False),
    ],
)
def test_plain_numbers_are_read(text, value, percent):
    number = parse_number(text)
    assert number is not None and (number.value, number.percent) == (value, percent)


@pytest.mark.parametrize(
    "text", ["5x", "5 pi", "2e", "5!", "5 or 6", "(1, 2)", "\\sqrt{2}", "12,34", "1e99999", "3 + 4", "x"]
)
def test_non_numbers_are_left_to_the_symbolic_engine(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    "answer, reference, equal",
    [
        ("0.333333", "1/3", True),
        ("0.3333", "1/3", False),
        ("1000000.5", "1000001", False),
        ("25%", "0.25", True),
        ("25%", "25", True),
        ("0.25", "25", False),
        ("84.0", "84", True),
        ("1e-8", "2e-8", False),
    ],
)
def test_number_comparison(answer, reference, equal):
    parsed_answer, parsed_reference = parse_number(answer), parse_number(reference)
    assert parsed_answer is not None and parsed_reference is not None
    assert numbers_equal(parsed_answer, parsed_reference) is equal


# ---------------------------------------------------------------- float probe
@pytest.mark.parametrize(
    "answer, reference, verdict",
    [
        ("2\\sqrt{2}", "\\sqrt{8}", True),
        ("3\\sqrt{2}", "\\sqrt{8}", False),
        ("\\frac{3\\pi}{4}", "\\frac{3}{4}\\pi", True),
        ("\\pi \\cdot 2", "2\\pi", True),
        ("2^{10}", "1024", True),
        ("-2^{2}", "-4", True),
        ("2^{60}", "1152921504606846977", None),  # floats cannot tell these apart
        ("10^{-20}", "10^{-21}", None),
        ("2^10", "1024", None),  # LaTeX reads 2^1 0: ambiguous
        ("2\\frac{1}{2}", "\\frac{5}{2}", None),  # mixed number or product: ambiguous
        ("0.5", "\\frac{1}{2}", None),  # decimals follow the exact rules
        ("x+1", "2", None),
        ("\\sqrt{-1}", "1", None),
    ],
)
def test_float_probe_decides_only_when_sure(answer, reference, verdict):
    assert probe_equal(answer, reference) is verdict


# ---------------------------------------------------------------- guards
@pytest.mark.parametrize(
    "text",
    [
        "9^{9^{9^{9}}}",
        "9^9^9^9",
        "10**10**10",
        "2^{1000000}",
        "(10^{1000})^{1000}",
        "x^{10^{9}}",
        "1000000!",
        "\\frac{1}{" * 40 + "2" + "}" * 40,
        "x+" * 300 + "x",
    ],
)
def test_guards_refuse_what_sympy_cannot_bound(text):
    assert screen(text) is not None


@pytest.mark.parametrize("text", ["2^{10}", "2^{2^{2^{2^{2}}}}", "x^2+2x+1", "\\frac{\\sqrt{3}}{2}", "10!", "(1, 2]"])
def test_guards_let_ordinary_answers_through(text):
    assert screen(text) is None


# ---------------------------------------------------------------- time limits
def test_time_limit_interrupts_a_long_check_on_the_main_thread():
    with pytest.raises(SymbolicTimeout), time_limit(0.05):
        busy(5)


def test_time_limit_swallowed_once_fires_again():
    with pytest.raises(SymbolicTimeout), time_limit(0.05):
        try:
            busy(5)
        except BaseException:  # what a careless library might do
            pass
        busy(5)


def test_time_limit_restores_the_previous_alarm_and_handler():
    fired = []

    def previous(signum, frame):
        fired.append(signum)

    old_handler = signal.signal(signal.SIGALRM, previous)
    old_timer = signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        with time_limit(1.0):
            pass
        assert signal.getsignal(signal.SIGALRM) is previous
        assert 25.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, *old_timer)
        signal.signal(signal.SIGALRM, old_handler)
    assert fired == []


def test_a_check_that_ends_in_time_is_not_interrupted_later():
    with time_limit(0.05):
        pass
    busy(0.15)  # would raise here if the alarm had been left armed


def test_time_limit_works_off_the_main_thread():
    outcome = []

    def run() -> None:
        try:
            with time_limit(0.05):
                busy(5)
            outcome.append("finished")
        except SymbolicTimeout:
            outcome.append("timed out")
        busy(0.15)  # the watchdog must be disarmed once the block is left
        outcome.append("after")

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=10)
    assert outcome == ["timed out", "after"]


# ---------------------------------------------------------------- settings and entry points
@pytest.mark.parametrize("settings", [{"format_credit": 0.5}, {"unmarked_answer_credit": 0.4}, {"seconds_per_item": 0}])
def test_settings_keep_wrong_answers_below_one_half(settings):
    with pytest.raises(ValueError):
        MathGraderSettings(**settings)


def test_a_grader_with_default_settings_is_callable_on_one_sample():
    sample = parse_sample(
        {
            "id": "c",
            "messages": [{"role": "assistant", "content": "\\boxed{\\frac{6}{8}}"}],
            "metadata": {"reference_answer": "0.75"},
        }
    )
    result = MathGrader()(sample)
    assert result.score == 1.0 and result.rewards == {"correct": 1.0}


def sample(response: str, reference: str):
    return parse_sample(
        {
            "id": "w",
            "messages": [{"role": "assistant", "content": response}],
            "metadata": {"reference_answer": reference},
        }
    )


@pytest.mark.parametrize("seconds_left", [0.0, -1.0, float("nan")])
def test_grade_within_no_time_scores_zero_with_a_reason(seconds_left):
    result = grade_within(sample("#### 84", "84"), seconds_left)
    assert result.score == 0.0 and result.rewards == {"correct": 0.0}
    assert result.metrics["timed_out"] == 1.0
    assert "no time left" in result.reason


def test_grade_within_grades_normally_when_there_is_time():
    result = grade_within(sample("\\boxed{\\frac{6}{8}}", "0.75"), 30.0)
    assert result.score == 1.0 and result.reason is None


def test_grade_within_caps_the_symbolic_time_to_what_is_left():
    equivalence.math_verify()  # loaded: the cap, not the loading guard, is what is tested
    result = grade_within(sample("\\boxed{(x+1)^{200}(x-1)^{200}}", "(x^2-1)^{199}"), 0.05)
    assert result.score == 0.0 and result.metrics["unverifiable"] == 1.0
    assert result.reason == "symbolic check exceeded 0.05s"


def test_grade_within_does_not_start_loading_math_verify_without_time_for_it(monkeypatch):
    monkeypatch.setattr(equivalence, "_ENGINE", [])  # as in a fresh Lambda
    result = grade_within(sample("\\boxed{(x+1)^2}", "x^2+2x+1"), 1.0)
    assert result.score == 0.0 and result.reason == "no time left for a symbolic check"
    assert equivalence._ENGINE == []
    assert grade_within(sample("\\boxed{2\\sqrt{2}}", "\\sqrt{8}"), 1.0).score == 1.0  # the fast paths still decide


def test_importing_the_handler_loads_neither_sympy_nor_math_verify():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import graders.math_handler; "
        "print(sorted(m for m in ('sympy', 'math_verify', 'ctypes') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(LAMBDA_DIR)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("off_main_thread", [False, True], ids=["timer", "watchdog"])
def test_the_limit_waits_out_a_garbage_collection_instead_of_raising_inside_it(off_main_thread):
    """An exception raised in a gc callback (or a finalizer the collector runs) is swallowed as unraisable:
    the limit must neither raise there nor lose its timeout."""
    import gc
    import sys
    import threading

    unraisable: list[object] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = lambda info: unraisable.append(info.exc_type)

    def slow_callback(phase, info):
        if phase == "start":
            until = time.monotonic() + 0.3
            while time.monotonic() < until:  # Python code, where an alarm could land
                pass

    outcome: list[str] = []

    def check() -> None:
        try:
            with time_limit(0.05):
                gc.collect()  # the limit expires during the slow callback
                while True:
                    pass
        except SymbolicTimeout:
            outcome.append("timed out")

    gc.callbacks.append(slow_callback)
    try:
        if off_main_thread:
            worker = threading.Thread(target=check)
            worker.start()
            worker.join(10)
        else:
            check()
    finally:
        gc.callbacks.remove(slow_callback)
        sys.unraisablehook = previous_hook
    assert outcome == ["timed out"]
    assert unraisable == []
    assert not [c for c in gc.callbacks if getattr(c, "__self__", None).__class__.__name__ == "_Collections"]
