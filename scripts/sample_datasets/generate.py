"""Generate the sample RFT datasets in datasets/, reproducibly (seeded, templated, nothing downloaded).

    python -m scripts.sample_datasets.generate            # rewrite datasets/*.jsonl
    python -m scripts.sample_datasets.generate --check    # exit 1 if the committed files are not its output

Two runs give byte-identical files; a unit test checks that the committed files equal this output.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from rft.synthesis.format_synthesis import compliant_response
from scripts.sample_datasets import code_problems, tool_problems
from scripts.sample_datasets.instruction_prompts import (
    MODIFIERS,
    REQUESTS,
    STRUCTURES,
    TOPICS,
    YES_NO_REQUESTS,
    describe,
    draw_kwargs,
)
from scripts.sample_datasets.math_problems import TEMPLATES, format_answer

DATASETS_DIR = Path(__file__).resolve().parents[2] / "datasets"
SEED = 20251203
MATH_ROWS = 250
INSTRUCTION_ROWS = 250
MATH_FILE = "math_word_problems.jsonl"
INSTRUCTION_FILE = "instruction_following.jsonl"
CODE_ROWS = 120
TOOL_ROWS = 120
CODE_FILE = "code_problems.jsonl"
TOOL_FILE = "tool_calls.jsonl"
CODE_STYLE = "Answer with the complete Python code in one ```python block."
MATH_SYSTEM = "You are a careful math tutor. Reason step by step before answering."
HASH_STYLE = (
    "Solve the problem step by step. Finish with a final line of the form '#### <answer>' where "
    "<answer> is just the number."
)
BOXED_STYLE = "Think it through step by step, then give the final answer as \\boxed{<answer>} with just the number."


def math_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(rows) < count:
        template = TEMPLATES[len(rows) % len(TEMPLATES)]
        topic, question, answer = template(rng)
        if question in seen:
            continue
        seen.add(question)
        style = HASH_STYLE if rng.random() < 0.7 else BOXED_STYLE
        messages = [{"role": "user", "content": f"{question}\n\n{style}"}]
        if rng.random() < 0.3:
            messages.insert(0, {"role": "system", "content": MATH_SYSTEM})
        rows.append(
            {
                "id": f"math-{len(rows) + 1:04d}",
                "messages": messages,
                "reference_answer": format_answer(answer),
                "topic": topic,
                "answer_format": "hash" if style is HASH_STYLE else "boxed",
                "graders": ["math"],
            }
        )
    return rows


def instruction_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(rows) < count:
        topic = rng.choice(TOPICS)
        structure = rng.choice(STRUCTURES)
        pool = YES_NO_REQUESTS if structure == "detectable_format:constrained_response" else REQUESTS
        request = rng.choice(pool).format(t=topic)
        modifiers = rng.sample(MODIFIERS, rng.choice((1, 1, 2, 2, 2)))
        ids = ([structure] if structure else []) + modifiers
        kwargs = [draw_kwargs(i, rng, request=request) for i in ids]
        reference = compliant_response(ids, kwargs, topic=topic)
        if reference is None:  # conflicting rules (e.g. lowercase + capital words): draw again
            continue
        prompt = " ".join([request] + [describe(i, k) for i, k in zip(ids, kwargs)])
        if prompt in seen:
            continue
        seen.add(prompt)
        rows.append(
            {
                "id": f"if-{len(rows) + 1:04d}",
                "messages": [{"role": "user", "content": prompt}],
                "reference_answer": reference,
                "instruction_id_list": ids,
                "kwargs": kwargs,
                "topic": topic,
                "graders": ["format"],
            }
        )
    return rows


def _signature(name: str, params: str, signature: str) -> str:
    return f"def {name}({signature}):"


def code_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Function problems alternate MBPP-style assert lists and HumanEval-style check(candidate) with a stub;
    every fourth row is a stdin/stdout problem."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(rows) < count:
        number = len(rows) + 1
        if number % 4 == 0:
            problem = rng.choice(code_problems.IO_FAMILIES)(rng)
            prompt = (
                f"{problem['text']}\n\nWrite a Python 3 program that reads standard input and prints the "
                f"answer. {CODE_STYLE}"
            )
            cases = [
                {"input": i, "output": code_problems.run_script(problem["solution"], i)} for i in problem["inputs"]
            ]
            row = {
                "messages": [{"role": "user", "content": prompt}],
                "reference_answer": problem["solution"],
                "language": "python",
                "test_cases": cases,
            }
        else:
            problem = rng.choice(code_problems.FUNCTION_FAMILIES)(rng)
            name, header = problem["name"], _signature(problem["name"], problem["params"], problem["signature"])
            solution = f"{header}\n{problem['body']}"
            calls = [(args, code_problems.run_function(solution, name, args)) for args in problem["inputs"]]
            if len({repr(expected) for _, expected in calls}) < 2:  # tests a constant answer would pass
                continue
            row = {"messages": [], "language": "python", "entry_point": name}
            if number % 2:
                tests = [f"assert {name}({', '.join(map(repr, args))}) == {expected!r}" for args, expected in calls]
                prompt = f"Write a Python function `{header[4:-1]}` that {problem['text']}. {CODE_STYLE}"
                row.update(reference_answer=solution, tests=tests)
            else:
                doc = f'    """{problem["text"][0].upper()}{problem["text"][1:]}."""\n'
                starter = f"{header}\n{doc}"
                body = "\n".join(
                    f"    assert candidate({', '.join(map(repr, args))}) == {expected!r}" for args, expected in calls
                )
                prompt = f"Complete this function:\n\n```python\n{starter}```\n\n{CODE_STYLE}"
                row.update(
                    reference_answer=problem["body"], starter_code=starter, tests=f"def check(candidate):\n{body}\n"
                )
            row["messages"] = [{"role": "user", "content": prompt}]
        if prompt in seen:
            continue
        seen.add(prompt)
        rows.append({"id": f"code-{number:04d}", **row, "graders": ["code"]})
    return rows


def tool_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(rows) < count:
        family = tool_problems.FAMILIES[len(rows) % len(tool_problems.FAMILIES)]
        request, calls = family(rng)
        if request in seen:
            continue
        seen.add(request)
        messages = [{"role": "system", "content": tool_problems.SYSTEM}, {"role": "user", "content": request}]
        rows.append(
            {
                "id": f"tools-{len(rows) + 1:04d}",
                "messages": messages,
                "tools": tool_problems.tools_for(rng, calls),
                "reference_answer": {"tool_calls": calls},
                "graders": ["tools"],
            }
        )
    return rows


def render(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def build() -> dict[str, bytes]:
    """File name -> exact bytes; each file has its own seeded generator."""
    return {
        MATH_FILE: render(math_rows(random.Random(f"{SEED}-math"), MATH_ROWS)),
        INSTRUCTION_FILE: render(instruction_rows(random.Random(f"{SEED}-if"), INSTRUCTION_ROWS)),
        CODE_FILE: render(code_rows(random.Random(f"{SEED}-code"), CODE_ROWS)),
        TOOL_FILE: render(tool_rows(random.Random(f"{SEED}-tools"), TOOL_ROWS)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, default=DATASETS_DIR, help="where to write (default: datasets/)")
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name, data in build().items():
        path = args.out_dir / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rows = data.count(b"\n")
        print(f"wrote {path} ({rows} rows)")
    if stale:
        print("out of date (run python -m scripts.sample_datasets.generate): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
