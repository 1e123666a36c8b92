"""Fuzz every grader handler with hostile batches and count what must never happen.

At least 100,000 hostile items per grader (``tests/support/hostile_items.py``: arbitrary JSON in every
field, both payload shapes, unicode, huge and deep values, wrong types, odd ids and constraint ids) in
batches of 1 to 256, through the real handler machinery (Powertools metrics included). The judge, also
inside the composite, talks to an in-process fake client (no network); the code grader runs whatever program
an item carries in its real sandbox. Prints, per grader: raised
batches (must be 0), id mismatches (0), malformed results (0), and the slowest batch and item.

    .venv/bin/python benchmarks/fuzz_graders.py [ITEMS_PER_GRADER] [GRADER ...]
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import random
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda")]

from tests.support.hostile_items import handlers, random_item, result_problems

ITEMS_PER_GRADER = 100_000
MAX_BATCH = 256


def fuzz(name: str, handler, items: int, seed: int) -> dict:
    rng = random.Random(seed)
    done = raised = mismatched = malformed = batches = 0
    slowest_batch = (0.0, 0)
    slowest_item = 0.0
    started = time.perf_counter()
    while done < items:
        size = min(items - done, rng.choice([1, 1, 2, 8, rng.randint(1, MAX_BATCH), MAX_BATCH]))
        batch = [random_item(rng) for _ in range(size)]
        began = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the EMF documents
                results = handler(batch, None)
        except Exception as exc:
            raised += 1
            print(f"  {name}: batch of {size} raised {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
            results = None
        elapsed = time.perf_counter() - began
        if results is not None:
            bad_ids, bad_results = result_problems(batch, results)
            mismatched += bad_ids
            malformed += bad_results
        if elapsed > slowest_batch[0]:
            slowest_batch = (elapsed, size)
        if size == 1:
            slowest_item = max(slowest_item, elapsed)
        done += size
        batches += 1
    return {
        "grader": name,
        "items": done,
        "batches": batches,
        "raised": raised,
        "mismatched": mismatched,
        "malformed": malformed,
        "slowest_batch": slowest_batch,
        "slowest_item": slowest_item,
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str]) -> int:
    items = int(argv[0]) if argv and argv[0].isdigit() else int(os.environ.get("FUZZ_ITEMS", ITEMS_PER_GRADER))
    warnings.filterwarnings("ignore", message="No application metrics")
    logging.disable(logging.CRITICAL)  # item reasons are logged at INFO; keep the output to the figures
    all_handlers = handlers()
    wanted = [a for a in argv if not a.isdigit()] or list(all_handlers)
    failed = False
    print(f"fuzz: {items} hostile items per grader, batches of 1-{MAX_BATCH}")
    for index, name in enumerate(wanted):
        figures = fuzz(name, all_handlers[name], items, seed=1000 + index)
        batch_seconds, batch_size = figures["slowest_batch"]
        print(
            f"{name:>9}: {figures['items']} items in {figures['batches']} batches, {figures['seconds']:.1f} s; "
            f"raised batches {figures['raised']}, id mismatches {figures['mismatched']}, "
            f"malformed results {figures['malformed']}; "
            f"slowest item (batch of 1) {figures['slowest_item'] * 1000:.0f} ms, "
            f"slowest batch {batch_seconds:.2f} s ({batch_size} items)",
            flush=True,
        )
        failed |= bool(figures["raised"] or figures["mismatched"] or figures["malformed"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
