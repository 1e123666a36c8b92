"""`rft status` and `rft watch`: the job's state and elapsed time, once or live until it ends."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from .. import clients, openweight_jobs
from ..jobs import (
    TERMINAL_STATES,
    add_job_arguments,
    elapsed,
    format_duration,
    get_job,
    is_transient,
    job_table,
    resolve_job_arn,
)

DEFAULT_INTERVAL = 60.0
MIN_INTERVAL = 1.0  # GetModelCustomizationJob is rate-limited; a job's state changes over minutes
MAX_TRANSIENT_FAILURES = 5

sleep: Callable[[float], None] = time.sleep  # replaced in tests
clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 (replaced in tests)


def interval_seconds(text: str) -> float:
    """``--interval``: a number of seconds, at least :data:`MIN_INTERVAL` (argparse reports anything else)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= MIN_INTERVAL:  # also rejects nan
        raise argparse.ArgumentTypeError(f"{text} is too short: poll at most once a second (--interval 1 or more)")
    return value


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    status = subparsers.add_parser(
        "status",
        help="the RFT job's state and elapsed time",
        description="Show the RFT job's state and elapsed time (GetModelCustomizationJob).",
    )
    add_job_arguments(status)
    status.set_defaults(run=run_status)
    watch = subparsers.add_parser(
        "watch",
        help="follow the RFT job live until it completes, fails or stops",
        description="Poll the RFT job and show its state live; stop at Completed, "
        "Failed or Stopped. Exit 0 when it completed, 1 otherwise.",
    )
    add_job_arguments(watch)
    watch.add_argument(
        "--interval",
        type=interval_seconds,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between polls, at least {MIN_INTERVAL:g} (default {DEFAULT_INTERVAL:g}). On a terminal the "
        "display is live; otherwise (a log file, a pipe, CI) one line is printed per poll",
    )
    watch.set_defaults(run=run_watch)


def run_status(args: argparse.Namespace, console: Console) -> int:
    job_arn = resolve_job_arn(args)
    console.print(job_table(job_reader(job_arn, args.region)()))
    return 0


def job_reader(job_ref: str, region: str) -> Callable[[], dict[str, Any]]:
    """Reads the job, Nova (by ARN) or open-weight (by job id), as the same dictionary."""
    if openweight_jobs.is_open_weight_job(job_ref):
        client = openweight_jobs.make_client(region)
        return lambda: openweight_jobs.get_job(client, job_ref)
    bedrock = clients.make_client("bedrock", region=region)
    return lambda: get_job(bedrock, job_ref)


def run_watch(args: argparse.Namespace, console: Console) -> int:
    job_arn = resolve_job_arn(args)
    read_job = job_reader(job_arn, args.region)
    follow = _follow_live if console.is_terminal else _follow_lines
    job = follow(console, read_job, args.interval)
    status = job.get("status")
    message = f"job {job.get('jobName', job_arn)} {status} after {format_duration(elapsed(job))}"
    if job.get("failureMessage"):
        message += f": {job['failureMessage']}"
    console.print(message, markup=False, highlight=False, soft_wrap=True)
    return 0 if status == "Completed" else 1


def _polls(read_job: Callable[[], dict[str, Any]]) -> Callable[[dict[str, Any], int], tuple[dict[str, Any], int]]:
    """One poll: (the job, failed polls in a row); a transient error keeps the last answer, up to a limit."""

    def poll(job: dict[str, Any], failures: int) -> tuple[dict[str, Any], int]:
        try:
            return read_job(), 0
        except Exception as exc:
            if not is_transient(exc) or failures >= MAX_TRANSIENT_FAILURES:
                raise
            return job, failures + 1

    return poll


def _follow_live(console: Console, read_job: Callable[[], dict[str, Any]], interval: float) -> dict[str, Any]:
    """On a terminal: a live display (spinner, status, elapsed, next check), left on screen at the end."""
    poll = _polls(read_job)
    job: dict[str, Any] = {}
    failures = 0
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while True:
            job, failures = poll(job, failures)
            if job.get("status") in TERMINAL_STATES:
                live.update(_view(job, None, failures))
                break
            _wait(live, job, interval, failures)
    return job


def _follow_lines(console: Console, read_job: Callable[[], dict[str, Any]], interval: float) -> dict[str, Any]:
    """Not on a terminal (a log file, a pipe, CI): one plain line per poll, then the final job table."""
    poll = _polls(read_job)
    job: dict[str, Any] = {}
    failures = 0
    while True:
        job, failures = poll(job, failures)
        console.print(poll_line(job, failures, clock()), markup=False, highlight=False, soft_wrap=True)
        if job.get("status") in TERMINAL_STATES:
            break
        sleep(interval)
    console.print(job_table(job))
    return job


def poll_line(job: dict[str, Any], failures: int, now: datetime) -> str:
    """``2026-12-02T01:02:03Z InProgress elapsed 1h 02m 03s training InProgress trainingLoss 0.41``."""
    parts = [now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
    if job:
        parts += [str(job.get("status", "unknown")), "elapsed", format_duration(elapsed(job, now))]
    else:
        parts.append("no answer yet")
    for stage, detail in (job.get("statusDetails") or {}).items():
        if isinstance(detail, dict) and detail.get("status"):
            parts += [_stage_name(str(stage)), str(detail["status"])]
    for key in ("step", "currentStep", "epoch"):
        if job.get(key) is not None:
            parts += [key, str(job[key])]
    for name, value in (job.get("trainingMetrics") or {}).items():
        parts += [str(name), f"{value:.4g}" if isinstance(value, float) else str(value)]
    if failures:
        parts.append(f"({failures} failed poll(s) in a row, retrying)")
    return " ".join(parts)


def _stage_name(key: str) -> str:
    """``trainingDetails`` -> ``training``, ``dataProcessingDetails`` -> ``dataProcessing``."""
    return key[: -len("Details")] if key.endswith("Details") and len(key) > len("Details") else key


def _wait(live: Live, job: dict[str, Any], interval: float, failures: int) -> None:
    """Sleep until the next poll, refreshing the elapsed time every second."""
    remaining = interval
    while True:
        live.update(_view(job, remaining, failures))
        if remaining <= 0:
            return
        step = min(1.0, remaining)
        sleep(step)
        remaining -= step


def _view(job: dict[str, Any], next_poll: float | None, failures: int) -> Group:
    status = str(job.get("status", "waiting for the first answer"))
    line = Text.assemble(("status ", "bold"), status, ("   elapsed ", "bold"), format_duration(elapsed(job)))
    if next_poll is not None:
        line.append(f"   next check in {max(0, round(next_poll))}s")
    if failures:
        line.append(f"   ({failures} failed poll(s), retrying)", style="yellow")
    header = line if job.get("status") in TERMINAL_STATES else Spinner("dots", text=line)
    parts: list[Any] = [header]
    if job:
        parts.append(job_table(job))
    return Group(*parts)
