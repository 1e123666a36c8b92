"""Job-state notifications for open-weight RFT jobs, which emit no EventBridge events that AWS documents.

A scheduled Lambda lists this pipeline's jobs (those whose metadata name starts with the prefix) and publishes one
SNS message for each job that reached a final state since the previous run. Stateless: "since the previous run" is
the schedule interval, with ``finished_at`` in ``(now - interval, now]``, so a job is announced once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import job_spec

LOGGER = logging.getLogger(__name__)
FINAL_STATUSES = ("succeeded", "failed", "cancelled")
# Same words as the Nova path's EventBridge states, so one topic reads alike for both paths.
STATUS_WORDS = {"succeeded": "Completed", "failed": "Failed", "cancelled": "Stopped"}


def _field(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


def finished_jobs(client: Any, *, prefix: str, window_seconds: int, now: float) -> list[Any]:
    found = []
    for job in client.fine_tuning.jobs.list(limit=100):
        name = (_field(job, "metadata") or {}).get(job_spec.NAME_KEY, "")
        finished = _field(job, "finished_at")
        if (
            name.startswith(prefix)
            and _field(job, "status") in FINAL_STATUSES
            and finished
            and now - window_seconds < float(finished) <= now
        ):
            found.append(job)
    return found


def message(job: Any, *, project: str, environment: str) -> tuple[str, str]:
    status = STATUS_WORDS[_field(job, "status")]
    name = (_field(job, "metadata") or {}).get(job_spec.NAME_KEY, _field(job, "id"))
    error = _field(job, "error")
    detail = {
        "project": project,
        "environment": environment,
        "jobId": _field(job, "id"),
        "jobName": name,
        "status": status,
        "baseModel": _field(job, "model"),
        "fineTunedModel": _field(job, "fine_tuned_model"),
        "failureMessage": _field(error, "message") if error else None,
    }
    subject = f"RFT job {name} {status}"[:100]
    return subject, json.dumps(detail, indent=2, default=str)


def poll(
    client: Any,
    sns: Any,
    *,
    topic_arn: str,
    prefix: str,
    window_seconds: int,
    project: str,
    environment: str,
    now: Callable[[], float] = time.time,
) -> int:
    jobs = finished_jobs(client, prefix=prefix, window_seconds=window_seconds, now=now())
    for job in jobs:
        subject, body = message(job, project=project, environment=environment)
        sns.publish(TopicArn=topic_arn, Subject=subject, Message=body)
        LOGGER.info("published %s", subject)
    return len(jobs)


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, int]:
    import boto3

    from .auth import openai_client

    published = poll(
        openai_client(),
        boto3.client("sns"),
        topic_arn=os.environ["TOPIC_ARN"],
        prefix=os.environ["JOB_NAME_PREFIX"],
        window_seconds=int(os.environ["WINDOW_SECONDS"]),
        project=os.environ.get("PROJECT", ""),
        environment=os.environ.get("ENVIRONMENT", ""),
    )
    return {"published": published}
