"""The sample datasets are the generator's output (scripts/sample_datasets), and their constraints are IFEval's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.ifeval_registry import IFEVAL_KWARGS

ROOT = Path(__file__).resolve().parents[2]
FILES = ("math_word_problems.jsonl", "instruction_following.jsonl")


def generate(out_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "scripts.sample_datasets.generate", "--out-dir", str(out_dir)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_the_generator_is_reproducible_and_matches_the_committed_files(tmp_path):
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    for name in FILES:
        first = (tmp_path / "a" / name).read_bytes()
        assert first == (tmp_path / "b" / name).read_bytes(), f"{name} differs between two runs"
        assert first == (ROOT / "datasets" / name).read_bytes(), (
            f"datasets/{name} is not the generator's output: run python -m scripts.sample_datasets.generate"
        )


def test_check_mode_reports_stale_files(tmp_path):
    generate(tmp_path)
    (tmp_path / FILES[0]).write_text("{}\n")
    checked = subprocess.run(
        [sys.executable, "-m", "scripts.sample_datasets.generate", "--out-dir", str(tmp_path), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 1 and FILES[0] in checked.stderr and FILES[1] not in checked.stderr


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (ROOT / "datasets" / name).read_text(encoding="utf-8").splitlines()]


def test_math_rows_ask_for_a_final_answer_and_carry_a_number():
    data = rows("math_word_problems.jsonl")
    assert len(data) >= 100
    for row in data:
        prompt = row["messages"][-1]["content"]
        assert "####" in prompt or "\\boxed" in prompt
        float(row["reference_answer"])  # a plain number
    assert len({row["messages"][-1]["content"] for row in data}) == len(data)


def test_instruction_rows_use_only_ifeval_ids_and_kwargs():
    data = rows("instruction_following.jsonl")
    assert len(data) >= 100
    used = set()
    for row in data:
        assert len(row["instruction_id_list"]) == len(row["kwargs"])
        for instruction, kwargs in zip(row["instruction_id_list"], row["kwargs"]):
            assert instruction in IFEVAL_KWARGS
            assert set(kwargs) == IFEVAL_KWARGS[instruction], (instruction, kwargs)
            used.add(instruction)
        assert isinstance(row["reference_answer"], str) and row["reference_answer"].strip()
    assert len(used) >= 15  # a broad mix of instruction types
