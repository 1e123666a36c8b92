"""The real preflight logic against the real grader handlers, in-process: the batch built at synth from the
shipped datasets, invoked through a Lambda stand-in that imports the handler as Lambda does."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from preflight.checks import PreflightFailed, run_preflight
from rft.synthesis.preflight_batch import build_preflight_batch
from tests.support.lambda_inprocess import InProcessLambda

ROOT = Path(__file__).resolve().parents[2]
PROPS = {"GraderFunction": "rft-dev-grader", "InputsFingerprint": "f", "BatchHash": "b"}


def _bedrock():
    return boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _preflight(batch, handler):
    lam = InProcessLambda(handler)
    with Stubber(_bedrock()) as stub:  # no model check configured: any Bedrock call would fail here
        return run_preflight(PROPS, batch, lambda_client=lam, bedrock=stub.client), lam


@pytest.mark.parametrize(
    "grader, dataset", [("math", "math_word_problems.jsonl"), ("format", "instruction_following.jsonl")]
)
def test_the_real_grader_passes(grader, dataset):
    batch = build_preflight_batch(ROOT / "datasets" / dataset, grader)
    assert batch["rows"] == 32 and set(batch["shapes"]) == {"metadata", "top_level"}
    outcome, lam = _preflight(batch, f"graders.{grader}_handler.handler")
    assert outcome.data["Auc"] >= 0.8
    assert sum(lam.invocations) == len(batch["items"])


def test_a_grader_that_always_rewards_fails():
    batch = build_preflight_batch(ROOT / "datasets" / "math_word_problems.jsonl", "math")

    def always_one(event, context):
        return [{"id": item["id"], "aggregate_reward_score": 1.0, "metrics_list": []} for item in event]

    with pytest.raises(PreflightFailed, match="no separation: AUC 0.50"):
        _preflight(batch, always_one)


def test_a_grader_that_cannot_import_fails_with_its_message():
    batch = build_preflight_batch(ROOT / "datasets" / "math_word_problems.jsonl", "math")
    with pytest.raises(
        PreflightFailed, match="Runtime.ImportModuleError: Unable to import module 'graders.math_handlr.handler'"
    ):
        _preflight(batch, "graders.math_handlr.handler")


def test_a_grader_reading_fields_only_under_metadata_fails_on_the_top_level_shape():
    from graders.math_handler import handler as real

    def metadata_only(event, context):
        return real([{k: v for k, v in item.items() if k != "reference_answer"} for item in event], None)

    batch = build_preflight_batch(ROOT / "datasets" / "math_word_problems.jsonl", "math")
    with pytest.raises(PreflightFailed, match="reference answers score below 0.5|differently by payload shape"):
        _preflight(batch, metadata_only)


def test_the_code_preflight_bounds_its_never_ending_programs_and_keeps_every_other_case():
    from rft.synthesis.preflight_batch import BOUNDED_CASES

    batch = build_preflight_batch(ROOT / "datasets" / "code_problems.jsonl", "code")
    kinds = batch["kinds"]
    assert batch["rows"] == 32
    assert kinds.count("never_ends") == BOUNDED_CASES["never_ends"] * 2  # both payload shapes
    for kind in ("reference", "fails_one_test", "does_not_compile"):
        assert kinds.count(kind) == 64, kind
