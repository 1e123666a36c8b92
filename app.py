#!/usr/bin/env python3
"""Entry point: read the configuration, validate it, build one environment's stacks, run cdk-nag.

Context (``-c key=value`` or cdk.json): ``env`` (default ``dev``) picks the environment,
``config`` the configuration file (default ``config/environments.json``).
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from config.settings import DEFAULT_CONFIG_FILE, ConfigError, load_config, select_environment
from stacks.pipeline import build_pipeline


def main() -> None:
    app = cdk.App()
    try:
        configs = load_config(app.node.try_get_context("config") or DEFAULT_CONFIG_FILE)
        config = select_environment(configs, app.node.try_get_context("env") or "dev")
    except ConfigError as exc:
        sys.exit(f"cdk synth stopped: {exc}")
    build_pipeline(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    app.synth()


if __name__ == "__main__":
    main()
