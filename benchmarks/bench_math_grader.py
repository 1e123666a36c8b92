"""Speed of the math grader against plain Math-Verify, its cold import, and hostile answers.

Prints, from one run on this machine:
  (a) samples/s on GSM8K-style numeric answers, this grader vs
      ``math_verify.verify(math_verify.parse(gold), math_verify.parse(answer))``, per CPU-second
      of this process (the machine may be shared), the two timed in turn on the same chunks;
      and how often each agrees with the known truth of the generated answers;
  (b) the same on MATH-style LaTeX answers;
  the cold import time of ``graders.math_handler`` (fresh interpreter, median of several runs);
  the one-time load of Math-Verify/sympy on the first answer that needs them;
  the worst wall-clock time of one hostile item (once Math-Verify is loaded), on the main
  thread and off it, and whether each hostile item went unrewarded.
  (c) the same on realistic long solutions (the differential corpus, tests/support/math_corpus.py);
Targets: >= 20x Math-Verify on (a), >= 1x on (b), >= 1.5x on (c), cold import <= 300 ms, each
hostile item <= 2 s and unrewarded. All data is generated here (seeded); nothing is downloaded.

Measured as deployed: the script re-runs itself under the Lambda runtime's Python
(``--python``, default ~/.pyenv/versions/3.13.0/bin/python3) importing the bundled grader
asset: a synthesized ``cdk.out/asset.*`` holding ``graders/`` (as deployed), else this tree's
``lambda/`` over the bundled dependencies (``.cache/lambda-deps/*`` built for that version, or
one installed with that Python's pip into ``.cache/bench-deps-<version>``). Math-Verify runs
on the same interpreter from the same bundle. ``--here`` measures in the current interpreter.

Run: .venv/bin/python benchmarks/bench_math_grader.py [--gsm8k 2000] [--math 600] [--here]
"""

from __future__ import annotations

import argparse
import logging
import operator
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_PYTHON = Path.home() / ".pyenv/versions/3.13.0/bin/python3"
_BUNDLE_PATH = os.environ.get("MATH_BENCH_SYS_PATH")  # set when re-run under the runtime's Python
IMPORT_PATH = _BUNDLE_PATH.split(os.pathsep) if _BUNDLE_PATH else [str(ROOT / "lambda")]
sys.path[:0] = IMPORT_PATH + [str(ROOT)]


def _bundle_path(python: str) -> list[str]:
    """Import path of the grader bundle for ``python``: a synthesized asset, else the bundled
    dependencies (built for that Python) under this tree's grader code."""
    version = subprocess.run(
        [python, "-c", "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Newest first: cdk synth leaves the assets of earlier code in cdk.out.
    for asset in sorted(ROOT.glob("cdk.out/asset.*/"), key=lambda path: path.stat().st_mtime, reverse=True):
        bundled = (asset / "graders" / "math_handler.py").exists() and (asset / "math_verify").is_dir()
        if bundled:  # noqa: SIM102  (one condition per line: which asset, then which interpreter)
            if any(asset.glob(f"**/*cpython-{version}-*.so")) or not any(asset.glob("**/*.so")):
                return [str(asset)]
    for deps in sorted(ROOT.glob(".cache/lambda-deps/*/")) + [ROOT / f".cache/bench-deps-{version}"]:
        if (deps / "math_verify").is_dir() and any(deps.glob(f"**/*cpython-{version}-*.so")):
            return [str(ROOT / "lambda"), str(deps)]
    target = ROOT / f".cache/bench-deps-{version}"
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            "-r",
            str(ROOT / "lambda/graders/requirements.txt"),
        ],
        check=True,
    )
    return [str(ROOT / "lambda"), str(target)]


if __name__ == "__main__" and not _BUNDLE_PATH and "--here" not in sys.argv and LAMBDA_PYTHON.exists():
    _path = _bundle_path(str(LAMBDA_PYTHON))
    _env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    sys.exit(
        subprocess.run(
            [str(LAMBDA_PYTHON), "-s", __file__, *sys.argv[1:]],
            env={**_env, "MATH_BENCH_SYS_PATH": os.pathsep.join(_path)},
        ).returncode
    )

from graders.contract import parse_sample
from graders.math_answer import equivalence, grader as grader_module, normalize, numeric, reference
from graders.math_answer.grader import MathGrader

TARGET_SPEEDUP_NUMERIC = 20.0
TARGET_IMPORT_MS = 300.0
TARGET_HOSTILE_SECONDS = 2.0
CHUNK = 400


