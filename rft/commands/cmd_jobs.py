"""`rft status` and `rft watch`: the job's state and elapsed time, once or live until it ends."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from .. import clients, openweight_jobs
from ..errors import CliError
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
MAX_TRANSIENT_FAILURES = 5

sleep: Callable[[float], None] = time.sleep  # replaced in tests


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
        type=float,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between polls (default {DEFAULT_INTERVAL:g})",
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
    if args.interval < 0:
        raise CliError("--interval must be zero or more seconds", exit_code=2)
    job_arn = resolve_job_arn(args)
    read_job = job_reader(job_arn, args.region)
    job: dict[str, Any] = {}
    failures = 0
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while True:
            try:
                job = read_job()
                failures = 0
            except Exception as exc:
                if not is_transient(exc) or failures >= MAX_TRANSIENT_FAILURES:
                    raise
                failures += 1
            if job.get("status") in TERMINAL_STATES:
                live.update(_view(job, None, failures))
                break
            _wait(live, job, args.interval, failures)
    status = job.get("status")
    message = f"job {job.get('jobName', job_arn)} {status} after {format_duration(elapsed(job))}"
    if job.get("failureMessage"):
        message += f": {job['failureMessage']}"
    console.print(message, markup=False, soft_wrap=True)
    return 0 if status == "Completed" else 1


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
