"""Preflight of the RFT job as a custom resource: the deployed grader rehearsed before any training starts.

The rehearsal batch is built at synth (``rft.synthesis.preflight_batch``, the same cases as ``rft rehearse``) and
bundled beside the handler, so no property nears CloudFormation's size limits and a changed batch is a
changed asset. The resource's properties carry the job's inputs fingerprint and the batch hash, so it
runs again only when grader code, settings or the dataset change. The role may invoke only the job's
grader and read Bedrock model descriptions.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_
from constructs import Construct

from rft.synthesis.preflight_batch import DEFAULT_SAMPLE_ROWS, batch_hash, build_preflight_batch

from ..support.lambda_support import role_with_own_logs, scoped_provider
from ..support.local_bundling import LAMBDA_RUNTIME, REPO_ROOT, copy_sources
from ..support.nag import LATEST_PYTHON_RUNTIME_REASON, accept, accept_wildcard_resources

RESOURCE_TYPE = "Custom::RftGraderPreflight"
JUDGE_SAMPLE_ROWS = 4  # x 3 cases x 2 payload shapes = 24 judge calls
HANDLER_SOURCE = REPO_ROOT / "lambda" / "preflight"
PROFILE_PREFIXES = ("us", "eu", "apac", "global", "jp", "au")  # as lambda/preflight/checks.py reads them


def is_inference_profile(model_id: str) -> bool:
    return ":inference-profile/" in model_id or model_id.split(".", 1)[0] in PROFILE_PREFIXES


def staged_code(batch: Mapping[str, Any]) -> Path:
    """A folder holding the ``preflight`` package (with the shared packages it imports) and its ``batch.json``:
    the Lambda asset."""
    root = Path(tempfile.mkdtemp(prefix="rft-preflight-"))
    package = root / "preflight"
    copy_sources(HANDLER_SOURCE, root)  # the package, and the shared packages it imports (aws_errors)
    (package / "batch.json").write_text(json.dumps(batch, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    return root


class GraderPreflight(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        grader: lambda_.IFunction,
        grader_kind: str,
        training_dataset: Path | None,
        inputs_fingerprint: str,
        base_model_id: str | None,
        judge_model_id: str | None,
        grader_env: Mapping[str, str] | None = None,
        check_invocation_logging: bool = False,
        sample_rows: int = DEFAULT_SAMPLE_ROWS,
        judge_sample_rows: int = JUDGE_SAMPLE_ROWS,
        min_auc: float = 0.8,
        min_gap: float = 0.3,
        max_low_reference_share: float = 0.2,
        grader_timeout: cdk.Duration = cdk.Duration.minutes(5),
    ) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        # Training from invocation logs: no dataset to rehearse on; the models and logging are still checked.
        # A judge call is billed per case: graders that call the judge rehearse fewer rows.
        rows = judge_sample_rows if judge_model_id else sample_rows
        batch = (
            build_preflight_batch(training_dataset, grader_kind, sample_rows=rows, env=grader_env)
            if training_dataset
            else {"grader": grader_kind, "items": [], "kinds": [], "shapes": []}
        )
        role, log_group = role_with_own_logs(
            self, "Handler", description="Rehearses the RFT job's grader before the job starts"
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeJobGrader", actions=["lambda:InvokeFunction"], resources=[grader.function_arn]
            )
        )
        model_arns = [stack.format_arn(service="bedrock", account="", resource="foundation-model", resource_name="*")]
        read_actions = ["bedrock:GetFoundationModel"]
        if judge_model_id and is_inference_profile(judge_model_id):
            read_actions.append("bedrock:GetInferenceProfile")
            model_arns.append(stack.format_arn(service="bedrock", resource="inference-profile", resource_name="*"))
        role.add_to_policy(iam.PolicyStatement(sid="ReadModels", actions=read_actions, resources=model_arns))
        if check_invocation_logging:
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="ReadInvocationLogging",
                    actions=["bedrock:GetModelInvocationLoggingConfiguration"],
                    resources=["*"],
                )
            )
        accept_wildcard_resources(
            role,
            model_arns + (["*"] if check_invocation_logging else []),
            ("Reads model descriptions only (the judge's and the base model's); logging configuration is account-wide"),
        )
        # The grader may run a batch for its whole timeout; the preflight sends 64 items per call.
        timeout = cdk.Duration.seconds(min(900, grader_timeout.to_seconds() * 2 + 60))
        self.handler = lambda_.Function(
            self,
            "Handler",
            runtime=LAMBDA_RUNTIME,
            handler="preflight.index.on_event",
            code=lambda_.Code.from_asset(str(staged_code(batch))),
            role=role,
            log_group=log_group,
            timeout=timeout,
            memory_size=256,
            logging_format=lambda_.LoggingFormat.JSON,
            description="Custom resource: rehearses the deployed grader before the RFT job starts",
        )
        accept(self.handler, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)
        provider = scoped_provider(self, on_event_handler=self.handler, purpose="the grader preflight")
        properties: dict[str, object] = {
            "GraderFunction": grader.function_name,
            "InputsFingerprint": inputs_fingerprint,
            "BatchHash": batch_hash(batch),
            "MinAuc": str(min_auc),
            "MinGap": str(min_gap),
            "MaxLowReferenceShare": str(max_low_reference_share),
            "CheckInvocationLogging": str(check_invocation_logging).lower(),
        }
        if base_model_id:
            properties["BaseModelId"] = base_model_id
        if judge_model_id:
            properties["JudgeModelId"] = judge_model_id
        self.cases = len(batch["items"])
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=cdk.Duration.seconds(timeout.to_seconds() + 60),
        )
        self.summary = self.resource.get_att_string("Summary")