# ---------------------------------------------------------------- data: GSM8K-style
NAMES = ["Natalia", "Weng", "Betty", "Julie", "James", "Albert", "Ken", "Alexis", "Tina", "Mark"]
ITEMS = ["apples", "clips", "cans", "pages", "eggs", "cupcakes", "marbles", "tickets"]


def gsm8k_prompt(rng: random.Random, samples_per_prompt: int) -> list[tuple[str, str, bool]]:
    """One word problem's sampled responses: (response, reference, whether it is right).

    Bedrock samples several completions per prompt (trainingSamplePerPrompt), all graded
    against the same reference; each here ends in one of the ways models end an answer.
    """
    name, thing = rng.choice(NAMES), rng.choice(ITEMS)
    a, b, c = rng.randint(2, 90), rng.randint(2, 40), rng.randint(1, 500)
    truth = a * b + c
    steps = (
        f"{name} buys {a} boxes with {b} {thing} each, so {a} x {b} = <<{a}*{b}={a * b}>>{a * b} {thing}.\n"
        f"Then {name} adds {c} more: {a * b} + {c} = <<{a * b}+{c}={a * b + c}>>{a * b + c}.\n"
    )
    reference = str(truth) if rng.random() < 0.8 else f"{steps}#### {truth}"
    items = []
    for _ in range(samples_per_prompt):
        answer = truth if rng.random() < 0.6 else truth + rng.choice([-10, -2, -1, 1, 3, 100, a])
        shown = f"{answer:,}" if answer >= 1000 and rng.random() < 0.7 else str(answer)
        unit = "$" if rng.random() < 0.3 else ""
        ending = rng.choice(
            [
                f"#### {answer}",
                f"The answer is {unit}{shown}.",
                f"So {name} has {unit}{shown} {thing} in total.\n#### {shown}",
                f"Therefore, the final answer is $\\boxed{{{shown.replace(',', '{,}')}}}$.",
                f"Answer: {unit}{shown}",
                f"<answer>{shown}</answer>",
                f"In total, {name} ends up with {unit}{shown} {thing}.",
                f"Total = {a * b} + {c} = {shown}",
            ]
        )
        items.append((steps + ending, reference, answer == truth))
    return items


# ---------------------------------------------------------------- data: MATH-style
def math_prompt(rng: random.Random, samples_per_prompt: int) -> list[tuple[str, str, bool]]:
    """One problem's sampled LaTeX answers: the value in another form, or a wrong one."""
    p, q = rng.randint(1, 9), rng.randint(2, 12)
    while q == p:
        q = rng.randint(2, 12)
    n = rng.randint(2, 30)
    r = rng.choice([2, 3, 5, 6, 7])
    forms = [  # (reference, equivalent answers, wrong answers)
        (
            f"\\frac{{{p}}}{{{q}}}",
            [f"\\dfrac{{{p}}}{{{q}}}", f"{p}/{q}", f"\\frac{{{2 * p}}}{{{2 * q}}}"],
            [f"\\frac{{{q}}}{{{p}}}", f"\\frac{{{p + 1}}}{{{q}}}"],
        ),
        (
            f"{p}\\sqrt{{{r}}}",
            [f"{p} \\sqrt{r}", f"\\sqrt{{{p * p * r}}}"],
            [f"{p + 1}\\sqrt{{{r}}}", f"{p}\\sqrt{{{r + 1}}}"],
        ),
        (
            f"\\frac{{\\sqrt{{{r}}}}}{{{q}}}",
            [f"\\frac{{1}}{{{q}}}\\sqrt{{{r}}}", f"\\dfrac{{\\sqrt {r}}}{{{q}}}"],
            [f"\\frac{{\\sqrt{{{r}}}}}{{{q + 1}}}"],
        ),
        (f"{p}\\pi", [f"{p} \\pi", f"\\pi \\cdot {p}"], [f"{p + 1}\\pi", f"{p}"]),
        (f"\\frac{{{p}\\pi}}{{{q}}}", [f"\\frac{{{p}}}{{{q}}}\\pi"], [f"\\frac{{{q}\\pi}}{{{p}}}"]),
        (f"{n}^{{{p}}}", [f"{n**p}"], [f"{n}^{{{p + 1}}}", f"{n**p + 1}"]),
        (f"x^2 + {2 * n}x + {n * n}", [f"(x+{n})^2", f"x^{{2}}+{2 * n}x+{n * n}"], [f"(x-{n})^2", f"(x+{n + 1})^2"]),
        (f"[{-n}, {p})", [f"[{-n},{p})"], [f"({-n}, {p})", f"[{-n}, {p}]"]),
        (f"(-\\infty, {p}]", [f"(-\\infty,{p}]"], [f"(-\\infty, {p})"]),
        (f"\\{{{p}, {n}\\}}", [f"\\{{{n}, {p}\\}}", f"\\{{{n},{p}\\}}"], [f"\\{{{p}, {n + 1}\\}}"]),
        (f"({p}, {n + 10})", [f"({p},{n + 10})"], [f"({n + 10}, {p})", f"({p}, {n + 11})"]),
        (f"x = {p}", [f"{p}", f"x={p}"], [f"x = {p + 1}"]),
        (f"{p}.{n}", [f"{p}.{n}0", f"\\frac{{{p * 100 + n}}}{{100}}" if n >= 10 else f"{p}.{n}"], [f"{p}.{n + 1}"]),
    ]
    reference, right, wrong = rng.choice(forms)
    prose = (
        f"We simplify the expression step by step. Let $a = {p}$ and $b = {q}$, so $a + b = {p + q}$ and "
        f"$ab = {p * q}$. Substituting back gives the result below.\n\n"
    )
    reference_text = reference if rng.random() < 0.8 else f"{prose}So the answer is $\\boxed{{{reference}}}$."
    items = []
    for _ in range(samples_per_prompt):
        correct = rng.random() < 0.6
        answer = rng.choice(right if correct else wrong)
        ending = rng.choice(
            [
                f"The final answer is $\\boxed{{{answer}}}$.",
                f"Therefore, the answer is $\\boxed{{{answer}}}$. I hope it is correct.",
                f"Thus we get \\[\\boxed{{{answer}}}\\]",
            ]
        )
        items.append((prose + ending, reference_text, correct))
    return items


