"""Throughput of the format grader, and its agreement with the IFEval reference.

Prints rows/s for a Bedrock-shaped row carrying 5 IFEval constraints and a ~250-word answer
(target: >= 5,000 rows/s on one core), the same in loose mode, without the cache of built
constraints (as if no two rows shared a spec) and for a row with heavier checks, then, if the public IFEval
data is present (``../shared/benchmarks/ifeval`` or
``$IFEVAL_DATA_DIR``), the per-instruction agreement with the reference verdicts.

    .venv/bin/python benchmarks/bench_format_grader.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections import Counter
from pathlib import Path

from graders.contract import Deadline, per_item, run_batch
from graders.format_rules import INSTRUCTIONS, FormatGrader
from graders.format_rules.arguments import RowContext
from graders.format_rules.variants import response_variants

REPO = Path(__file__).resolve().parents[1]

ANSWER = (
    "<<The Quiet Harbour>>\n\n"
    "The harbour wakes before the town does. *Fishing boats* slip out in the grey light and "
    "the gulls follow them past the breakwater. By seven the market stalls are open and the "
    "first crates of mackerel are on ice. Visitors arrive later, drawn by the **old lighthouse** "
    "and the narrow streets that climb the hill behind the quay.\n\n"
    "In summer the population doubles. Cafés put tables on the cobbles and the ferry runs every "
    "hour to the island, where a path circles the cliffs and seals rest on the rocks below. "
    "*Evenings are long* and the light stays soft until almost ten.\n\n"
    "Winter is different. Storms close the ferry for days at a time and the harbour wall takes "
    "the full weight of the sea. The people who stay know each other by name and the pub by the "
    "slipway becomes the heart of the place. Nobody minds the quiet; it is the reason they came.\n\n"
    "P.S. The lighthouse museum opens at ten on weekdays and the view from the lamp room is free."
)
FIVE_CONSTRAINTS = {
    "instruction_id_list": [
        "length_constraints:number_words",
        "punctuation:no_comma",
        "detectable_format:title",
        "detectable_format:number_highlighted_sections",
        "detectable_content:postscript",
    ],
    "kwargs": [
        {"num_words": 150, "relation": "at least"},
        {},
        {},
        {"num_highlights": 3},
        {"postscript_marker": "P.S."},
    ],
}
HEAVY_CONSTRAINTS = {
    "instruction_id_list": [
        "length_constraints:number_sentences",
        "change_case:capital_word_frequency",
        "keywords:frequency",
        "detectable_format:number_bullet_lists",
        "length_constraints:nth_paragraph_first_word",
    ],
    "kwargs": [
        {"num_sentences": 10, "relation": "at least"},
        {"capital_frequency": 3, "capital_relation": "less than"},
        {"keyword": "harbour", "frequency": 2, "relation": "at least"},
        {"num_bullets": 0},
        {"num_paragraphs": 5, "nth_paragraph": 2, "first_word": "the"},
    ],
}


def make_rows(constraints: dict, count: int) -> list[dict]:
    return [
        {
            "id": f"row-{i}",
            "messages": [
                {"role": "user", "content": "Describe a harbour town."},
                {"role": "assistant", "content": ANSWER},
            ],
            "metadata": dict(constraints),
        }
        for i in range(count)
    ]


def rows_per_second(grader: FormatGrader, constraints: dict, seconds: float, rounds: int = 3) -> float:
    """The best of a few rounds, as timeit does: on a shared machine the others only add noise."""
    rows = make_rows(constraints, 500)
    run_batch(rows[:10], per_item(grader), Deadline(), grader="format")  # warm caches and imports
    best = 0.0
    for _ in range(rounds):
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds / rounds:
            run_batch(rows, per_item(grader), Deadline(), grader="format")
            done += len(rows)
        best = max(best, done / (time.perf_counter() - start))
    return best


def ifeval_dir() -> Path | None:
    configured = os.environ.get("IFEVAL_DATA_DIR")
    folder = Path(configured) if configured else REPO.parent / "shared/benchmarks/ifeval"
    return folder if (folder / "ifeval_gpt4_responses.jsonl").is_file() else None


def agreement(folder: Path) -> None:
    verdicts: dict[str, Counter] = {"strict": Counter(), "loose": Counter()}
    total = 0
    for line in (folder / "ifeval_gpt4_responses.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for instruction in row["instructions"]:
            total += 1
            check = INSTRUCTIONS[instruction["instruction_id"]](
                instruction["kwargs"], RowContext(last_user_prompt=row["prompt"])
            )
            for mode in ("strict", "loose"):
                variants = response_variants(row["response"], loose=mode == "loose")
                got = any(text.strip() and check(text) for text in variants)
                verdicts[mode][got == instruction[f"expected_{mode}"]] += 1
    for mode, counts in verdicts.items():
        print(
            f"IFEval GPT-4 responses, {mode}: {counts[True]}/{total} instruction verdicts agree "
            f"({100.0 * counts[True] / total:.2f}%)"
        )
    right = cases = 0
    for line in (folder / "ifeval_unit_cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case.get("registry_id") in INSTRUCTIONS:
            cases += 1
            right += (
                INSTRUCTIONS[case["registry_id"]](case["kwargs"], RowContext())(case["response"]) == case["expected"]
            )
    print(f"IFEval reference unit cases (25 registered instructions): {right}/{cases} right")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    logging.getLogger("graders").setLevel(logging.WARNING)
    strict, loose = FormatGrader(), FormatGrader(loose=True)
    print(
        f"5 constraints, strict: {rows_per_second(strict, FIVE_CONSTRAINTS, args.seconds):,.0f} rows/s "
        "(target >= 5,000)"
    )
    print(f"5 constraints, loose:  {rows_per_second(loose, FIVE_CONSTRAINTS, args.seconds):,.0f} rows/s")
    uncached = FormatGrader(constraint_cache_size=0)
    print(
        f"5 constraints, strict, kwargs validated on every row (no cache): "
        f"{rows_per_second(uncached, FIVE_CONSTRAINTS, args.seconds):,.0f} rows/s"
    )
    print(
        f"5 heavier constraints (sentences, capitals, ...), strict: "
        f"{rows_per_second(strict, HEAVY_CONSTRAINTS, args.seconds):,.0f} rows/s"
    )
    folder = ifeval_dir()
    if folder is None:
        print("IFEval data not found (../shared/benchmarks/ifeval or $IFEVAL_DATA_DIR): agreement not measured")
    else:
        agreement(folder)


if __name__ == "__main__":
    main()
