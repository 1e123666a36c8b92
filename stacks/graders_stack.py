"""The reward-function Lambdas of the grader catalogue, all from one grader package asset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from config.settings import EnvironmentConfig
from graders.catalog import CATALOG, SHARED_CODE, is_isolated

from .constructs.grader_function import GraderFunction
from .constructs.isolated_grader_network import IsolatedNetwork
from .support.local_bundling import REPO_ROOT, bundled_code

GRADER_SOURCE = REPO_ROOT / "lambda" / "graders"


def grader_code_paths(kind: str) -> list[Path]:
    """What a kind's code is: the package files every kind runs (``SHARED_CODE``, the bundle's lock included:
    a new sympy can change verdicts) plus its own. A job is fingerprinted by the code of the grader
    it uses, so editing the judge does not restart a job graded by the math grader."""
    return [GRADER_SOURCE / name for name in (*SHARED_CODE, *CATALOG[kind].code)]


class GradersStack(cdk.Stack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        code = bundled_code(GRADER_SOURCE)
        self.graders: dict[str, GraderFunction] = {}
        self.network: IsolatedNetwork | None = None
        for kind, entry in CATALOG.items():
            network = None
            # Runs model-written programs (the code grader, or a composite weighting it): no route anywhere, a role
            # that can only log.
            if is_isolated(kind, config.grader_settings):
                self.network = network = self.network or IsolatedNetwork(self, "SandboxNetwork", max_azs=2)
            grader = GraderFunction(
                self,
                f"{kind.capitalize()}Grader",
                kind=kind,
                code=code,
                handler=entry.handler,
                function_name=config.grader_function_name(kind),
                memory_mb=entry.memory_mb,
                timeout=cdk.Duration.seconds(entry.timeout_seconds),
                environment=config.grader_environment(kind),  # the composite: its components' too
                network=network,
            )
            self.graders[kind] = grader
            cdk.CfnOutput(self, f"{kind.capitalize()}GraderName", value=grader.function.function_name)
            if config.grader_calls_judge(kind):
                grader.allow_judge_model(config.judge.model_id)

    @property
    def availability_zones(self) -> list[str]:
        """Two zones resolved at deploy time (``Fn::GetAZs``): no context lookup, so synth needs no
        credentials, and no zone names written into the template."""
        return [cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(2)]