# ---------------------------------------------------------------- hostile answers
def hostile_items() -> list[tuple[str, str, str]]:
    """(name, response, reference); a right answer is hidden in several of them."""
    nested_frac = "\\frac{1}{" * 300 + "2" + "}" * 300
    return [
        ("power tower 9^9^9^9 (LaTeX)", "\\boxed{9^{9^{9^{9}}}}", "42"),
        ("power tower 9^9^9^9 (bare)", "The answer is 9^9^9^9", "42"),
        ("10**10**10", "The answer is 10**10**10.", "42"),
        ("10^{10^{10}}", "$\\boxed{10^{10^{10}}}$", "10"),
        ("2^{10^6}", "\\boxed{2^{1000000}}", "2"),
        ("(10^1000)^1000", "\\boxed{(10^{1000})^{1000}}", "10"),
        ("factorial 10^6", "\\boxed{1000000!}", "1"),
        ("huge sum bound", "\\boxed{\\prod_{i=1}^{10^{9}} i}", "1"),
        ("nested \\frac x300", f"\\boxed{{{nested_frac}}}", "2"),
        ("nested \\frac x40", "\\boxed{" + "\\frac{1}{" * 40 + "2" + "}" * 40 + "}", "2"),
        ("nested parens x500", "\\boxed{" + "(" * 500 + "1" + ")" * 500 + "}", "1"),
        ("nested \\sqrt x100", "\\boxed{" + "\\sqrt{" * 100 + "16" + "}" * 100 + "}", "2"),
        ("long sum x+x+...", "\\boxed{" + "+".join(["x"] * 190) + "}", "191x"),
        ("slow: (x+1)^200 (x-1)^200", "\\boxed{(x+1)^{200}(x-1)^{200}}", "(x^2-1)^{199}"),
        ("slow: (x+y+z)^60", "\\boxed{(x+y+z)^{60}}", "(x+y+z)^{59}"),
        ("slow: an integral", "\\boxed{\\int_0^1 e^{-x^{2}} \\sin(x^{3}) dx}", "1"),
        ("slow: a product of 3000 terms", "\\boxed{\\prod_{k=1}^{3000} (1+\\frac{1}{k^2})}", "2"),
        ("5 MB then #### 42", "blah " * 1_000_000 + "\n#### 42", "42"),
        ("1 MB of \\boxed{ (unbalanced)", "\\boxed{" * 150_000, "42"),
        ("150k '{' after \\boxed", "\\boxed" + "{" * 150_000, "42"),
        ("5,000 \\boxed{42}", "\\boxed{42} " * 5_000, "42"),
        ("boxes 1..10,000", " ".join(f"\\boxed{{{i}}}" for i in range(1, 10_001)), "42"),
        ("two different boxes", "Maybe \\boxed{3}, or maybe \\boxed{4}.", "3"),
        ("candidate list", "The answer is 1, 2, 3, 4 or 5.", "3"),
        ("boxed candidate list", "\\boxed{1, 2, 3, 4, 5}", "3"),
        ("boxed 'or'", "\\boxed{3 \\text{ or } 4}", "4"),
        ("unmarked 'either ... or'", "It is either 4 or 5.", "5"),
        ("boxed '3 \\text{(or 4)}'", "\\boxed{3 \\text{(or 4)}}", "3"),
        ("boxed '3 \\text{ (maybe 4)}'", "\\boxed{3 \\text{ (maybe 4)}}", "3"),
        ("'The answer is 3 (or 4).'", "The answer is 3 (or 4).", "4"),
        ("'3 (4 if we count zero)'", "The answer is 3 (4 if we count zero).", "3"),
        ("100k-digit number", "#### " + "1" * 100_000, "42"),
        ("'answer is' + 1M spaces", "answer is" + " " * 190_000 + "x", "42"),
        ("100k <answer> tags", "<answer>" * 20_000, "42"),
        ("100k #### headings", "#### step\n" * 18_000, "42"),
        ("1e999999", "\\boxed{1e999999}", "1"),
    ]


