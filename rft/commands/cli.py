"""The `rft` command: check data and graders before training, then follow the job.

    rft validate FILE... [--grader G] [--max-prompt-length N]
    rft grade --grader G FILE [--out results.jsonl]
    rft rehearse --grader G DATASET
    rft status|watch|report [--job-arn ARN | --env ENV]
    rft evaluate --env ENV | --dataset FILE --grader G --base-model ID --tuned-model ID
    rft estimate --env ENV [--prices FILE]

Every failure ends with a one-line message and a non-zero exit status, never a traceback
(set RFT_DEBUG=1 to see one). See docs/cli.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from ..errors import CliError
from . import cmd_evaluate, cmd_grade, cmd_jobs, cmd_report, cmd_validate

PIPED_WIDTH = 160
DISTRIBUTION = "bedrock-rft-pipeline"  # pyproject.toml's project name


def version() -> str:
    """The installed version, else (run from a checkout without ``pip install -e .``) pyproject.toml's."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]) + " (checkout)"
        except (OSError, KeyError, ValueError):
            return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rft",
        description="Amazon Bedrock reinforcement fine-tuning: check "
        "datasets and graders before training, then follow the job.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    cmd_validate.add_parser(subparsers)
    cmd_grade.add_parsers(subparsers)
    cmd_jobs.add_parsers(subparsers)
    cmd_report.add_parser(subparsers)
    cmd_evaluate.add_parsers(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:  # piped or captured: do not wrap tables at 80 columns
        console = Console(file=sys.stdout, highlight=False, width=max(console.width, PIPED_WIDTH))
    errors = Console(file=sys.stderr, highlight=False)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage message
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.run(args, console))
    except CliError as exc:
        _report(errors, str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _report(errors, "interrupted")
        return 130
    except Exception as exc:  # AWS and anything unforeseen: a message, not a traceback
        if os.environ.get("RFT_DEBUG"):
            raise
        _report(errors, _describe(exc))
        return 1


def _report(console: Console, message: str) -> None:
    console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def _describe(exc: Exception) -> str:
    module = type(exc).__module__ or ""
    if module.startswith("botocore"):
        hint = ""
        if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
            hint = " (configure AWS credentials, e.g. AWS_PROFILE)"
        return f"AWS: {exc}{hint}"
    return f"{type(exc).__name__}: {exc} (set RFT_DEBUG=1 for the traceback)"


if __name__ == "__main__":
    sys.exit(main())
