"""The preflight custom resource: Stubber-driven checks of the grader invocation, the contract, separation,
the judge and base models, and that an unchanged redeploy does not run again."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from preflight.checks import RFT_CUSTOMIZATION, PreflightFailed, Thresholds, auc, required_customization, run_preflight
from preflight.index import on_event

NOW = datetime(2026, 12, 1, tzinfo=UTC)
BATCH: dict[str, Any] = {
    "grader": "math",
    "items": [
        {"id": f"r{i}#{k}@{s}", "messages": [{"role": "user", "content": "q"}], "metadata": {}}
        for i in range(3)
        for k in ("reference", "wrong_answer")
        for s in ("metadata", "top_level")
    ],
    "kinds": [k for _ in range(3) for k in ("reference", "wrong_answer") for _s in (0, 1)],
    "shapes": [s for _ in range(3) for _k in (0, 1) for s in ("metadata", "top_level")],
}
PROPS = {
    "GraderFunction": "rft-dev-grader-math",
    "InputsFingerprint": "f1",
    "BatchHash": "b1",
    "BaseModelId": "amazon.nova-2-lite-v1:0",
}


def _clients():
    lam = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    bed = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return lam, bed


def _body(value) -> StreamingBody:
    raw = json.dumps(value).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def _results(score_of=lambda kind: 1.0 if kind == "reference" else 0.0, items=BATCH["items"]):
    return [
        {
            "id": it["id"],
            "aggregate_reward_score": score_of(it["id"].split("#")[1].split("@")[0]),
            "metrics_list": [{"name": "correct", "value": 1.0, "type": "Reward"}],
        }
        for it in items
    ]


def _model(status="ACTIVE", end=None, customizations=("FINE_TUNING",)):
    lifecycle = {"status": status}
    if end:
        lifecycle["endOfLifeTime"] = end
    return {
        "modelDetails": {
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/m",
            "modelId": "m",
            "modelLifecycle": lifecycle,
            "customizationsSupported": list(customizations),
        }
    }


def _run(answer, *, function_error=None, props=PROPS, models=(_model(),), invoke_error=None):
    lam, bed = _clients()
    with Stubber(lam) as ls, Stubber(bed) as bs:
        if invoke_error:
            ls.add_client_error("invoke", service_error_code=invoke_error, http_status_code=403)
        else:
            response = {"StatusCode": 200, "Payload": _body(answer)}
            if function_error:
                response["FunctionError"] = function_error
            ls.add_response(
                "invoke",
                response,
                {"FunctionName": props["GraderFunction"], "InvocationType": "RequestResponse", "Payload": ANY},
            )
        for model in models:
            bs.add_response("get_foundation_model", model, {"modelIdentifier": ANY})
        try:
            return run_preflight(props, BATCH, lambda_client=lam, bedrock=bed, now=NOW)
        finally:
            ls.assert_no_pending_responses()


def test_a_separating_grader_passes_with_scores_per_kind_and_auc():
    outcome = _run(_results())
    assert outcome.data["Auc"] == 1.0
    assert json.loads(outcome.data["ScoresByKind"]) == {"reference": 1.0, "wrong_answer": 0.0}
    assert json.loads(outcome.data["Calls"]) == {"bedrock:GetFoundationModel": 1, "lambda:Invoke": 1}


@pytest.mark.parametrize(
    "answer, function_error, expected",
    [
        (
            {"errorType": "Runtime.ImportModuleError", "errorMessage": "Unable to import module 'graders.x'"},
            "Unhandled",
            "Runtime.ImportModuleError: Unable to import module",
        ),
        (
            {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 60.00 seconds"},
            "Unhandled",
            "timed out",
        ),
    ],
)
def test_invocation_errors_fail_with_the_lambda_message(answer, function_error, expected):
    with pytest.raises(PreflightFailed, match=expected):
        _run(answer, function_error=function_error)


def test_missing_permission_fails_naming_the_error_code():
    with pytest.raises(PreflightFailed, match="AccessDeniedException"):
        _run(None, invoke_error="AccessDeniedException")


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda r: r[:-1], "11 results for 12 items"),
        (lambda r: [r[1], r[0], *r[2:]], "id out of order"),
        (lambda r: [{**r[0], "aggregate_reward_score": 1.5}, *r[1:]], "outside \\[0, 1\\]"),
        (lambda r: [{**r[0], "metrics_list": [{"name": "x", "value": 1}]}, *r[1:]], "exactly \\{name, value, type\\}"),
        (lambda r: {"results": r}, "a dict, not a list"),
    ],
)
def test_contract_breaches_fail(mutate, expected):
    with pytest.raises(PreflightFailed, match=expected):
        _run(mutate(_results()))


def test_a_grader_that_rewards_everything_fails_for_no_separation():
    with pytest.raises(PreflightFailed, match="no separation: AUC 0.50"):
        _run(_results(lambda kind: 1.0))


def test_references_scoring_low_fail_on_their_share():
    with pytest.raises(PreflightFailed, match="100% of reference answers score below 0.5"):
        _run(_results(lambda kind: 0.4 if kind == "reference" else 0.0))


def test_thresholds_come_from_the_properties():
    loose = {**PROPS, "MinAuc": "0.4", "MinGap": "0", "MaxLowReferenceShare": "1"}
    assert Thresholds.from_properties(loose) == Thresholds(min_auc=0.4, min_gap=0.0, max_low_reference_share=1.0)
    _run(_results(lambda kind: 1.0), props=loose)


def test_shapes_scored_differently_fail():
    def score(item):
        return 1.0 if "reference" in item["id"] and item["id"].endswith("@metadata") else 0.0

    answer = [{"id": it["id"], "aggregate_reward_score": score(it), "metrics_list": []} for it in BATCH["items"]]
    with pytest.raises(PreflightFailed, match="differently by payload shape"):
        _run(answer, props={**PROPS, "MaxLowReferenceShare": "1", "MinAuc": "0"})


@pytest.mark.parametrize(
    "model, expected",
    [
        (_model(status="LEGACY"), "is LEGACY, not ACTIVE"),
        (_model(end=NOW - timedelta(days=1)), "reached its end of life"),
    ],
)
def test_the_judge_model_must_be_active_and_alive(model, expected):
    props = {**PROPS, "JudgeModelId": "anthropic.claude-x"}
    with pytest.raises(PreflightFailed, match=expected):
        _run(_results(), props=props, models=(model, _model()))


def test_an_inference_profile_judge_is_read_as_a_profile():
    lam, bed = _clients()
    props = {**PROPS, "JudgeModelId": "us.anthropic.claude-x", "BaseModelId": ""}
    with Stubber(lam) as ls, Stubber(bed) as bs:
        ls.add_response("invoke", {"StatusCode": 200, "Payload": _body(_results())})
        bs.add_response(
            "get_inference_profile",
            {
                "inferenceProfileName": "p",
                "inferenceProfileArn": "arn:aws:bedrock:us-east-1:1:inference-profile/p",
                "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/m"}],
                "inferenceProfileId": "p",
                "status": "ACTIVE",
                "type": "SYSTEM_DEFINED",
            },
            {"inferenceProfileIdentifier": "us.anthropic.claude-x"},
        )
        outcome = run_preflight(props, BATCH, lambda_client=lam, bedrock=bed, now=NOW)
    assert "bedrock:GetInferenceProfile" in outcome.data["Calls"]


def test_the_installed_botocore_has_no_reinforcement_value_in_customizations_supported():
    # What the check is built on: if this fails, botocore learned the value and the check requires it.
    _, bed = _clients()
    assert "REINFORCEMENT_FINE_TUNING" not in bed.meta.service_model.shape_for("ModelCustomization").enum
    assert required_customization(bed) == "FINE_TUNING"


@pytest.mark.parametrize(
    "customizations",
    [("FINE_TUNING",), ("FINE_TUNING", "DISTILLATION"), ("REINFORCEMENT_FINE_TUNING",)],
)
def test_a_base_model_listing_fine_tuning_or_rft_passes(customizations):
    outcome = _run(_results(), models=(_model(customizations=customizations),))
    assert "bedrock:GetFoundationModel" in outcome.data["Calls"]
    noted = [n for n in outcome.notes if "has no REINFORCEMENT_FINE_TUNING value to check for" in n]
    assert len(noted) == (0 if "REINFORCEMENT_FINE_TUNING" in customizations else 1)


@pytest.mark.parametrize(
    "customizations,listed",
    [((), "nothing"), (("DISTILLATION",), "DISTILLATION"), (("CONTINUED_PRE_TRAINING",), "CONTINUED_PRE_TRAINING")],
)
def test_a_base_model_without_fine_tuning_fails_and_says_why(customizations, listed):
    with pytest.raises(PreflightFailed) as failure:
        _run(_results(), models=(_model(customizations=customizations),))
    message = str(failure.value)
    assert f"customizationsSupported lists {listed}, not FINE_TUNING" in message
    assert "has no REINFORCEMENT_FINE_TUNING value" in message


def test_rft_is_required_where_the_clients_enum_has_it(monkeypatch):
    _, bed = _clients()
    shape = bed.meta.service_model.shape_for("ModelCustomization")
    monkeypatch.setattr(
        type(bed.meta.service_model), "shape_for", lambda self, name: _EnumShape([*shape.enum, RFT_CUSTOMIZATION])
    )
    assert required_customization(bed) == RFT_CUSTOMIZATION
    with pytest.raises(PreflightFailed, match="lists FINE_TUNING, not REINFORCEMENT_FINE_TUNING. Choose"):
        _run(_results(), models=(_model(customizations=("FINE_TUNING",)),))
    _run(_results(), models=(_model(customizations=(RFT_CUSTOMIZATION,)),))


class _EnumShape:
    def __init__(self, enum):
        self.enum = enum


def test_invocation_logging_off_fails_with_the_command_to_fix_it():
    lam, bed = _clients()
    props = {**PROPS, "BaseModelId": "", "CheckInvocationLogging": "true"}
    with Stubber(lam) as ls, Stubber(bed) as bs:
        ls.add_response("invoke", {"StatusCode": 200, "Payload": _body(_results())})
        bs.add_response("get_model_invocation_logging_configuration", {})
        with pytest.raises(PreflightFailed, match="aws bedrock put-model-invocation-logging-configuration"):
            run_preflight(props, BATCH, lambda_client=lam, bedrock=bed, now=NOW)


def test_auc_counts_ties_half():
    assert auc([1.0], [1.0]) == 0.5 and auc([1.0, 0.0], [0.5]) == 0.5


# -- the custom resource ---------------------------------------------------------------------------
def test_create_returns_the_result_as_resource_data():
    lam, bed = _clients()
    with Stubber(lam) as ls, Stubber(bed) as bs:
        ls.add_response("invoke", {"StatusCode": 200, "Payload": _body(_results())})
        bs.add_response("get_foundation_model", _model())
        answer = on_event(
            {"RequestType": "Create", "ResourceProperties": PROPS}, lambda_client=lam, bedrock=bed, batch=BATCH
        )
    assert answer["Data"]["Result"] == "passed" and answer["Data"]["Auc"] == 1.0
    assert answer["PhysicalResourceId"].startswith("preflight-b1|passed: AUC 1.0")


def test_an_unchanged_redeploy_does_not_run_again():
    lam, bed = _clients()
    with Stubber(lam), Stubber(bed):  # any call would fail: nothing is queued
        answer = on_event(
            {
                "RequestType": "Update",
                "PhysicalResourceId": "preflight-b1|passed: AUC 1.0",
                "ResourceProperties": PROPS,
                "OldResourceProperties": dict(PROPS),
            },
            lambda_client=lam,
            bedrock=bed,
            batch=BATCH,
        )
    assert answer["Data"] == {"Result": "unchanged since the last preflight", "Summary": "passed: AUC 1.0"}


def test_a_changed_fingerprint_runs_again():
    lam, bed = _clients()
    with Stubber(lam) as ls, Stubber(bed) as bs:
        ls.add_response("invoke", {"StatusCode": 200, "Payload": _body(_results())})
        bs.add_response("get_foundation_model", _model())
        answer = on_event(
            {
                "RequestType": "Update",
                "PhysicalResourceId": "preflight-b1",
                "ResourceProperties": {**PROPS, "InputsFingerprint": "f2"},
                "OldResourceProperties": PROPS,
            },
            lambda_client=lam,
            bedrock=bed,
            batch=BATCH,
        )
        ls.assert_no_pending_responses()
    assert answer["Data"]["Result"] == "passed"


def test_delete_calls_nothing():
    assert on_event({"RequestType": "Delete", "PhysicalResourceId": "preflight-b1", "ResourceProperties": PROPS}) == {
        "PhysicalResourceId": "preflight-b1"
    }