# ---------------------------------------------------------------- measurement
def samples(pairs: list[tuple[str, str]]) -> list:
    return [
        parse_sample(
            {
                "id": str(i),
                "messages": [{"role": "user", "content": "Solve."}, {"role": "assistant", "content": response}],
                "metadata": {"reference_answer": reference},
            }
        )
        for i, (response, reference) in enumerate(pairs)
    ]


def clear_caches() -> None:
    """Start each measurement cold: sympy's cache, Math-Verify's and ours."""
    from math_verify import parser
    from sympy.core.cache import clear_cache

    clear_cache()
    for name in ("parse_latex_cached", "parse_expr_cached"):
        cache_clear = getattr(getattr(parser, name, None), "cache_clear", None)
        if cache_clear is not None:
            cache_clear()
    for cached in (
        equivalence._symbolic_equal,
        equivalence._parse,
        normalize.clean_answer,
        normalize.unwrap_text,
        normalize.compact,
        normalize.split_items,
        numeric.parse_number,
        reference._one_text,
        grader_module._item_count,
    ):
        cached.cache_clear()


def compare(items: list[tuple[str, str, bool]], *, latex_gold: bool, rounds: int) -> tuple[float, float, float, float]:
    """Samples/s of this grader and of plain Math-Verify, and how often each agrees with the truth.

    The two are timed chunk by chunk in turn, on CPU time of this process, so a busy moment
    of a shared machine weighs on both alike; every cache (sympy's, Math-Verify's, ours) is
    cleared before each chunk, so neither profits from work the other did.
    """
    import math_verify

    grader = MathGrader()
    batch = samples([(response, reference) for response, reference, _ in items])
    golds = [
        f"${reference}$" if latex_gold and "\\boxed" not in reference and "####" not in reference else reference
        for _, reference, _ in items
    ]
    ours_seconds = theirs_seconds = 0.0
    for _ in range(rounds):
        ours, theirs = [], []
        for start in range(0, len(items), CHUNK):
            chunk = range(start, min(start + CHUNK, len(items)))
            clear_caches()
            started = time.process_time()
            ours += [grader(batch[i]).score >= 0.5 for i in chunk]
            ours_seconds += time.process_time() - started
            clear_caches()
            started = time.process_time()
            theirs += [
                bool(math_verify.verify(math_verify.parse(golds[i]), math_verify.parse(items[i][0]))) for i in chunk
            ]
            theirs_seconds += time.process_time() - started
    truth = [right for *_, right in items]
    done = rounds * len(items)
    return (
        done / ours_seconds,
        done / theirs_seconds,
        sum(map(operator.eq, ours, truth)) / len(items),
        sum(map(operator.eq, theirs, truth)) / len(items),
    )


def cold_import_ms(runs: int) -> list[float]:
    code = (
        "import sys, time; sys.path[:0] = sys.argv[1].split('" + os.pathsep + "'); t = time.perf_counter(); "
        "import graders.math_handler; print((time.perf_counter() - t) * 1000)"
    )
    timings = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code, os.pathsep.join(IMPORT_PATH)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        timings.append(float(out.stdout.strip()))
    return timings


