"""``--env ENV`` / ``--config PATH`` for the grading commands: grade with exactly what an environment deploys.

The grader Lambdas read their settings from environment variables built from the configuration by the
grader catalogue; these commands put the same variables into this process, so ``rft grade --env prod``
grades as prod's Lambda would. Variables already set in the shell win (an override for experiments).
"""

from __future__ import annotations

import argparse
import os

from config.model import EnvironmentConfig
from config.settings import DEFAULT_CONFIG_FILE, ConfigError, load_config, select_environment

from ..errors import CliError


def add_environment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", metavar="ENV", help="grade with this environment's settings (config/environments.json)"
    )
    parser.add_argument(
        "--config", metavar="PATH", help=f"the pipeline configuration (default {DEFAULT_CONFIG_FILE.name})"
    )


def export_grader_settings(config: EnvironmentConfig, grader: str) -> None:
    """The grader reads its settings from the environment, as in its Lambda (variables already set win)."""
    for name, value in config.grader_environment(grader).items():
        os.environ.setdefault(name, value)


def apply_environment(args: argparse.Namespace) -> EnvironmentConfig | None:
    """Load ``--env``'s configuration, default ``--grader`` to its grader and export its grader settings."""
    if not getattr(args, "env", None):
        if getattr(args, "config", None):
            raise CliError("--config needs --env ENV (which environment of it to use)", exit_code=2)
        return None
    try:
        config = select_environment(load_config(args.config or DEFAULT_CONFIG_FILE), args.env)
    except ConfigError as exc:
        raise CliError(str(exc), exit_code=2) from None
    if getattr(args, "grader", None) is None:
        args.grader = config.grader
    export_grader_settings(config, args.grader)
    os.environ.setdefault("AWS_REGION", config.region)
    return config
