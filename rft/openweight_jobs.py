"""Open-weight RFT jobs (OpenAI-compatible API) for `rft status`, `watch` and `report`.

The job is read with ``fine_tuning.jobs.retrieve`` and shown in the same table as a Nova job: its fields are mapped
onto the names ``rft.jobs`` uses (``status`` in Nova's words, ``creationTime``, ``endTime``, ...). Its per-step
metrics come from ``fine_tuning.jobs.list_events``: events of type ``metrics`` carry a ``data`` object with the step
and the metric values, which ``report`` turns into the reward curve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import CliError
from .metrics_files import Record, parse_metrics_file

# OpenAI job statuses in the words `rft status` uses for Nova jobs, so TERMINAL_STATES and colours apply to both.
STATUS_WORDS = {
    "validating_files": "InProgress",
    "queued": "InProgress",
    "running": "InProgress",
    "succeeded": "Completed",
    "failed": "Failed",
    "cancelled": "Stopped",
}
NAME_KEY = "rft-job-name"  # lambda/rft_job_openweight/job_spec.py: the job name the custom resource puts in metadata
ENDPOINT_TEMPLATE = "https://bedrock-mantle.{region}.api.aws/v1"
MAX_EVENTS = 100_000


# A job id as the OpenAI-compatible API spells it: a word, a hyphen, the rest (``ftjob-abc123``). Bedrock does not
# document its id format beyond the examples, so any id of that form is accepted; a plain word (``pending``) is not.
_JOB_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9_-]+$")


def is_open_weight_job(job_ref: str) -> bool:
    """Nova jobs are named by ARN; open-weight jobs by the service's job id (``ftjob-...``)."""
    return bool(_JOB_ID.match(job_ref or ""))


def make_client(region: str) -> Any:
    """An OpenAI client on the regional endpoint with a short-term Bedrock API key made from your credentials."""
    from aws_bedrock_token_generator import provide_token
    from openai import OpenAI

    return OpenAI(api_key=provide_token(region=region), base_url=ENDPOINT_TEMPLATE.format(region=region))


def _field(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


def _time(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(float(seconds), tz=UTC) if seconds else None


def job_view(job: Any) -> dict[str, Any]:
    """The job under the field names ``rft.jobs.job_table`` and ``elapsed`` read."""
    status = str(_field(job, "status") or "unknown")
    error = _field(job, "error")
    view: dict[str, Any] = {
        "jobName": (_field(job, "metadata") or {}).get(NAME_KEY) or _field(job, "id"),
        "jobArn": _field(job, "id"),
        "status": STATUS_WORDS.get(status, status),
        "creationTime": _time(_field(job, "created_at")),
        "endTime": _time(_field(job, "finished_at")),
        "baseModelArn": _field(job, "model"),
        # Invoked by this id through the OpenAI-compatible API; no deployment step (AWS "Fine-tune open-weight
        # models using OpenAI-compatible APIs": "Immediate inference").
        "outputModelArn": _field(job, "fine_tuned_model"),
        "failureMessage": _field(error, "message") if error else None,
        "statusDetails": {"service status": {"status": status}},
    }
    return {k: v for k, v in view.items() if v is not None}


def get_job(client: Any, job_id: str) -> dict[str, Any]:
    import openai

    try:
        return job_view(client.fine_tuning.jobs.retrieve(job_id))
    except (openai.NotFoundError, openai.BadRequestError) as exc:
        raise CliError(f"job {job_id}: HTTP {exc.status_code}: {_message(exc)}") from None


def metric_records(client: Any, job_id: str) -> list[Record]:
    """Per-step metrics from the job's ``metrics`` events, oldest step first."""
    lines = []
    for count, event in enumerate(client.fine_tuning.jobs.list_events(job_id, limit=100)):
        if count >= MAX_EVENTS:
            break
        data = _field(event, "data")
        if _field(event, "type") == "metrics" and isinstance(data, Mapping):
            lines.append(json.dumps(data))
    records = parse_metrics_file("events.jsonl", "\n".join(lines).encode())
    by_step: dict[float, Record] = {}
    for record in records:  # events arrive newest first; one record per step
        by_step.setdefault(record["step"], {}).update(dict(record.items()))
    return [by_step[s] for s in sorted(by_step)]


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error")
        inner = error if isinstance(error, Mapping) else body
        message = inner.get("message")
        if isinstance(message, str):
            return message
    return str(exc)
