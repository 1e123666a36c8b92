"""Finding and describing the RFT job: by ARN, or from the training stack's ``JobArn`` output."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.table import Table
from rich.text import Text

from config.settings import ConfigError, load_config, select_environment

from . import clients
from .errors import CliError
from .openweight_jobs import is_open_weight_job

TERMINAL_STATES = ("Completed", "Failed", "Stopped")
TRAINING_STACK_PART = "Training"  # EnvironmentConfig.stack_name("Training") -> RftTraining-dev
JOB_ARN_OUTPUT = "JobArn"
NOT_STARTED = "not started"  # how the training stack's JobArn output reads when startTraining is false
CONFIG_HELP_PATH = "config/environments.json"


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--job-arn",
        metavar="ARN",
        help="the model customization job's ARN, or an open-weight "
        "job's id (ftjob-..., with --region of that job, e.g. us-west-2)",
    )
    where.add_argument(
        "--env",
        metavar="ENV",
        help=f"read the ARN from the {JOB_ARN_OUTPUT} output of the "
        "environment's training stack (its name comes from --config, e.g. RftTraining-dev)",
    )
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help=f"read the ARN from this stack's {JOB_ARN_OUTPUT} output (overrides the stack name --env would give)",
    )
    parser.add_argument(
        "--config", metavar="PATH", help=f"the pipeline configuration (default {CONFIG_HELP_PATH} of the checkout)"
    )
    parser.add_argument(
        "--region",
        default=clients.DEFAULT_REGION,
        help=f"AWS region (default {clients.DEFAULT_REGION}, where Bedrock RFT runs)",
    )


def resolve_job_arn(args: argparse.Namespace) -> str:
    if args.job_arn:
        if args.stack:
            raise CliError("--job-arn names the job: drop --stack", exit_code=2)
        return args.job_arn
    if not (args.env or args.stack):
        raise CliError("say which job: --job-arn ARN, --env ENV or --stack NAME", exit_code=2)
    stack = args.stack or training_stack_name(args.env, config_path=args.config)
    cloudformation = clients.make_client("cloudformation", region=args.region)
    try:
        described = cloudformation.describe_stacks(StackName=stack)
    except Exception as exc:
        if _error_code(exc) == "ValidationError":
            raise CliError(f"stack {stack} not found in {args.region} (deploy it, or pass --job-arn)") from None
        raise
    for output in (described.get("Stacks") or [{}])[0].get("Outputs") or []:
        if output.get("OutputKey") == JOB_ARN_OUTPUT and output.get("OutputValue"):
            return _job_arn_from_output(str(output["OutputValue"]), stack=stack, env=args.env)
    raise CliError(f"stack {stack} has no {JOB_ARN_OUTPUT} output (has the job been created?)")


def training_stack_name(env: str, *, config_path: str | None = None) -> str:
    """The training stack of ``env`` as the CDK app names it, from the pipeline configuration."""
    try:
        configs = load_config(config_path) if config_path else load_config()
        return select_environment(configs, env).stack_name(TRAINING_STACK_PART)
    except ConfigError as exc:
        raise CliError(f"{exc}\n  (pass --config PATH for another configuration, or --stack NAME)") from None


def _job_arn_from_output(value: str, *, stack: str, env: str | None) -> str:
    if value.strip().lower().startswith(NOT_STARTED):
        where = f"for {env}" if env else f"by stack {stack}"
        raise CliError(f"no training job was started {where} (startTraining is false)")
    if not value.startswith("arn:") and not is_open_weight_job(value):
        raise CliError(f"stack {stack}: the {JOB_ARN_OUTPUT} output {value!r} is not a job ARN")
    return value


def get_job(bedrock: Any, job_arn: str) -> dict[str, Any]:
    try:
        return bedrock.get_model_customization_job(jobIdentifier=job_arn)
    except Exception as exc:
        code = _error_code(exc)
        if code in ("ResourceNotFoundException", "ValidationException"):
            raise CliError(f"job {job_arn}: {code}: {_error_message(exc)}") from None
        raise


def elapsed(job: dict[str, Any], now: datetime | None = None) -> timedelta | None:
    created = job.get("creationTime")
    if not isinstance(created, datetime):
        return None
    end = job.get("endTime") if job.get("status") in TERMINAL_STATES else None
    if not isinstance(end, datetime):
        end = now or datetime.now(UTC)
    return max(timedelta(0), _aware(end) - _aware(created))


def format_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "unknown"
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"


def job_table(job: dict[str, Any], *, now: datetime | None = None) -> Table:
    table = Table(title=Text(f"RFT job {job.get('jobName', '')}"), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    status = str(job.get("status", "unknown"))
    colour = {"Completed": "green", "Failed": "red", "Stopped": "yellow"}.get(status, "cyan")
    table.add_row("status", Text(status, style=colour))
    table.add_row("elapsed", format_duration(elapsed(job, now)))
    for label, key in (("created", "creationTime"), ("ended", "endTime"), ("last modified", "lastModifiedTime")):
        if isinstance(job.get(key), datetime):
            table.add_row(label, job[key].isoformat(timespec="seconds"))
    table.add_row("job ARN", Text(str(job.get("jobArn", ""))))
    for label, value in (
        ("base model", job.get("baseModelArn")),
        ("output model", job.get("outputModelArn")),
        ("output S3", (job.get("outputDataConfig") or {}).get("s3Uri")),
        ("failure", job.get("failureMessage")),
    ):
        if value:
            table.add_row(label, Text(str(value)))
    for stage, detail in (job.get("statusDetails") or {}).items():
        if isinstance(detail, dict) and detail.get("status"):
            table.add_row(Text(f"  {stage}"), Text(str(detail["status"])))
    for name, value in (job.get("trainingMetrics") or {}).items():
        table.add_row(Text(f"training {name}"), Text(str(value)))
    return table


def is_transient(exc: BaseException) -> bool:
    if getattr(exc, "status_code", None) in (429, 500, 502, 503, 504):  # the openai SDK's errors (open-weight jobs)
        return True
    return _error_code(exc) in (
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "TooManyRequestsException",
        "RequestTimeout",
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str(((response or {}).get("Error") or {}).get("Code", "")) if isinstance(response, dict) else ""


def _error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str(((response or {}).get("Error") or {}).get("Message", exc)) if isinstance(response, dict) else str(exc)