def run_hostile(grader: MathGrader) -> list[tuple[str, float, float, float]]:
    rows = []
    for name, sample in zip((h[0] for h in hostile_items()), samples([h[1:] for h in hostile_items()])):
        started = time.perf_counter()
        grade = grader(sample)
        rows.append((name, time.perf_counter() - started, grade.score, grade.rewards["correct"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsm8k", type=int, default=2000)
    parser.add_argument("--math", type=int, default=600)
    parser.add_argument("--long", type=int, default=800, help="long solutions from the differential corpus")
    parser.add_argument("--import-runs", type=int, default=7)
    parser.add_argument("--here", action="store_true", help="measure in this interpreter, not as deployed")
    parser.add_argument(
        "--samples-per-prompt",
        type=int,
        default=8,
        help="completions graded against one reference (Bedrock's trainingSamplePerPrompt)",
    )
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # reasons are logged per item; keep the output to figures
    rng = random.Random(20261125)
    per_prompt = args.samples_per_prompt
    gsm8k = [item for _ in range(args.gsm8k // per_prompt) for item in gsm8k_prompt(rng, per_prompt)]
    latex = [item for _ in range(args.math // per_prompt) for item in math_prompt(rng, per_prompt)]

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cpu(s); {per_prompt} sampled answers per prompt")
    print(
        f"grader and Math-Verify imported from: {os.pathsep.join(IMPORT_PATH)}"
        f" (math_verify {__import__('math_verify').__file__})"
    )
    imports = cold_import_ms(args.import_runs)
    print(
        f"cold import of graders.math_handler: median {statistics.median(imports):.0f} ms over {len(imports)} "
        f"fresh interpreters (min {min(imports):.0f}, max {max(imports):.0f}); target <= {TARGET_IMPORT_MS:.0f} ms"
    )

    started = time.perf_counter()
    equivalence.math_verify()
    print(f"Math-Verify/sympy load on first symbolic answer (not at import): {time.perf_counter() - started:.2f} s")

    print(
        "samples/s are per CPU-second of this process (the machine may be shared), both graders timed "
        f"in turn on chunks of {CHUNK}, all caches cleared before each chunk"
    )
    from tests.support.math_corpus import corpus

    long_items = [(p.response, p.reference, p.kind == "correct") for p in corpus(args.long, 29)]
    for label, items, latex_gold, target, rounds in (
        ("(a) GSM8K-style numeric", gsm8k, False, TARGET_SPEEDUP_NUMERIC, 2),
        ("(b) MATH-style LaTeX", latex, True, 1.0, 1),
        ("(c) realistic long solutions", long_items, True, 1.5, 1),
    ):
        ours, theirs, ours_agree, theirs_agree = compare(items, latex_gold=latex_gold, rounds=rounds)
        print(
            f"{label}: {len(items)} answers ({sum(t for *_, t in items) / len(items):.0%} right); "
            f"this grader {ours:,.0f} samples/s, Math-Verify {theirs:,.0f} samples/s: "
            f"speed-up {ours / theirs:.1f}x (target >= {target:g}x); agreement with the truth: "
            f"this grader {ours_agree:.1%}, Math-Verify {theirs_agree:.1%}"
        )

    rows = run_hostile(MathGrader())
    worst = max(rows, key=lambda row: row[1])
    print(f"hostile answers ({len(rows)}), main thread (timer on):")
    for name, seconds, score, correct in rows:
        verdict = "unrewarded" if score < 0.5 and correct == 0 else "REWARDED"
        print(f"  {name:32s} {seconds * 1000:8.1f} ms  score {score:.1f}  {verdict}")
    print(
        f"  worst: {worst[0]} {worst[1]:.3f} s (target <= {TARGET_HOSTILE_SECONDS:g} s); "
        f"all unrewarded: {all(r[2] < 0.5 and r[3] == 0 for r in rows)}"
    )

    threaded: list = []
    worker = threading.Thread(target=lambda: threaded.extend(run_hostile(MathGrader())))
    worker.start()
    worker.join()
    worst = max(threaded, key=lambda row: row[1])
    print(
        f"hostile answers off the main thread (watchdog thread instead of SIGALRM): "
        f"worst {worst[0]} {worst[1]:.3f} s; all unrewarded: {all(r[2] < 0.5 and r[3] == 0 for r in threaded)}"
    )


if __name__ == "__main__":
    main()
