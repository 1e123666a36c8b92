"""The in-account evaluation's Step Functions steps, as plain classes over injected boto3 clients.

resolve    job-completion event -> the tuned deployment the completion handler recorded, once it is
           Active (else DeploymentNotReady, which the state machine retries every minute)
answer     one row, one model -> the grader batch item (ModelThrottled on throttling: the state
           machine retries it with backoff; other model errors become an empty answer scoring 0)
record     one row's two answers and the grader's two results -> evaluation/<job>/rows/<index>.json
summarize  all rows -> evaluation.jsonl, summary.json, report.md; SNS notification; CloudWatch metrics
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from aws_errors import client_error, error_code

from .conversation import answer_text, converse_request, grader_item, is_throttling, metrics_of, row_id, usage_of
from .summary import SIDES, markdown_report, notification_text, summarize, verdict

LOGGER = logging.getLogger(__name__)
METRIC_NAMESPACE = "BedrockRFT"
METRIC_MEAN_REWARD = "EvaluationMeanReward"
METRIC_PASS_RATE = "EvaluationPassRate"
METRIC_LIFT = "EvaluationLift"
ROWS_DIR = "rows/"
_SUBJECT_MAX = 100


class DeploymentNotReady(RuntimeError):
    """The tuned deployment does not exist yet or is still Creating (the state machine waits and retries)."""


class DeploymentFailed(RuntimeError):
    """The tuned deployment failed: nothing to evaluate."""


class ModelThrottled(RuntimeError):
    """Bedrock throttled the request (the state machine retries it with backoff)."""


def resolve(bedrock: Any, ssm: Any, *, parameter_name: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """The completion handler records the deployment it creates in ``parameter_name``; wait until that
    record names a deployment of this job's model and the deployment is Active."""
    detail = event.get("detail") or {}
    job_name, model_arn = str(detail.get("jobName") or ""), detail.get("outputModelArn")
    if not job_name or not model_arn:
        raise DeploymentFailed(f"the event names no job or output model: {json.dumps(detail)[:300]}")
    try:
        arn = ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            raise DeploymentNotReady(f"no deployment recorded in {parameter_name} yet") from None
        raise
    deployment = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    if deployment.get("modelArn") != model_arn:
        raise DeploymentNotReady(f"{parameter_name} still names a deployment of another model ({arn})")
    status = deployment.get("status")
    if status == "Failed":
        raise DeploymentFailed(f"deployment {arn} failed: {deployment.get('failureMessage') or 'no reason given'}")
    if status != "Active":
        raise DeploymentNotReady(f"deployment {arn} is {status}")
    return {"jobName": job_name, "deploymentArn": deployment["customModelDeploymentArn"], "modelArn": model_arn}


@dataclass(frozen=True)
class InferenceSettings:
    max_tokens: int | None = None
    reasoning_effort: str | None = None


def answer(
    runtime: Any, *, row: Mapping[str, Any], index: int, side: str, model_id: str, settings: InferenceSettings
) -> dict[str, Any]:
    """One model's answer to one row, as the grader item plus usage; throttling raises ModelThrottled."""
    item_id = f"{row_id(row, f'row-{index}')}#{side}"
    request = converse_request(
        row, model_id, max_tokens=settings.max_tokens, reasoning_effort=settings.reasoning_effort
    )
    try:
        response = runtime.converse(**request)
    except ClientError as exc:
        if is_throttling(exc):
            raise ModelThrottled(f"{model_id}: {exc}") from None
        code, message = client_error(exc)
        LOGGER.error("%s on row %s: %s: %s", model_id, index, code, message)
        return {
            "item": grader_item(row, "", item_id=item_id),
            "answer": "",
            "usage": {},
            "error": f"{code}: {message}",
        }
    text = answer_text(response)
    return {"item": grader_item(row, text, item_id=item_id), "answer": text, "usage": usage_of(response)}


