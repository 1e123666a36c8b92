"""Preflight of an RFT job: the deployed grader, the judge model and the base model, checked in the account.

Plain logic with injected boto3 clients (``lambda``, ``bedrock``) so it runs against ``Stubber`` or an
in-process grader. Every check that fails adds one sentence to :class:`PreflightFailed`; the custom
resource fails the deployment with them, before the job resource is created.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_errors import error_code

REFERENCE = "reference"
METRIC_KEYS = {"name", "value", "type"}
RFT_CUSTOMIZATION = "REINFORCEMENT_FINE_TUNING"
PROFILE_PREFIXES = ("us", "eu", "apac", "global", "jp", "au")  # cross-region inference profile ids


class PreflightFailed(Exception):
    """The preflight found problems; the message lists each in one line."""


@dataclass(frozen=True)
class Thresholds:
    """The same gates as ``rft rehearse`` plus the share of references allowed under 0.5."""

    min_auc: float = 0.8
    min_gap: float = 0.3
    max_low_reference_share: float = 0.2

    @classmethod
    def from_properties(cls, props: Mapping[str, Any]) -> Thresholds:
        return cls(
            min_auc=float(props.get("MinAuc", cls.min_auc)),
            min_gap=float(props.get("MinGap", cls.min_gap)),
            max_low_reference_share=float(props.get("MaxLowReferenceShare", cls.max_low_reference_share)),
        )


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def count(self, api: str) -> None:
        self.calls[api] = self.calls.get(api, 0) + 1


# -- the grader ------------------------------------------------------------------------------------
def invoke_grader(lambda_client: Any, function_name: str, items: Sequence[Mapping[str, Any]], outcome: Outcome) -> Any:
    """One synchronous invocation: the grader's decoded JSON answer (any shape: ``contract_problems`` checks it), or
    ``None`` (and a problem) when it errs or answers with something else."""
    outcome.count("lambda:Invoke")
    try:
        response = lambda_client.invoke(
            FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(list(items)).encode()
        )
    except Exception as exc:  # AccessDenied, ResourceNotFound, throttling, read timeout
        code = error_code(exc, default_code=type(exc).__name__)
        outcome.problems.append(f"invoking the grader {function_name} failed: {code}: {exc}")
        return None
    payload = response["Payload"].read() if hasattr(response.get("Payload"), "read") else response.get("Payload")
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        outcome.problems.append(f"the grader {function_name} answered with something that is not JSON")
        return None
    if response.get("FunctionError"):
        message = answer.get("errorMessage") if isinstance(answer, dict) else answer
        kind = answer.get("errorType") if isinstance(answer, dict) else response["FunctionError"]
        outcome.problems.append(f"the grader {function_name} failed ({response['FunctionError']}): {kind}: {message}")
        return None
    return answer


def contract_problems(items: Sequence[Mapping[str, Any]], answer: Any) -> list[str]:
    """Count, order, ids, score range and ``metrics_list`` shape; at most one sentence per kind of breach."""
    if not isinstance(answer, list):
        return [f"the grader returned a {type(answer).__name__}, not a list of results"]
    if len(answer) != len(items):
        return [f"the grader returned {len(answer)} results for {len(items)} items"]
    breaches: dict[str, list[str]] = {}
    for index, (item, res) in enumerate(zip(items, answer)):
        if not isinstance(res, dict):
            breaches.setdefault("result is not an object", []).append(str(index))
            continue
        if res.get("id") != item.get("id"):
            breaches.setdefault("id out of order or not echoed", []).append(f"{item.get('id')}->{res.get('id')}")
        score = res.get("aggregate_reward_score")
        if (
            isinstance(score, bool)
            or not isinstance(score, (int, float))
            or not math.isfinite(score)
            or not 0.0 <= score <= 1.0
        ):
            breaches.setdefault("aggregate_reward_score missing or outside [0, 1]", []).append(str(item.get("id")))
        metrics = res.get("metrics_list", [])
        if not isinstance(metrics, list) or any(not isinstance(m, dict) or set(m) != METRIC_KEYS for m in metrics):
            breaches.setdefault("metrics_list entries are not exactly {name, value, type}", []).append(
                str(item.get("id"))
            )
    return [
        f"contract breach: {what} on {len(where)} item(s), e.g. {', '.join(where[:3])}"
        for what, where in breaches.items()
    ]


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """P(a random positive outscores a random negative), ties counting half."""
    if not positives or not negatives:
        return 0.0
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def separation(
    kinds: Sequence[str], shapes: Sequence[str], scores: Sequence[float], thresholds: Thresholds, outcome: Outcome
) -> None:
    by_kind: dict[str, list[float]] = {}
    for kind, score in zip(kinds, scores):
        by_kind.setdefault(kind, []).append(score)
    positives = by_kind.get(REFERENCE, [])
    negatives = [s for kind, values in by_kind.items() if kind != REFERENCE for s in values]
    means = {kind: sum(v) / len(v) for kind, v in by_kind.items()}
    value = auc(positives, negatives)
    outcome.data.update(
        {
            "Auc": round(value, 4),
            "Cases": len(scores),
            "ScoresByKind": json.dumps({k: round(m, 4) for k, m in means.items()}, sort_keys=True),
        }
    )
    if not positives or not negatives:
        outcome.problems.append("the rehearsal batch has no reference or no corrupted case: nothing to compare")
        return
    low = sum(1 for s in positives if s < 0.5) / len(positives)
    if low > thresholds.max_low_reference_share:
        outcome.problems.append(
            f"{low:.0%} of reference answers score below 0.5 (allowed "
            f"{thresholds.max_low_reference_share:.0%}): the grader rejects right answers"
        )
    if value < thresholds.min_auc:
        outcome.problems.append(
            f"no separation: AUC {value:.2f} < {thresholds.min_auc} (references "
            f"{means[REFERENCE]:.2f}, corrupted {sum(negatives) / len(negatives):.2f})"
        )
    for kind, mean in means.items():
        if kind != REFERENCE and means[REFERENCE] - mean < thresholds.min_gap:
            outcome.problems.append(
                f"'{kind}' answers score {mean:.2f} on average, within {thresholds.min_gap} "
                f"of the references' {means[REFERENCE]:.2f}"
            )
    by_shape: dict[str, list[float]] = {}
    for shape, kind, score in zip(shapes, kinds, scores):
        if kind == REFERENCE:
            by_shape.setdefault(shape, []).append(score)
    shape_means = {s: sum(v) / len(v) for s, v in by_shape.items()}
    if len(shape_means) > 1 and max(shape_means.values()) - min(shape_means.values()) > thresholds.min_gap:
        outcome.problems.append(
            "references score differently by payload shape: "
            + ", ".join(f"{s} {m:.2f}" for s, m in sorted(shape_means.items()))
            + " (the grader must read fields under metadata and at the top level)"
        )


# -- models ----------------------------------------------------------------------------------------
def _past(when: Any, now: datetime) -> bool:
    return isinstance(when, datetime) and when.astimezone(UTC) <= now


def is_inference_profile(model_id: str) -> bool:
    return ":inference-profile/" in model_id or model_id.split(".", 1)[0] in PROFILE_PREFIXES


def check_judge_model(bedrock: Any, model_id: str, outcome: Outcome, now: datetime) -> None:
    """The judge's model (or inference profile) must be active and not past its end of life."""
    try:
        if is_inference_profile(model_id):
            outcome.count("bedrock:GetInferenceProfile")
            profile = bedrock.get_inference_profile(inferenceProfileIdentifier=model_id)
            if profile.get("status") != "ACTIVE":
                outcome.problems.append(
                    f"the judge's inference profile {model_id} is {profile.get('status')}, not ACTIVE"
                )
            return
        outcome.count("bedrock:GetFoundationModel")
        details = bedrock.get_foundation_model(modelIdentifier=model_id)["modelDetails"]
    except Exception as exc:
        code = error_code(exc, default_code=type(exc).__name__)
        outcome.problems.append(f"cannot read the judge model {model_id}: {code}: {exc}")
        return
    lifecycle = details.get("modelLifecycle") or {}
    if lifecycle.get("status") != "ACTIVE":
        outcome.problems.append(
            f"the judge model {model_id} is {lifecycle.get('status')}, not ACTIVE: "
            "choose a current model for judge.modelId"
        )
    if _past(lifecycle.get("endOfLifeTime"), now):
        outcome.problems.append(
            f"the judge model {model_id} reached its end of life on {lifecycle['endOfLifeTime']:%Y-%m-%d}"
        )


