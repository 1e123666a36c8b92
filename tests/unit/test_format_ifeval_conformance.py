"""Agreement with the IFEval reference implementation on its public data.

Reads (never copies) ``../shared/benchmarks/ifeval/`` next to the repository, or the folder in
``$IFEVAL_DATA_DIR``: the reference's unit-test cases, and the published GPT-4 responses with
the reference checkers' strict and loose verdicts. Skips when the data is not there.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from graders.format_rules import INSTRUCTIONS
from graders.format_rules.arguments import RowContext
from graders.format_rules.variants import response_variants

REQUIRED_AGREEMENT = 0.99


def data_dir() -> Path:
    configured = os.environ.get("IFEVAL_DATA_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared/benchmarks/ifeval"


def read_jsonl(name: str) -> list[dict]:
    path = data_dir() / name
    if not path.is_file():
        pytest.skip(f"IFEval conformance data not found at {path} (set IFEVAL_DATA_DIR to its folder)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdict(instruction: dict, row: dict, *, loose: bool) -> bool:
    check = INSTRUCTIONS[instruction["instruction_id"]](
        instruction["kwargs"], RowContext(last_user_prompt=row["prompt"])
    )
    return any(text.strip() and check(text) for text in response_variants(row["response"], loose=loose))


def agreement(loose: bool) -> tuple[Counter[str], Counter[str], list[str]]:
    agreed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    disagreements: list[str] = []
    mode = "loose" if loose else "strict"
    for row in read_jsonl("ifeval_gpt4_responses.jsonl"):
        for instruction in row["instructions"]:
            instruction_id = instruction["instruction_id"]
            same = verdict(instruction, row, loose=loose) == instruction[f"expected_{mode}"]
            total[instruction_id] += 1
            agreed[instruction_id] += same
            if not same:
                disagreements.append(f"{row['id']} {instruction_id} {instruction['kwargs']}")
    return agreed, total, disagreements


def report(mode: str, agreed: Counter, total: Counter) -> str:
    lines = [f"{mode}: {sum(agreed.values())}/{sum(total.values())} instruction verdicts agree"]
    lines += [
        f"  {instruction_id}: {agreed[instruction_id]}/{count}" for instruction_id, count in sorted(total.items())
    ]
    return "\n".join(lines)


def test_every_registered_instruction_appears_in_the_gpt4_data():
    seen = {i["instruction_id"] for row in read_jsonl("ifeval_gpt4_responses.jsonl") for i in row["instructions"]}
    assert seen == set(INSTRUCTIONS)


def below_required(agreed: Counter, total: Counter) -> dict[str, str]:
    """Instruction ids whose agreement is under the requirement, with their rate."""
    rates = {instruction_id: agreed[instruction_id] / count for instruction_id, count in total.items()}
    return {
        instruction_id: f"{agreed[instruction_id]}/{total[instruction_id]} = {rate:.1%}"
        for instruction_id, rate in sorted(rates.items())
        if rate < REQUIRED_AGREEMENT
    }


def test_strict_verdicts_agree_with_the_reference():
    agreed, total, disagreements = agreement(loose=False)
    print(report("strict", agreed, total))
    assert sum(agreed.values()) / sum(total.values()) >= REQUIRED_AGREEMENT, disagreements


def test_strict_verdicts_agree_with_the_reference_for_each_instruction():
    agreed, total, disagreements = agreement(loose=False)
    assert set(total) == set(INSTRUCTIONS)  # every instruction has verdicts to compare
    failing = below_required(agreed, total)
    assert not failing, (
        f"strict agreement under {REQUIRED_AGREEMENT:.0%} for {len(failing)} instruction(s): "
        f"{failing}; disagreements: {disagreements}"
    )


def test_loose_verdicts_agree_with_the_reference():
    agreed, total, disagreements = agreement(loose=True)
    print(report("loose", agreed, total))
    assert sum(agreed.values()) / sum(total.values()) >= REQUIRED_AGREEMENT, disagreements


def test_every_unit_case_of_the_registered_instructions_is_right():
    cases = [case for case in read_jsonl("ifeval_unit_cases.jsonl") if case.get("registry_id") in INSTRUCTIONS]
    wrong = [
        case["id"]
        for case in cases
        if INSTRUCTIONS[case["registry_id"]](case["kwargs"], RowContext())(case["response"]) != case["expected"]
    ]
    print(f"unit cases right: {len(cases) - len(wrong)}/{len(cases)}")
    assert len({case["registry_id"] for case in cases}) == 24  # json_format has no unit case upstream
    assert not wrong
