"""`rft report`: the job's training metrics from its S3 output prefix, as a table and a reward-curve PNG."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import clients, openweight_jobs
from ..errors import CliError
from ..jobs import add_job_arguments, elapsed, format_duration, get_job, resolve_job_arn
from ..metrics_files import (
    Record,
    columns,
    is_metrics_candidate,
    merge,
    metric_goal,
    parse_metrics_file,
    reward_columns,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILES = 200
MAX_TABLE_COLUMNS = 30
TABLE_DECIMALS = 4


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="the job's metrics as a table and a reward-curve PNG",
        description="Read the metrics files (CSV, JSON, JSONL) under the job's "
        "output S3 prefix; print a summary and write metrics.csv and reward_curve.png.",
    )
    add_job_arguments(parser)
    parser.add_argument("--out", type=Path, metavar="DIR", help="output folder (default rft-results/<job name>)")
    parser.set_defaults(run=run_report)


def run_report(args: argparse.Namespace, console: Console) -> int:
    job_arn = resolve_job_arn(args)
    if openweight_jobs.is_open_weight_job(job_arn):
        return _report_open_weight(args, console, job_arn)
    job = get_job(clients.make_client("bedrock", region=args.region), job_arn)
    name = str(job.get("jobName") or job_arn.rsplit("/", 1)[-1])
    _print_job_line(console, job, name)
    uri = (job.get("outputDataConfig") or {}).get("s3Uri")
    if not uri:
        raise CliError(f"job {name} has no outputDataConfig.s3Uri")
    bucket, prefix = parse_s3_uri(uri)
    s3 = clients.make_client("s3", region=args.region)
    keys = metric_keys(s3, bucket, prefix, job_id=job_arn.rsplit("/", 1)[-1])
    if not keys:
        raise CliError(f"no metrics files (.csv, .json, .jsonl) under {uri}")
    record_sets, used = [], []
    for key in keys:
        records = parse_metrics_file(key, s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        if records:
            record_sets.append(records)
            used.append(key)
    records = merge(record_sets)
    if not records:
        raise CliError(f"{len(keys)} file(s) under {uri} but none holds per-step numeric metrics")
    console.print(
        f"metrics from {len(used)} file(s): " + ", ".join(f"s3://{bucket}/{k}" for k in used),
        markup=False,
        soft_wrap=True,
    )
    return _write_report(console, records, name, args.out)


def _print_job_line(console: Console, job: dict[str, Any], name: str) -> None:
    status = job.get("status")
    console.print(f"job {name}: {status}, {format_duration(elapsed(job))}", markup=False, soft_wrap=True)
    if status != "Completed":
        console.print(f"note: the job is {status}; its metrics may be partial or missing", markup=False, soft_wrap=True)


def _report_open_weight(args: argparse.Namespace, console: Console, job_id: str) -> int:
    """The per-step metrics of an open-weight job, from its ``metrics`` events (``fine_tuning.jobs.list_events``)."""
    client = openweight_jobs.make_client(args.region)
    job = openweight_jobs.get_job(client, job_id)
    name = str(job.get("jobName") or job_id)
    _print_job_line(console, job, name)
    records = openweight_jobs.metric_records(client, job_id)
    if not records:
        raise CliError(f"job {name} has no metrics events yet (fine_tuning.jobs.list_events)")
    console.print(f"metrics from {len(records)} metrics event(s) of job {job_id}", markup=False, soft_wrap=True)
    return _write_report(console, records, name, args.out)


def _write_report(console: Console, records: list[Record], name: str, out_arg: Path | None) -> int:
    names = columns(records)
    rewards = reward_columns(names)
    console.print(summary_table(records, rewards + [n for n in names if n not in rewards]))
    out = out_arg or Path("rft-results") / name
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_csv(out / "metrics.csv", records, names)
        console.print(f"wrote {out / 'metrics.csv'}", markup=False, soft_wrap=True)
        if rewards:
            plot_rewards(out / "reward_curve.png", records, rewards, title=f"RFT job {name}")
            console.print(f"wrote {out / 'reward_curve.png'}", markup=False, soft_wrap=True)
        else:
            console.print("note: no reward or score column found, so no reward curve", soft_wrap=True)
    except OSError as exc:
        raise CliError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return 0


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise CliError(f"not an S3 URI: {uri}")
    prefix = parsed.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return parsed.netloc, prefix


def metric_keys(s3: Any, bucket: str, prefix: str, *, job_id: str) -> list[str]:
    """Candidate files under the prefix; only the job's own folder when one is named after it."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents") or []:
            if is_metrics_candidate(item["Key"]) and item.get("Size", 0) <= MAX_FILE_BYTES:
                keys.append(item["Key"])
    own = [k for k in keys if job_id and job_id in k]
    return sorted(own or keys)[:MAX_FILES]


def summary_table(records: list[Record], names: list[str]) -> Table:
    """First, last, min and max per metric, with its goal and the step of its best value.

    The best step is the highest value's for rewards, scores and accuracies and the lowest's for losses
    (``metric_goal``); metrics with no better direction (entropy, response length) get none. Each row's
    numbers share one format, so the columns line up."""
    table = Table(title=f"training metrics ({len(records)} steps)")
    for column in ("metric", "goal", "first", "last", "min", "max", "best step"):
        table.add_column(column, justify="left" if column in ("metric", "goal") else "right")
    for name in names[:MAX_TABLE_COLUMNS]:
        series = [(r["step"], r[name]) for r in records if name in r]
        if not series:
            continue
        values = [v for _, v in series]
        goal = metric_goal(name)
        best_step = ""
        if goal is not None:
            pick = max if goal == "max" else min
            best_value = pick(values)
            best_step = _step(next(step for step, value in series if value == best_value))  # the first such step
        number = _row_format(values)
        table.add_row(
            Text(name),
            goal or "",
            number(values[0]),
            number(values[-1]),
            number(min(values)),
            number(max(values)),
            best_step,
        )
    return table


def _row_format(values: list[float]) -> Callable[[float], str]:
    """One format for a row: integers as integers, else fixed decimals, or exponents for tiny or huge values."""
    if all(float(v).is_integer() and abs(v) < 1e15 for v in values):
        return lambda v: str(int(v))
    if any(abs(v) >= 1e7 or (v and abs(v) < 1e-3) for v in values):
        return lambda v: f"{v:.3e}"
    return lambda v: f"{v:.{TABLE_DECIMALS}f}"


def _step(step: float) -> str:
    return str(int(step)) if float(step).is_integer() else f"{step:g}"


def write_csv(path: Path, records: list[Record], names: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["step"] + names)
        writer.writeheader()
        for record in records:
            writer.writerow({k: _csv_number(v) for k, v in record.items()})


def plot_rewards(path: Path, records: list[Record], names: list[str], *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 5))
    try:
        for name in names:
            series = [(r["step"], r[name]) for r in records if name in r]
            axes.plot(
                [s for s, _ in series], [v for _, v in series], marker="o" if len(series) < 30 else None, label=name
            )
        axes.set_xlabel("step")
        axes.set_ylabel("reward")
        axes.set_title(title)
        axes.grid(True, alpha=0.3)
        axes.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=110)
    finally:
        pyplot.close(figure)


def _csv_number(value: float) -> str:
    """Full precision (the shortest text that reads back as the same number); integers without ``.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
