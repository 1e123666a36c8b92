"""The four reward-function Lambdas, all from one grader package asset."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from config.settings import EnvironmentConfig

from .constructs.grader_function import GraderFunction
from .constructs.local_bundling import REPO_ROOT, bundled_code

GRADER_SOURCE = REPO_ROOT / "lambda" / "graders"
# kind -> (handler, memory MB, timeout): sympy is CPU-bound (memory buys CPU); the judge waits on Bedrock.
GRADER_SPECS = {
    "math": ("graders.math_handler.handler", 1024, cdk.Duration.minutes(5)),
    "format": ("graders.format_handler.handler", 512, cdk.Duration.minutes(5)),
    "judge": ("graders.judge_handler.handler", 512, cdk.Duration.minutes(10)),
    "composite": ("graders.composite_handler.handler", 1024, cdk.Duration.minutes(10)),
}


# What each grader's code is: shared modules plus its own. A job is fingerprinted by the code of the
# grader it uses, so editing the judge does not restart a job graded by the math grader.
# requirements.txt is the bundle's lock: a new sympy can change verdicts, so the bundled versions count too.
SHARED_GRADER_CODE = ("__init__.py", "contract.py", "observability.py", "requirements.in", "requirements.txt")
GRADER_CODE = {
    "math": ("math_answer", "math_handler.py"),
    "format": ("format_rules", "format_handler.py"),
    "judge": ("judge", "judge_handler.py"),
    "composite": ("math_answer", "format_rules", "judge", "composite.py", "composite_handler.py"),
}


def grader_code_paths(kind: str) -> list[Path]:
    return [GRADER_SOURCE / name for name in (*SHARED_GRADER_CODE, *GRADER_CODE[kind])]


def grader_environment(config: EnvironmentConfig, kind: str) -> dict[str, str]:
    """The runtime settings each grader reads (the composite reads those of its components)."""
    fmt = {"FORMAT_SCORING": config.format.scoring, "FORMAT_LOOSE": str(config.format.loose).lower()}
    if config.format.default_constraints:
        fmt["FORMAT_DEFAULT_CONSTRAINTS"] = json.dumps(config.format.default_constraints, sort_keys=True)
    judge = {"JUDGE_MODEL_ID": config.judge.model_id, "JUDGE_RUBRIC": config.judge.rubric,
             "JUDGE_MAX_CONCURRENCY": str(config.judge.max_concurrency),
             "JUDGE_INJECTION_PENALTY": str(config.judge.injection_penalty)}
    if config.judge.custom_rubric:
        judge["JUDGE_CUSTOM_RUBRIC"] = config.judge.custom_rubric
    composite = {"COMPOSITE_WEIGHTS": json.dumps(dict(config.composite.weights), sort_keys=True),
                 "COMPOSITE_DEFAULT_GRADERS": json.dumps(list(config.composite.default_graders))}
    return {"math": {}, "format": fmt, "judge": judge, "composite": {**fmt, **judge, **composite}}[kind]


def grader_function_name(config: EnvironmentConfig, kind: str) -> str:
    return f"{config.project}-{config.name}-{kind}-grader"


def composite_uses_judge(config: EnvironmentConfig) -> bool:
    return config.composite.weights.get("judge", 0) > 0


class GradersStack(cdk.Stack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)
        code = bundled_code(GRADER_SOURCE)
        self.graders: dict[str, GraderFunction] = {}
        for kind, (handler, memory_mb, timeout) in GRADER_SPECS.items():
            grader = GraderFunction(
                self, f"{kind.capitalize()}Grader", kind=kind, code=code, handler=handler,
                function_name=grader_function_name(config, kind), memory_mb=memory_mb,
                timeout=timeout, environment=grader_environment(config, kind))
            self.graders[kind] = grader
            cdk.CfnOutput(self, f"{kind.capitalize()}GraderName", value=grader.function.function_name)
        self.graders["judge"].allow_judge_model(config.judge.model_id)
        if composite_uses_judge(config):
            self.graders["composite"].allow_judge_model(config.judge.model_id)

    @property
    def functions(self):
        return {kind: grader.function for kind, grader in self.graders.items()}
