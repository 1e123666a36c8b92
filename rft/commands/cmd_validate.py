"""`rft validate FILE...`: the training-data checks the CDK app also runs at synth."""

from __future__ import annotations

import argparse
import json
import os
import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..checks.dataset_validation import GRADERS, validate_dataset
from .environment_settings import add_environment_arguments, apply_environment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check RFT training files (JSONL) before training",
        description="Check RFT training data: chat-completions rows, what the "
        "grader needs, prompt length, row count (100-20,000), duplicates, encoding.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSONL training file(s)")
    parser.add_argument(
        "--grader",
        choices=GRADERS,
        help="the grader the data is for; decides the required fields (reference_answer, "
        "constraints). Without it only the checks common to every grader run",
    )
    parser.add_argument(
        "--max-prompt-length",
        type=int,
        metavar="N",
        help="the job's maxPromptLength, in tokens (estimated as characters / 4)",
    )
    parser.add_argument(
        "--default-format-constraints",
        action="store_true",
        help="the format grader has FORMAT_DEFAULT_CONSTRAINTS, so rows may carry none "
        "(implied when FORMAT_DEFAULT_CONSTRAINTS is set)",
    )
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    add_environment_arguments(parser)
    parser.add_argument(
        "--max-messages", type=int, default=20, metavar="N", help="problems printed per file (default 20)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    """Problems (``error:``/``warning:`` lines) on standard error, the summary table on standard output."""
    problems = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    config = apply_environment(args)
    # The Nova path's limit; the open-weight path (no hyperparameters) has none to default to.
    if config is not None and args.max_prompt_length is None and config.hyperparameters is not None:
        args.max_prompt_length = config.hyperparameters.max_prompt_length
    has_defaults = args.default_format_constraints or bool(os.environ.get("FORMAT_DEFAULT_CONSTRAINTS", "").strip())
    composite_graders = _composite_defaults()
    failed = False
    grader = args.grader or "judge"  # the judge needs no particular field: the common checks only
    title = f"validation for the {args.grader} grader" if args.grader else "validation (no --grader: common checks)"
    summary = Table(title=title)
    for column in ("file", "rows", "errors", "warnings", "result"):
        summary.add_column(column, justify="right" if column in ("rows", "errors", "warnings") else "left")
    for path in args.files:
        report = validate_dataset(
            path,
            grader=grader,
            max_prompt_length=args.max_prompt_length,
            has_default_format_constraints=has_defaults,
            composite_graders=composite_graders,
        )
        messages = [f"error: {m}" for m in report.grouped("error")] + [
            f"warning: {m}" for m in report.grouped("warning")
        ]
        for message in messages[: args.max_messages]:
            problems.print(message, markup=False, highlight=False, soft_wrap=True)
        if len(messages) > args.max_messages:
            problems.print(f"... and {len(messages) - args.max_messages} more for {path}", markup=False, soft_wrap=True)
        bad = not report.ok or bool(args.strict and report.warnings)
        failed = failed or bad
        summary.add_row(
            Text(path),
            str(report.rows),
            str(len(report.errors)),
            str(len(report.warnings)),
            "[red]FAIL[/red]" if bad else "[green]OK[/green]",
        )
    console.print(summary)
    return 1 if failed else 0


def _composite_defaults() -> list[str] | None:
    raw = os.environ.get("COMPOSITE_DEFAULT_GRADERS", "").strip()
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return [str(v) for v in value] if isinstance(value, list) else None
