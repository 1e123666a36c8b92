"""A seeded corpus of (response, reference) pairs in the styles models write for MATH- and
GSM8K-like problems, for the differential test against Math-Verify.

Every pair carries the truth (``kind``: correct, wrong, near_miss, hedge) and the written
``form`` of its answer (units, currency, thousands separators, ...), so a disagreement between
graders can be named. All text is generated here; nothing is downloaded or copied.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import NamedTuple

NAMES = ["Natalia", "Weng", "Betty", "Julie", "James", "Albert", "Ken", "Alexis", "Tina", "Mark"]
THINGS = ["apples", "clips", "cans", "pages", "eggs", "cupcakes", "marbles", "tickets"]
LATEX_THOUSANDS = ",\\!"
WORDS = {
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    12: "twelve",
    15: "fifteen",
    20: "twenty",
}


class Pair(NamedTuple):
    response: str
    reference: str
    kind: str  # "correct" | "wrong" | "near_miss" | "hedge"
    form: str  # how the answer is written, e.g. "currency", "space_thousands", "minerva"
    style: str  # "gsm8k" | "math"


def _thousands(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def _gsm8k_work(rng: random.Random, a: int, b: int, c: int) -> str:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    return (
        f"{name} buys {a} boxes with {b} {thing} in each box, so that is {a} x {b} = {a * b} {thing}.\n"
        f"Then {name} gets {c} more {thing} from a friend: {a * b} + {c} = {a * b + c}. "
        f"Let me double-check the first step: {b} x {a} = {a * b}, which matches.\n"
    )


def _gsm8k_endings(value: int, shown: str, rng: random.Random) -> list[tuple[str, str]]:
    """(form, ending) for one value as models write it."""
    latex = _thousands(value, LATEX_THOUSANDS)
    spaced = _thousands(value, " ")
    forms = [
        ("hash", f"#### {value}"),
        ("hash_thousands", f"#### {shown}"),
        ("answer_is", f"The answer is {shown}."),
        ("currency", f"The answer is ${shown}."),
        ("currency_unmarked", f"So in total it costs ${shown}."),
        ("units_unmarked", f"So there are {shown} {rng.choice(THINGS)} in total."),
        ("boxed", f"Therefore, the final answer is $\\boxed{{{value}}}$."),
        ("latex_thousands", f"Therefore, the final answer is $\\boxed{{{latex}}}$."),
        ("space_thousands", f"The answer is {spaced}."),
        ("bold_answer", f"**Answer:** {shown}"),
        ("answer_colon", f"Answer: {value}"),
        ("answer_heading", f"# Answer\n\n{value}"),
        ("minerva", f"Final Answer: The final answer is ${value}$. I hope it is correct."),
        ("answer_tag", f"<answer>{value}</answer>"),
        ("equation_chain", f"Total = {value - 7} + 7 = {value}"),
        ("decimal_zeros", f"The answer is {value}.00"),
        ("dollars_word", f"The answer is {shown} dollars."),
        ("units_boxed", f"The final answer is $\\boxed{{{value} \\text{{ {rng.choice(THINGS)}}}}}$."),
    ]
    if value in WORDS:
        forms.append(("number_word", f"The answer is {WORDS[value]}."))
    return forms


def gsm8k_pairs(rng: random.Random, count: int) -> Iterator[Pair]:
    for _ in range(count):
        a, b, c = rng.randint(2, 90), rng.randint(2, 40), rng.randint(1, 3000)
        truth = a * b + c if rng.random() < 0.85 else rng.choice(list(WORDS))
        work = _gsm8k_work(rng, a, b, c)
        kind = rng.choices(["correct", "wrong", "near_miss", "hedge"], [0.55, 0.15, 0.15, 0.15])[0]
        if kind == "hedge":
            other = truth + rng.choice([1, 2, 10])
            form, ending = rng.choice(
                [
                    ("two_boxes", f"So it is $\\boxed{{{truth}}}$ or $\\boxed{{{other}}}$."),
                    ("either_or", f"It is either {truth} or {other}."),
                    ("aside_or", f"The answer is {truth} (or {other})."),
                    ("boxed_list", f"The answer is $\\boxed{{{truth}, {other}}}$."),
                    ("maybe", f"The answer is maybe {truth}, maybe {other}."),
                ]
            )
            yield Pair(work + ending, str(truth), kind, form, "gsm8k")
            continue
        value = truth
        if kind == "wrong":
            value = truth + rng.choice([-100, -13, 7, 50, 1000])
        elif kind == "near_miss":
            value = rng.choice([truth + 1, truth - 1, truth * 10, int(str(truth)[::-1]) if truth > 9 else truth + 2])
        if value == truth and kind != "correct":
            value = truth + 3
        shown = f"{value:,}" if value >= 1000 and rng.random() < 0.7 else str(value)
        form, ending = rng.choice(_gsm8k_endings(value, shown, rng))
        reference = str(truth) if rng.random() < 0.8 else f"{work}#### {truth}"
        yield Pair(work + ending, reference, kind, form, "gsm8k")


def _math_problems(rng: random.Random) -> list[tuple[str, str, list[tuple[str, str]], list[str], list[str]]]:
    """(name, reference, [(form, right answer)], wrong answers, near misses)."""
    p, q = rng.randint(1, 9), rng.randint(2, 12)
    while q == p or (q % p == 0 and p > 1):
        q = rng.randint(2, 12)
    n, r = rng.randint(2, 20), rng.choice([2, 3, 5, 6, 7])
    return [
        (
            "fraction",
            f"\\frac{{{p}}}{{{q}}}",
            [
                ("dfrac", f"\\dfrac{{{p}}}{{{q}}}"),
                ("slash", f"{p}/{q}"),
                ("unreduced", f"\\frac{{{2 * p}}}{{{2 * q}}}"),
            ],
            [f"\\frac{{{q}}}{{{p}}}"],
            [f"\\frac{{{p + 1}}}{{{q}}}", f"\\frac{{{p}}}{{{q + 1}}}"],
        ),
        (
            "radical",
            f"{p}\\sqrt{{{r}}}",
            [("spaced", f"{p} \\sqrt{{{r}}}"), ("absorbed", f"\\sqrt{{{p * p * r}}}")],
            [f"{p + 1}\\sqrt{{{r}}}"],
            [f"{p}\\sqrt{{{r + 1}}}", f"{p}"],
        ),
        ("pi", f"{p}\\pi", [("spaced", f"{p} \\pi"), ("product", f"\\pi \\cdot {p}")], [f"{p + 1}\\pi"], [f"{p}"]),
        (
            "interval",
            f"[{-n}, {p})",
            [("nospace", f"[{-n},{p})")],
            [f"[{-n}, {p + 3})"],
            [f"({-n}, {p})", f"[{-n}, {p}]"],
        ),
        ("ray", f"(-\\infty, {p}]", [("nospace", f"(-\\infty,{p}]")], [f"(-\\infty, {p + 2}]"], [f"(-\\infty, {p})"]),
        (
            "set",
            f"\\{{{p}, {n + 10}\\}}",
            [("reordered", f"\\{{{n + 10}, {p}\\}}")],
            [f"\\{{{p}, {n + 11}\\}}"],
            [f"\\{{{p}\\}}"],
        ),
        (
            "pm_roots",
            f"\\pm {n}",
            [("listed", f"{n}, -{n}"), ("listed_rev", f"-{n}, {n}")],
            [f"\\pm {n + 1}"],
            [f"{n}"],
        ),
        ("point", f"({p}, {n + 10})", [("nospace", f"({p},{n + 10})")], [f"({p}, {n + 11})"], [f"({n + 10}, {p})"]),
        ("line", f"y = {p}x + {n}", [("spaced", f"y={p}x+{n}")], [f"y = {p}x + {n + 1}"], [f"y = {p + 1}x + {n}"]),
        (
            "plane",
            f"{p}x + {n}y - z + {q} = 0",
            [("negated", f"-{p}x - {n}y + z - {q} = 0")],
            [f"{p}x + {n}y - z + {q + 1} = 0"],
            [f"{p}x + {n}y + z + {q} = 0"],
        ),
        ("assignment", f"{n}", [("x_equals", f"x = {n}")], [f"x = {n + 1}"], [f"{n}^2"]),
        ("decimal", f"{p}.{n + 10}", [("trailing_zero", f"{p}.{n + 10}0")], [f"{p}.{n + 11}"], [f"{p + 1}.{n + 10}"]),
        ("leading_dot", f"0.{p}", [("leading_dot", f".{p}")], [f"0.{p + 1 if p < 9 else 1}"], [f"{p}"]),
        ("letter", rng.choice("ABCDE"), [], [], []),
        ("word", rng.choice(["east", "odd", "yes"]), [], [], []),
        ("golden", "\\frac{1+\\sqrt{5}}{2}", [("dfrac", "\\dfrac{1+\\sqrt{5}}{2}")], ["\\frac{1-\\sqrt{5}}{2}"], ["2"]),
        ("ratio", f"{p}:{q}", [], [f"{q}:{p}"], []),
    ]


_MATH_WORK = (
    "We first simplify. Let $a = {p}$ and $b = {q}$, so $a + b = {s}$ and $ab = {m}$. "
    "Then $\\frac{{a}}{{b}} = \\frac{{{p}}}{{{q}}}$, and squaring gives $\\frac{{{p2}}}{{{q2}}}$. "
    "Substituting back into the original equation, we obtain the result below.\n\n"
)


def _math_endings(answer: str, rng: random.Random) -> list[tuple[str, str]]:
    return [
        ("boxed", f"The final answer is $\\boxed{{{answer}}}$."),
        ("boxed_display", f"Thus we get \\[\\boxed{{{answer}}}\\]"),
        ("minerva", f"Final Answer: The final answer is ${answer}$. I hope it is correct."),
        ("answer_heading", f"# Answer\n\n{answer}"),
        ("final_expression", f"Therefore the result is ${answer}$."),
        (
            "step_boxes",
            f"Step one gives $\\boxed{{{rng.randint(2, 99)}}}$ for the first part.\n\n"
            f"Then the whole expression simplifies.\n\nFinal answer: $\\boxed{{{answer}}}$",
        ),
    ]


def math_pairs(rng: random.Random, count: int) -> Iterator[Pair]:
    for _ in range(count):
        name, reference, right, wrong, near = rng.choice(_math_problems(rng))
        p, q = rng.randint(2, 9), rng.randint(2, 9)
        work = _MATH_WORK.format(p=p, q=q, s=p + q, m=p * q, p2=p * p, q2=q * q)
        if name == "letter":
            right = [("letter_paren", f"({reference})"), ("letter_bold", f"\\textbf{{({reference})}}")]
            wrong = [chr(ord("A") + (ord(reference) - ord("A") + 1) % 5)]
        if name == "word":
            right = [("text_word", f"\\text{{{reference}}}")]
            wrong = [{"east": "west", "odd": "even", "yes": "no"}[reference]]
        kind = rng.choices(["correct", "wrong", "near_miss", "hedge"], [0.55, 0.15, 0.15, 0.15])[0]
        if kind == "near_miss" and not near:
            kind = "wrong"
        if kind == "wrong" and not wrong:
            kind = "correct"
        if kind == "hedge":
            other = (wrong or near or ["0"])[0]
            form, ending = rng.choice(
                [
                    ("two_boxes", f"So it is $\\boxed{{{reference}}}$ or $\\boxed{{{other}}}$."),
                    ("boxed_or", f"The final answer is $\\boxed{{{reference} \\text{{ or }} {other}}}$."),
                ]
            )
            if name == "pm_roots":  # a \pm reference asks for two values: hedge on a third one
                ending = f"So it is $\\boxed{{{right[0][1]}}}$ or $\\boxed{{{other}}}$."
            yield Pair(work + ending, reference, kind, f"{name}:{form}", "math")
            continue
        if kind == "correct":
            form, answer = rng.choice(right + [("as_reference", reference)])
        else:
            form, answer = "other_value", rng.choice(wrong if kind == "wrong" else near)
        ending_form, ending = rng.choice(_math_endings(answer, rng))
        reference_text = reference if rng.random() < 0.85 else f"{work}So the answer is $\\boxed{{{reference}}}$."
        yield Pair(work + ending, reference_text, kind, f"{name}:{form}:{ending_form}", "math")


def corpus(size: int = 2400, seed: int = 17) -> list[Pair]:
    """``size`` pairs, half GSM8K-like and half MATH-like, the same for the same seed."""
    rng = random.Random(seed)
    return list(gsm8k_pairs(rng, size // 2)) + list(math_pairs(rng, size - size // 2))


# ---------------------------------------------------------------- the differential comparison
# The rule that makes our grader right where Math-Verify refuses a correct answer, by written form.
RULES = (
    ("currency", "currency sign before the number"),
    ("dollars_word", "units after the number"),
    ("units", "units after the number"),
    ("thousands", "thousands separators"),
    ("hash", "GSM8K '####' marker"),
    ("number_word", "number words"),
    ("letter", "multiple-choice letter"),
    ("answer_heading", "'# Answer' heading"),
    ("minerva", "Minerva 'Final Answer' convention"),
    ("answer_colon", "'Answer:' convention"),
    ("bold_answer", "'**Answer:**' convention"),
    ("answer_is", "'the answer is' as the final statement"),
    ("answer_tag", "<answer> tag"),
    ("equation_chain", "last side of a final equation"),
    ("step_boxes", "step boxes before the final box"),
    ("pm_roots", "\\pm reference matches both listed roots"),
    ("text_word", "text answer"),
    ("decimal", "decimal written with trailing zeros"),
    ("final_expression", "last complete expression of the final statement"),
)


class Outcome(NamedTuple):
    pair: Pair
    ours: bool
    theirs: bool
    rule: str  # why the two disagree, "" when they agree; starts with "UNEXPLAINED" when no rule applies


def rule_for(form: str) -> str:
    return next((name for key, name in RULES if key in form), "")


def compare(pairs: list[Pair], grade, verify) -> list[Outcome]:
    """Each pair judged by ``grade(response, reference) -> Grade`` (ours) and
    ``verify(response, reference) -> bool`` (Math-Verify's parse + verify), with the rule
    that explains a disagreement."""
    outcomes = []
    for pair in pairs:
        result = grade(pair.response, pair.reference)
        ours, theirs = result.score >= 0.5, verify(pair.response, pair.reference)
        rule = ""
        if theirs and not ours:
            if result.metrics.get("hedged"):
                rule = "refusal: hedge"
            elif result.metrics.get("unverifiable"):
                rule = "refusal: bounds"
            elif pair.kind != "correct":
                rule = f"Math-Verify rewards a {pair.kind.replace('_', ' ')}"
            else:
                rule = f"UNEXPLAINED miss ({pair.form})"
        elif ours and not theirs:
            if pair.kind == "correct":
                rule = rule_for(pair.form) or f"correct answer Math-Verify cannot read ({pair.form})"
            else:
                rule = f"UNEXPLAINED: ours rewards a {pair.kind} ({pair.form})"
        elif ours and pair.kind != "correct":
            rule = f"UNEXPLAINED: both reward a {pair.kind} ({pair.form})"
        outcomes.append(Outcome(pair, ours, theirs, rule))
    return outcomes


def grade_with(grader):
    """``(response, reference) -> Grade`` through ``grader`` on a Bedrock-shaped item, for :func:`compare`."""
    from graders.contract import parse_sample

    def grade(response: str, reference: str):
        item = {
            "id": "d",
            "messages": [{"role": "assistant", "content": response}],
            "metadata": {"reference_answer": reference},
        }
        return grader.grade(parse_sample(item))

    return grade


def math_verify_gold(reference: str) -> str:
    """The reference as Math-Verify's ``parse`` reads a gold answer: marked answers as they are, else in ``$..$``."""
    return reference if "\\boxed" in reference or "####" in reference else f"${reference}$"
