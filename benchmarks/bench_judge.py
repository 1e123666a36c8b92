"""Judge throughput against the local Bedrock runtime stand-in (no AWS call is made).

Scenario 1: a batch of 64 with 300 ms judge latency; target <= 1.5 s at the benchmark's concurrency.
Scenario 2: the same batch with 30 % of calls throttled (HTTP 429): every item must still be judged.

    .venv/bin/python benchmarks/bench_judge.py [--concurrency 32] [--items 64] [--latency 0.3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda")]

from graders.contract import Deadline
from graders.judge.client import make_runtime_client
from graders.judge.grader import JudgeGrader
from graders.judge.settings import JudgeSettings
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour, standin_session

TARGET_SECONDS = 1.5
LAMBDA_BUDGET_SECONDS = 60.0  # a grader timeout well inside the 60-300 s the contract recommends


def batch(count: int) -> list[dict]:
    return [
        {
            "id": f"q{i}",
            "messages": [
                {"role": "user", "content": f"Question {i}: what is {i} + {i}?"},
                {"role": "assistant", "content": f"{i} + {i} = {2 * i}"},
            ],
            "metadata": {"reference_answer": str(2 * i)},
        }
        for i in range(count)
    ]


def run(standin: BedrockRuntimeStandin, behaviour: Behaviour, *, concurrency: int, count: int) -> dict:
    standin.reset(behaviour)
    settings = JudgeSettings(max_concurrency=concurrency, max_attempts=10)
    client = make_runtime_client(settings, endpoint_url=standin.endpoint_url, session=standin_session())
    grader = JudgeGrader(client=client, settings=settings)
    started = time.perf_counter()
    results = grader.grade_batch(batch(count), Deadline(budget_seconds=LAMBDA_BUDGET_SECONDS))
    elapsed = time.perf_counter() - started
    metrics = [{m["name"]: m["value"] for m in r.get("metrics_list", [])} for r in results]
    return {
        "seconds": elapsed,
        "results": len(results),
        "judged": sum(1 for m in metrics if "raw_score" in m),
        "throttles_served": standin.stats.throttles_served,
        "requests": standin.stats.requests,
        "retries": int(sum(m.get("calls", 0) for m in metrics)) - count,
        "throttled_seen": int(sum(m.get("throttled", 0) for m in metrics)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=32, help="JUDGE_MAX_CONCURRENCY for the run")
    parser.add_argument("--throttle-rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ok = True
    with BedrockRuntimeStandin() as standin:
        print(f"stand-in at {standin.endpoint_url}; {args.items} items, judge latency {args.latency * 1000:.0f} ms")
        for concurrency in sorted({8, args.concurrency}):
            out = run(
                standin,
                Behaviour(latency_seconds=args.latency, seed=args.seed),
                concurrency=concurrency,
                count=args.items,
            )
            graded = concurrency == args.concurrency
            verdict = ("PASS" if out["seconds"] <= TARGET_SECONDS else "FAIL") if graded else "info"
            ok &= verdict != "FAIL"
            print(
                f"[latency]    concurrency {concurrency:>3}: {out['seconds']:.3f} s for {out['results']} items, "
                f"{out['judged']} judged, {out['requests']} requests  (target <= {TARGET_SECONDS} s: {verdict})"
            )

        out = run(
            standin,
            Behaviour(latency_seconds=args.latency, throttle_rate=args.throttle_rate, seed=args.seed),
            concurrency=args.concurrency,
            count=args.items,
        )
        verdict = "PASS" if out["judged"] == args.items else "FAIL"
        ok &= verdict == "PASS"
        print(
            f"[throttling] concurrency {args.concurrency:>3}, {args.throttle_rate:.0%} throttled: "
            f"{out['seconds']:.3f} s; "
            f"items judged {out['judged']}/{args.items}, 429s served {out['throttles_served']}, "
            f"retries {out['retries']} (throttles seen by the judge {out['throttled_seen']}), "
            f"requests {out['requests']}  (every item judged: {verdict})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
