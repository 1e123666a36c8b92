"""Prints how long the RFT dataset validator takes on 20,000 rows (Bedrock's maximum).

Builds two temporary files from the sample datasets (each row made unique) and reports the best of three runs.
    python benchmarks/bench_dataset_validation.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from rft.checks.dataset_validation import validate_dataset

ROOT = Path(__file__).resolve().parents[1]

ROWS = 20_000
RUNS = 3


def build(source: Path, target: Path) -> None:
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    with target.open("w", encoding="utf-8") as out:
        for index in range(ROWS):
            row = dict(rows[index % len(rows)])
            row["id"] = f"row-{index}"
            prompt = row["messages"][-1]["content"] + f" (variant {index})"
            row["messages"] = row["messages"][:-1] + [{"role": "user", "content": prompt}]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, grader in (("math_word_problems.jsonl", "math"), ("instruction_following.jsonl", "format")):
            target = Path(folder) / name
            build(ROOT / "datasets" / name, target)
            timings = []
            for _ in range(RUNS):
                start = time.perf_counter()
                report = validate_dataset(target, grader=grader, max_prompt_length=1024)
                timings.append(time.perf_counter() - start)
            assert report.ok and report.rows == ROWS, report.messages()[:3]
            size_mb = target.stat().st_size / 1e6
            print(
                f"validate {ROWS} rows, {grader} grader ({size_mb:.1f} MB): best {min(timings) * 1000:.0f} ms, "
                f"{ROWS / min(timings):,.0f} rows/s"
            )


if __name__ == "__main__":
    main()
