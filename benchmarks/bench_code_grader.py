"""Prints the code grader's throughput on 64 small correct programs, and how long its worst hostile batch takes.

The correct programs are the reference solutions of the sample dataset (function and stdin/stdout problems,
3-4 tests each, every test in fresh processes). Each hostile batch holds HOSTILE_ITEMS copies of one kind of
abusive program, graded with the default limits (CODE_* unset), so it shows what a batch costs at worst.
    python benchmarks/bench_code_grader.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support (the handler with its own settings) is not an installed package
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from graders.code_exec import rows as code_rows
from graders.code_exec.grader import vcpus
from tests.support.grader_handlers import code_handler_for as handler_for

CORRECT_ITEMS = 64
HOSTILE_ITEMS = 4
TEST = ["assert add(1, 2) == 3"]
HOSTILE = {
    "fork bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "memory bomb": "def add(a, b):\n    blocks = []\n    while True:\n        blocks.append(bytearray(50_000_000))\n",
    "endless output": "def add(a, b):\n    while True:\n        print('x' * 4096)\n",
    "sleep forever": "import time\ndef add(a, b):\n    time.sleep(10_000)\n",
    "cpu spin": "def add(a, b):\n    while True:\n        pass\n",
    "daemon": "import os, time\ndef add(a, b):\n    if os.fork() == 0:\n        os.setsid()\n"
    "        time.sleep(10_000)\n"
    "    return a + b\n",
}


def item(row: dict, response: str | None) -> dict:
    return {
        "id": row["id"],
        "messages": row["messages"] + [{"role": "assistant", "content": response}],
        "metadata": {k: v for k, v in row.items() if k not in ("id", "messages")},
    }


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-code-"))
    handler = handler_for({"CODE_SCRATCH_DIR": str(base / "scratch")})
    plain = handler_for({"CODE_SCRATCH_DIR": str(base / "scratch"), "CODE_NAMESPACES": "false"})
    rows = [json.loads(line) for line in (ROOT / "datasets" / "code_problems.jsonl").read_text().splitlines()]
    batch = [item(r, code_rows.reference_response(r)) for r in rows[:CORRECT_ITEMS]]
    tests = sum(
        len(r.get("tests") if isinstance(r.get("tests"), list) else r.get("test_cases") or [1])
        for r in rows[:CORRECT_ITEMS]
    )
    out = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (the handler's EMF lines, for the whole run)
    try:
        handler(batch[:2], None)  # warm-up
        plain(batch[:2], None)
        started = time.perf_counter()
        results = handler(batch, None)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        plain(batch, None)
        elapsed_plain = time.perf_counter() - started
        hostile_times = {}
        for name, program in HOSTILE.items():
            hostile = [
                {
                    "id": f"h{i}",
                    "messages": [
                        {"role": "user", "content": "add"},
                        {"role": "assistant", "content": f"```python\n{program}```"},
                    ],
                    "metadata": {"tests": TEST * 2},
                }
                for i in range(HOSTILE_ITEMS)
            ]
            started = time.perf_counter()
            hostile_results = handler(hostile, None)
            hostile_times[name] = time.perf_counter() - started
            if name != "daemon":  # the daemon's program does return the right sum; what matters is its cleanup
                assert all(r["aggregate_reward_score"] == 0.0 for r in hostile_results), name
    finally:
        sys.stdout.close()
        sys.stdout = out
        shutil.rmtree(base, ignore_errors=True)
    passed = sum(r["aggregate_reward_score"] == 1.0 for r in results)
    print(
        f"code grader, {vcpus()} vCPU(s): {CORRECT_ITEMS} correct programs ({tests} tests) in {elapsed:.2f} s = "
        f"{CORRECT_ITEMS / elapsed:.1f} programs/s, {tests / elapsed:.1f} tests/s "
        f"({passed}/{CORRECT_ITEMS} scored 1.0)"
    )
    print(
        f"  same batch without namespaces (CODE_NAMESPACES=false): {elapsed_plain:.2f} s = "
        f"{CORRECT_ITEMS / elapsed_plain:.1f} programs/s"
    )
    for name, seconds in hostile_times.items():
        print(f"  hostile batch of {HOSTILE_ITEMS} x {name} (2 tests each, default limits): {seconds:.2f} s")
    worst = max(hostile_times, key=lambda name: hostile_times[name])
    print(f"worst hostile batch: {worst}, {hostile_times[worst]:.2f} s")


if __name__ == "__main__":
    main()