# The customization type the base model must list in ``customizationsSupported``. That field's enum
# (``ModelCustomization`` in botocore's bedrock service model, 2023-04-20) is FINE_TUNING,
# CONTINUED_PRE_TRAINING, DISTILLATION in botocore 1.44.8: it has no reinforcement value, although the
# job API's ``CustomizationType`` has REINFORCEMENT_FINE_TUNING (botocore 1.42.2 and later). So where
# the client's service model knows no reinforcement value, FINE_TUNING is the most exact the API can
# say: every model Bedrock RFT trains (Nova 2 Lite, /work/shared/reference/bedrock-rft-contract.md §5;
# https://docs.aws.amazon.com/bedrock/latest/userguide/rft-nova-models.html) is fine-tunable, and a
# model that does not list FINE_TUNING cannot be customized by a job at all. The enum is read from the
# client at run time, so a newer botocore with a reinforcement value makes the check exact by itself.
FINE_TUNING = "FINE_TUNING"


def required_customization(bedrock: Any) -> str:
    """REINFORCEMENT_FINE_TUNING where the client's ``ModelCustomization`` enum has it, else FINE_TUNING."""
    try:
        values = bedrock.meta.service_model.shape_for("ModelCustomization").enum or []
    except Exception:  # an unexpected service model: fall back to what every botocore knows
        values = []
    return RFT_CUSTOMIZATION if RFT_CUSTOMIZATION in values else FINE_TUNING