def row_record(
    *, row: Mapping[str, Any], index: int, answers: Sequence[Mapping[str, Any]], grades: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The per-row record (the same fields `rft evaluate` writes) from the two answers and two grades."""
    if len(answers) != 2 or len(grades) != 2:
        raise ValueError(f"row {index}: expected 2 answers and 2 grades, got {len(answers)} and {len(grades)}")
    by_id = {str(g.get("id")): g for g in grades}
    record: dict[str, Any] = {"id": row_id(row, f"row-{index}"), "index": index}
    for side, answered in zip(SIDES, answers):
        grade = by_id.get(str(answered["item"]["id"]), {})
        record[f"{side}_answer"] = answered.get("answer", "")
        record[f"{side}_score"] = float(grade.get("aggregate_reward_score", 0.0) or 0.0)
        record[f"{side}_metrics"] = metrics_of(grade)
        if answered.get("error"):
            record[f"{side}_error"] = answered["error"]
    return record


def record(s3: Any, *, bucket: str, prefix: str, job_name: str, row_record_: Mapping[str, Any]) -> str:
    key = f"{prefix}{job_name}/{ROWS_DIR}{int(row_record_['index']):07d}.json"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(row_record_, ensure_ascii=False).encode("utf-8"),
        ContentType="application/json",
    )
    return key


def read_rows(s3: Any, *, bucket: str, prefix: str, job_name: str) -> list[dict[str, Any]]:
    rows, token = [], None
    base = f"{prefix}{job_name}/{ROWS_DIR}"
    while True:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=base, **({"ContinuationToken": token} if token else {}))
        for entry in page.get("Contents") or []:
            body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
            rows.append(json.loads(body))
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            break
    return sorted(rows, key=lambda r: int(r["index"]))


def summarize_and_publish(
    *,
    s3: Any,
    sns: Any,
    cloudwatch: Any,
    bucket: str,
    prefix: str,
    job_name: str,
    topic_arn: str,
    environment: str,
    details: Mapping[str, str],
) -> dict[str, Any]:
    rows = read_rows(s3, bucket=bucket, prefix=prefix, job_name=job_name)
    if not rows:
        raise ValueError(f"no evaluated rows under s3://{bucket}/{prefix}{job_name}/{ROWS_DIR}")
    summary = summarize(rows)
    base = f"{prefix}{job_name}/"
    jsonl = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    s3.put_object(
        Bucket=bucket, Key=base + "evaluation.jsonl", Body=jsonl.encode("utf-8"), ContentType="application/x-ndjson"
    )
    s3.put_object(
        Bucket=bucket,
        Key=base + "summary.json",
        Body=json.dumps(summary, indent=2).encode("utf-8"),
        ContentType="application/json",
    )
    report = markdown_report(summary, title=f"Evaluation of RFT job {job_name}", details=details)
    s3.put_object(Bucket=bucket, Key=base + "report.md", Body=report.encode("utf-8"), ContentType="text/markdown")
    cloudwatch.put_metric_data(Namespace=METRIC_NAMESPACE, MetricData=metric_data(summary, environment))
    results_uri = f"s3://{bucket}/{base}"
    subject = f"RFT job {job_name} evaluated: {summary['lift']['mean_reward']:+.3f} mean reward"
    sns.publish(
        TopicArn=topic_arn,
        Subject=_subject(subject),
        Message=notification_text(summary, job_name=job_name, results_uri=results_uri),
    )
    LOGGER.info("evaluation of %s: %s", job_name, verdict(summary))
    return {"resultsUri": results_uri, "rows": len(rows), "lift": summary["lift"]}


def metric_data(summary: Mapping[str, Any], environment: str) -> list[dict[str, Any]]:
    data = []
    for side in SIDES:
        dims = [{"Name": "environment", "Value": environment}, {"Name": "model", "Value": side}]
        data.append(
            {
                "MetricName": METRIC_MEAN_REWARD,
                "Dimensions": dims,
                "Value": float(summary[side]["mean_reward"]),
                "Unit": "None",
            }
        )
        data.append(
            {
                "MetricName": METRIC_PASS_RATE,
                "Dimensions": dims,
                "Value": float(summary[side]["pass_rate"]),
                "Unit": "None",
            }
        )
    data.append(
        {
            "MetricName": METRIC_LIFT,
            "Dimensions": [{"Name": "environment", "Value": environment}],
            "Value": float(summary["lift"]["mean_reward"]),
            "Unit": "None",
        }
    )
    return data


def _subject(text: str) -> str:
    ascii_only = "".join(c if 32 <= ord(c) < 127 else " " for c in text)
    return ascii_only if len(ascii_only) <= _SUBJECT_MAX else ascii_only[: _SUBJECT_MAX - 3] + "..."
