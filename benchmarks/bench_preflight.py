"""What the preflight costs per grader: cases, Lambda invocations, judge calls and seconds, in-process.

The real preflight logic runs the real grader handlers through an in-process Lambda stand-in; the judge
(and the composite's judge part) talk to the local Bedrock runtime stand-in (300 ms latency, one fixed verdict: so
the judge does not separate here, which the preflight rightly reports), so no
AWS call is made. Model description calls (GetFoundationModel) are counted, not timed.

    .venv/bin/python benchmarks/bench_preflight.py
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the graders' per-batch INFO lines would hide the table

from preflight.checks import PreflightFailed, run_preflight
from rft.synthesis.preflight_batch import DEFAULT_SAMPLE_ROWS, build_preflight_batch
from stacks.constructs.grader_preflight import JUDGE_SAMPLE_ROWS
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour
from tests.support.lambda_inprocess import InProcessLambda

CASES = (
    ("math", "math_word_problems.jsonl"),
    ("format", "instruction_following.jsonl"),
    ("judge", "math_word_problems.jsonl"),
    ("composite", "instruction_following.jsonl"),
    ("code", "code_problems.jsonl"),
    ("tools", "tool_calls.jsonl"),
)


class _NoBedrock:
    """No model check in this benchmark: any call would be a bug."""


def main() -> None:
    none = str(Path(tempfile.mkdtemp()) / "none")
    with BedrockRuntimeStandin(Behaviour(latency_seconds=0.3)) as standin:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": standin.endpoint_url,
                "AWS_ACCESS_KEY_ID": "AKID",
                "AWS_SECRET_ACCESS_KEY": "x",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": none,
                "AWS_SHARED_CREDENTIALS_FILE": none,
                "AWS_EC2_METADATA_DISABLED": "true",
                "JUDGE_MODEL_ID": "us.amazon.nova-premier-v1:0",
            }
        )
        print(f"{'grader':<10} {'rows':>4} {'cases':>5} {'invokes':>7} {'judge calls':>11} {'seconds':>8}  result")
        for grader, dataset in CASES:
            rows = JUDGE_SAMPLE_ROWS if grader == "judge" else DEFAULT_SAMPLE_ROWS  # as the construct samples
            batch = build_preflight_batch(ROOT / "datasets" / dataset, grader, sample_rows=rows)
            module = importlib.reload(importlib.import_module(f"graders.{grader}_handler"))
            lam = InProcessLambda(module.handler)
            before = len(standin.calls)
            started = time.perf_counter()
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    outcome = run_preflight({"GraderFunction": grader}, batch, lambda_client=lam, bedrock=_NoBedrock())
                result = f"passed, AUC {outcome.data['Auc']}"
            except PreflightFailed as exc:
                result = f"failed: {str(exc)[:120]}"
            seconds = time.perf_counter() - started
            print(
                f"{grader:<10} {batch['rows']:>4} {len(batch['items']):>5} {len(lam.invocations):>7} "
                f"{len(standin.calls) - before:>11} {seconds:>8.2f}  {result}"
            )


if __name__ == "__main__":
    main()