def check_base_model(bedrock: Any, model_id: str, outcome: Outcome) -> None:
    """The base model's ``customizationsSupported`` must list RFT, or fine-tuning where the API's enum
    has no RFT value (see :data:`FINE_TUNING`)."""
    if model_id.startswith("arn:") and ":custom-model/" in model_id:
        return  # a custom model: GetFoundationModel does not describe it
    try:
        outcome.count("bedrock:GetFoundationModel")
        details = bedrock.get_foundation_model(modelIdentifier=model_id.split("/")[-1])["modelDetails"]
    except Exception as exc:
        code = error_code(exc, default_code=type(exc).__name__)
        outcome.problems.append(f"cannot read the base model {model_id}: {code}: {exc}")
        return
    supported = details.get("customizationsSupported")
    if supported is None:
        outcome.notes.append(f"GetFoundationModel reports no customizationsSupported for the base model {model_id}")
        return
    if RFT_CUSTOMIZATION in supported:
        return  # the service lists RFT itself (even where this client's enum does not know the value yet)
    required = required_customization(bedrock)
    if required in supported:
        if required == FINE_TUNING:
            outcome.notes.append(
                f"the base model {model_id} lists {FINE_TUNING}; the API's customizationsSupported has no "
                f"{RFT_CUSTOMIZATION} value to check for"
            )
        return
    listed = ", ".join(supported) if supported else "nothing"
    why = (
        ""
        if required == RFT_CUSTOMIZATION
        else f" (GetFoundationModel's customizationsSupported has no {RFT_CUSTOMIZATION} value, so "
        f"{FINE_TUNING} is the closest the API reports, and every model RFT can train lists it)"
    )
    outcome.problems.append(
        f"the base model {model_id} cannot be trained with RFT: customizationsSupported lists {listed}, "
        f"not {required}{why}. Choose a model Bedrock RFT supports (amazon.nova-2-lite-v1:0:256k in us-east-1)"
    )


def check_invocation_logging(bedrock: Any, outcome: Outcome) -> None:
    """Training from invocation logs needs logging on with an S3 destination."""
    outcome.count("bedrock:GetModelInvocationLoggingConfiguration")
    try:
        config = bedrock.get_model_invocation_logging_configuration().get("loggingConfig") or {}
    except Exception as exc:
        outcome.problems.append(f"cannot read the model invocation logging configuration: {exc}")
        return
    if not (config.get("s3Config") or {}).get("bucketName") or not config.get("textDataDeliveryEnabled", False):
        outcome.problems.append(
            "model invocation logging to S3 is off, so the job has no invocation logs to train on; turn it on: "
            "aws bedrock put-model-invocation-logging-configuration --logging-config "
            '\'{"s3Config":{"bucketName":"<bucket>","keyPrefix":"<prefix>"},"textDataDeliveryEnabled":true}\''
            " (or set dataset.invocationLogs.manageLogging)"
        )


# -- all of it -------------------------------------------------------------------------------------
def run_preflight(
    props: Mapping[str, Any], batch: Mapping[str, Any], *, lambda_client: Any, bedrock: Any, now: datetime | None = None
) -> Outcome:
    """Every check; raises :class:`PreflightFailed` listing the problems, else returns the outcome."""
    now = now or datetime.now(UTC)
    outcome = Outcome()
    started = time.monotonic()
    items = batch["items"]
    chunk = int(props.get("BatchSize", 64))
    answers: list[Any] = []
    for start in range(0, len(items), chunk):
        part = items[start : start + chunk]
        answer = invoke_grader(lambda_client, props["GraderFunction"], part, outcome)
        if answer is None:
            break
        breaches = contract_problems(part, answer)
        if breaches:
            outcome.problems += breaches
            break
        answers += answer
    if not items:
        outcome.notes.append("no training dataset to rehearse the grader on (training from invocation logs)")
    elif not outcome.problems:
        scores = [float(a["aggregate_reward_score"]) for a in answers]
        separation(batch["kinds"], batch["shapes"], scores, Thresholds.from_properties(props), outcome)
    if props.get("JudgeModelId"):
        check_judge_model(bedrock, str(props["JudgeModelId"]), outcome, now)
    if props.get("BaseModelId"):
        check_base_model(bedrock, str(props["BaseModelId"]), outcome)
    if str(props.get("CheckInvocationLogging", "false")).lower() == "true":
        check_invocation_logging(bedrock, outcome)
    outcome.data["Seconds"] = round(time.monotonic() - started, 3)
    outcome.data["Calls"] = json.dumps(outcome.calls, sort_keys=True)
    if outcome.problems:
        raise PreflightFailed(
            f"preflight of the {batch.get('grader', '')} grader failed: " + "; ".join(outcome.problems)
        )
    return outcome
