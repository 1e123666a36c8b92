"""Custom resource (CDK provider framework): run the preflight on create, and on update when its inputs changed.

The rehearsal batch is ``batch.json`` bundled beside this module at synth; its hash and the job's
inputs fingerprint are resource properties, so CloudFormation calls again only when grader code,
settings or the dataset change. Delete does nothing: a preflight leaves nothing behind.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .checks import PreflightFailed, run_preflight

LOGGER = logging.getLogger("preflight")
LOGGER.setLevel(logging.INFO)
BATCH_FILE = Path(os.environ.get("PREFLIGHT_BATCH_FILE", Path(__file__).with_name("batch.json")))
RUN_KEYS = (
    "InputsFingerprint",
    "BatchHash",
    "GraderFunction",
    "JudgeModelId",
    "BaseModelId",
    "MinAuc",
    "MinGap",
    "MaxLowReferenceShare",
    "CheckInvocationLogging",
)


def _clients() -> tuple[Any, Any]:
    import boto3
    from botocore.config import Config

    # The grader may take up to its timeout (15 minutes at most) on a batch.
    lambda_config = Config(read_timeout=900, connect_timeout=10, retries={"max_attempts": 1})
    return boto3.client("lambda", config=lambda_config), boto3.client("bedrock")


def _unchanged(event: Mapping[str, Any]) -> bool:
    new, old = event.get("ResourceProperties") or {}, event.get("OldResourceProperties") or {}
    return all(new.get(k) == old.get(k) for k in RUN_KEYS)


def on_event(
    event: Mapping[str, Any],
    context: Any = None,
    *,
    lambda_client: Any = None,
    bedrock: Any = None,
    batch: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    request = event["RequestType"]
    physical_id = event.get("PhysicalResourceId") or ""
    if request == "Delete":
        return {"PhysicalResourceId": physical_id}
    props = event["ResourceProperties"]
    if request == "Update" and _unchanged(event):
        LOGGER.info("preflight inputs unchanged: not run again")
        # The last run's summary lives in the physical id, so the stack output survives a no-op update.
        summary = physical_id.split("|", 1)[1] if "|" in physical_id else "passed earlier"
        return {
            "PhysicalResourceId": physical_id,
            "Data": {"Result": "unchanged since the last preflight", "Summary": summary},
        }
    if lambda_client is None or bedrock is None:
        lambda_client, bedrock = _clients()
    batch = batch if batch is not None else json.loads(BATCH_FILE.read_text(encoding="utf-8"))
    try:
        outcome = run_preflight(props, batch, lambda_client=lambda_client, bedrock=bedrock)
    except PreflightFailed as exc:
        LOGGER.error(str(exc))
        raise
    summary = f"passed: AUC {outcome.data['Auc']}, mean score per kind {outcome.data['ScoresByKind']}"
    data = {"Result": "passed", **outcome.data, "Summary": summary, "Notes": "; ".join(outcome.notes)}
    LOGGER.info("preflight passed: %s", json.dumps(data, sort_keys=True))
    return {"PhysicalResourceId": f"preflight-{props.get('BatchHash', '')}|{summary}"[:1000], "Data": data}
