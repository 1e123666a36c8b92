"""Create, update and delete of the open-weight RFT job behind ``Custom::OpenWeightRftJob``.

The same promises as the Nova resource (``lambda/rft_job``): create returns as soon as the service accepts the job;
a retried create adopts the job these exact inputs already started (found by the name in its metadata, or by the
files uploaded for it); a changed input starts a new job (new name, new physical id), and CloudFormation's delete of
the old resource cancels the old job if it is still running. Files uploaded for a job that was never created are
deleted, and a deleted resource deletes its files, so nothing is left behind. Service errors surface with the
service's own message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import openai

from . import job_spec

LOGGER = logging.getLogger(__name__)

# OpenAI job statuses. "succeeded" is adopted too: the same inputs need no second training.
ACTIVE_STATUSES = frozenset({"validating_files", "queued", "running", "succeeded"})
RUNNING_STATUSES = frozenset({"validating_files", "queued", "running"})
MAX_RERUNS = 20
# A brand-new role can take a while before the service accepts a token made from it.
PROPAGATION_RETRY_SECONDS = 120
PROPAGATION_SLEEP_SECONDS = 10
_LIST_LIMIT = 100


class JobRequestFailed(RuntimeError):
    """The service refused a request; the message is what ``cdk deploy`` shows."""


def service_message(exc: openai.APIError) -> str:
    """The service's own words: ``error.message`` of the body when present, else the SDK's message."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error")
        inner = error if isinstance(error, Mapping) else body
        message = inner.get("message")
        if isinstance(message, str) and message:
            return message
    return str(getattr(exc, "message", exc))


def _fail(operation: str, exc: openai.APIError) -> JobRequestFailed:
    status = getattr(exc, "status_code", None)
    where = f"HTTP {status}: " if status else ""
    return JobRequestFailed(f"Bedrock OpenAI-compatible {operation} failed: {where}{service_message(exc)}")


def _field(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


class OpenWeightJobLifecycle:
    """``client`` is an ``openai.OpenAI`` (or anything shaped like it); ``s3`` a boto3 S3 client."""

    def __init__(
        self,
        client: Any,
        s3: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client, self._s3, self._sleep, self._clock = client, s3, sleep, clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        kind = event["RequestType"]
        properties = event.get("ResourceProperties", {})
        if kind == "Create":
            return self.create(properties)
        if kind == "Update":
            return self.update(properties, event.get("OldResourceProperties", {}), event["PhysicalResourceId"])
        if kind == "Delete":
            return self.delete(event.get("PhysicalResourceId", ""))
        raise ValueError(f"unknown RequestType {kind!r}")

    # -- the three requests ----------------------------------------------------------------------------------------
    def create(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Start the job, or adopt the one these exact inputs already started."""
        jobs = self._jobs()
        files = self._files()
        for attempt in range(1, MAX_RERUNS + 1):
            name = job_spec.job_name(properties, attempt)
            existing = self._find(jobs, files, name)
            if existing is None:
                return self._start(properties, name, files)
            status = _field(existing, "status")
            if status in ACTIVE_STATUSES:
                LOGGER.info("adopting job %s (%s) for %s", _field(existing, "id"), status, name)
                return _response(existing, name)
            LOGGER.info("job %s of %s is %s; starting a rerun", _field(existing, "id"), name, status)
        raise JobRequestFailed(f"gave up after {MAX_RERUNS} failed or cancelled runs of the same inputs")

    def update(self, properties: Mapping[str, Any], old: Mapping[str, Any], physical_id: str) -> dict[str, Any]:
        """Unchanged training inputs keep the job; changed ones start a new job (CloudFormation deletes the old)."""
        if job_spec.fingerprint(properties) != job_spec.fingerprint(old):
            return self.create(properties)
        job = self._retrieve(physical_id)
        if job is None:
            LOGGER.info("job %r not found; creating one for these inputs", physical_id)
            return self.create(properties)
        LOGGER.info("training inputs unchanged; keeping %s", physical_id)
        metadata = _field(job, "metadata") or {}
        return _response(job, metadata.get(job_spec.NAME_KEY) or job_spec.job_name(properties))

    def delete(self, physical_id: str) -> dict[str, Any]:
        """Cancel a running job and delete its uploaded files; a finished job's model is kept."""
        job = self._retrieve(physical_id) if physical_id else None
        if job is None:
            LOGGER.info("no job %r; nothing to cancel", physical_id)
            return {"PhysicalResourceId": physical_id}
        status = _field(job, "status")
        if status in RUNNING_STATUSES:
            try:
                self._client.fine_tuning.jobs.cancel(physical_id)
                LOGGER.info("cancelled job %s", physical_id)
            except (openai.NotFoundError, openai.BadRequestError, openai.ConflictError) as exc:
                # Finished (or vanished) between our read and the cancel: nothing left to stop.
                LOGGER.info("cancel of %s not needed: %s", physical_id, service_message(exc))
            except openai.APIError as exc:
                raise _fail("fine_tuning.jobs.cancel", exc) from None
        else:
            LOGGER.info("job %s is %s; the fine-tuned model (if any) is kept", physical_id, status)
        self._delete_files(f for f in (_field(job, "training_file"), _field(job, "validation_file")) if f)
        return {"PhysicalResourceId": physical_id}

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _start(self, properties: Mapping[str, Any], name: str, files: list[Any]) -> dict[str, Any]:
        uploaded: list[str] = []
        try:
            training = self._upload(
                job_spec.required(properties, "TrainingDataS3Uri"),
                job_spec.file_name(name, "training"),
                files,
                uploaded,
            )
            validation = None
            if properties.get("ValidationDataS3Uri"):
                validation = self._upload(
                    properties["ValidationDataS3Uri"], job_spec.file_name(name, "validation"), files, uploaded
                )
            request = job_spec.create_request(properties, name, training_file=training, validation_file=validation)
            job = self._create_with_retry(request)
        except BaseException:
            self._delete_files(uploaded)  # the job never started: leave no files behind
            raise
        LOGGER.info("started job %s (%s)", _field(job, "id"), name)
        return _response(job, name)

    def _create_with_retry(self, request: dict[str, Any]) -> Any:
        give_up_at = self._clock() + PROPAGATION_RETRY_SECONDS
        while True:
            try:
                return self._client.fine_tuning.jobs.create(**request)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                if self._clock() >= give_up_at:
                    raise _fail("fine_tuning.jobs.create", exc) from None
                LOGGER.warning("create refused (%s); retrying while IAM propagates", service_message(exc))
                self._sleep(PROPAGATION_SLEEP_SECONDS)
            except openai.APIError as exc:
                raise _fail("fine_tuning.jobs.create", exc) from None

    def _upload(self, uri: str, filename: str, files: list[Any], uploaded: list[str]) -> str:
        """The file id for this S3 object under this job's file name: reused when an earlier try uploaded it."""
        for existing in files:
            if _field(existing, "filename") == filename:
                return str(_field(existing, "id"))
        bucket, key = job_spec.s3_location(uri)
        data = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            created = self._client.files.create(file=(filename, data), purpose="fine-tune")
        except openai.APIError as exc:
            raise _fail("files.create", exc) from None
        uploaded.append(str(_field(created, "id")))
        LOGGER.info("uploaded s3://%s/%s as %s (%s)", bucket, key, _field(created, "id"), filename)
        return str(_field(created, "id"))

    def _delete_files(self, file_ids: Iterable[str]) -> None:
        for file_id in file_ids:
            try:
                self._client.files.delete(file_id)
            except openai.NotFoundError:
                pass
            except openai.APIError as exc:  # never fail a delete over a leftover file; say so in the log
                LOGGER.warning("could not delete file %s: %s", file_id, service_message(exc))

    def _find(self, jobs: list[Any], files: list[Any], name: str) -> Any | None:
        """The newest job carrying this name in its metadata, or trained on a file uploaded under this name."""
        training_name = job_spec.file_name(name, "training")
        own_files = {str(_field(f, "id")) for f in files if _field(f, "filename") == training_name}
        for job in jobs:  # newest first
            metadata = _field(job, "metadata") or {}
            if metadata.get(job_spec.NAME_KEY) == name or str(_field(job, "training_file")) in own_files:
                return job
        return None

    def _jobs(self) -> list[Any]:
        try:
            return list(self._client.fine_tuning.jobs.list(limit=_LIST_LIMIT))  # the SDK follows the pages
        except openai.APIError as exc:
            raise _fail("fine_tuning.jobs.list", exc) from None

    def _files(self) -> list[Any]:
        try:
            return list(self._client.files.list(purpose="fine-tune"))
        except openai.APIError as exc:
            raise _fail("files.list", exc) from None

    def _retrieve(self, job_id: str) -> Any | None:
        try:
            return self._client.fine_tuning.jobs.retrieve(job_id)
        except (openai.NotFoundError, openai.BadRequestError):
            return None  # never created, or not a job id at all (the provider's id for a failed create)
        except openai.APIError as exc:
            raise _fail("fine_tuning.jobs.retrieve", exc) from None


def _response(job: Any, name: str) -> dict[str, Any]:
    return {
        "PhysicalResourceId": str(_field(job, "id")),
        "Data": {
            "JobId": str(_field(job, "id")),
            "JobName": name,
            "TrainingFileId": str(_field(job, "training_file") or ""),
            "BaseModel": str(_field(job, "model") or ""),
        },
    }
