"""The grader catalogue: every grader kind, declared once.

Configuration validation (``config/settings.py``), the stacks (functions, environment, IAM, network,
dashboard, job fingerprint), the ``rft`` command line and the tests all read this table; a new kind is
one :class:`GraderKind` entry plus its own package and handler. Import-light on purpose: it is data,
imported by the CDK app and by the CLI, never a cost on a grader's cold start.

Each :class:`Setting` names its configuration key (camelCase, under the kind's section of
``config/environments.json``), the environment variable the grader Lambda reads, its default and
allowed values, and whether it changes rewards. Only reward-changing settings enter the job
fingerprint: raising a concurrency never starts a new paid job.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Environment variable every judge-calling grader gets: the environment's name, tagged on judge calls.
ENVIRONMENT_NAME_ENV = "RFT_ENVIRONMENT"
# Code of the grader package that every kind runs (fingerprinted with each kind's own code).
SHARED_CODE = (
    "__init__.py",
    "catalog.py",
    "contract.py",
    "handler_kit.py",
    "markdown.py",
    "requirements.in",
    "requirements.txt",
)


@dataclass(frozen=True)
class Setting:
    """One grader setting: configuration key, environment variable, default and allowed values."""

    key: str
    env: str
    type: str  # "number", "integer", "boolean", "string", "choice", "object", "list"
    default: Any = None  # None: unset (the grader's own default applies)
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    reward: bool = True  # changes rewards: part of the job fingerprint
    nullable: bool = False
    doc: str = ""
    encode: Callable[[Any], str] | None = None  # how the value is written to the environment

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None when it is."""
        if value is None:
            return None if self.nullable or self.default is None else "a value is required"
        if self.type in ("number", "integer"):
            integer = self.type == "integer"
            ok = not isinstance(value, bool) and isinstance(value, int if integer else (int, float))
            ok = ok and math.isfinite(value) and (self.low is None or value >= self.low)
            ok = ok and (self.high is None or value <= self.high)
            if not ok:
                kind = "an integer" if integer else "a number"
                bounds = (
                    f" from {self.low:g} to {self.high:g}"
                    if self.high is not None
                    else f" >= {self.low:g}"
                    if self.low is not None
                    else ""
                )
                return kind + bounds + (" or null" if self.nullable else "")
            return None
        if self.type == "boolean":
            return None if isinstance(value, bool) else "true or false"
        if self.type == "choice":
            return None if value in self.choices else "one of " + ", ".join(self.choices)
        if self.type == "string":
            return None if isinstance(value, str) and value.strip() else "a non-empty string"
        if self.type == "object":
            return None if isinstance(value, Mapping) else "an object"
        if self.type == "list":
            return None if isinstance(value, list) else "a list"
        raise AssertionError(f"unknown setting type {self.type}")

    def to_env(self, value: Any) -> str | None:
        """The environment value, or None to leave the variable unset."""
        if value is None:
            return None
        if self.encode is not None:
            return self.encode(value)
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, (Mapping, list, tuple)):
            return json.dumps(value if not isinstance(value, tuple) else list(value), sort_keys=True)
        return str(value)


@dataclass(frozen=True)
class GraderKind:
    """One reward function: its Lambda, its code, its settings and what a dataset row must carry."""

    name: str
    handler: str  # "<module>.<function>" inside the grader package
    memory_mb: int  # memory buys CPU: sympy and sandboxed programs are CPU-bound
    timeout_seconds: int
    code: tuple[str, ...]  # its own files and folders in lambda/graders (beside SHARED_CODE)
    row_needs: str  # what a dataset row must carry, for messages and docs
    settings: tuple[Setting, ...] = ()
    components: tuple[str, ...] = ()  # kinds whose settings it also reads (the composite)
    judge: bool = False  # always calls the judge model
    isolated: bool = False  # runs model-written programs: no network path, a role that can only log
    composable: bool = False  # may be a component of the composite
    # Typical Lambda seconds per graded item, for `rft estimate` (measured by benchmarks/, rounded up).
    seconds_per_item: float = 0.05
    # What every row must carry and a logged prompt (invocation logs) never does; None: it grades those too.
    row_reference: str | None = None

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    def setting(self, key: str) -> Setting:
        return next(s for s in self.settings if s.key == key)

    def defaults(self) -> dict[str, Any]:
        return {s.key: s.default for s in self.settings}


def _tools_weights(value: Mapping[str, float]) -> str:
    return ",".join(f"{name}={value[name]:g}" for name in sorted(value))


JUDGE_MODEL_DEFAULT = "openai.gpt-oss-120b-1:0"
JUDGE_RUBRICS = ("instruction_following", "summarization", "reasoning", "rag_faithfulness", "custom")
COMPOSITE_DEFAULT_WEIGHTS = {"math": 0.6, "format": 0.2, "judge": 0.2}
COMPOSITE_DEFAULT_GRADERS = ("math", "format")

CATALOG: dict[str, GraderKind] = {
    kind.name: kind
    for kind in (
        GraderKind(
            name="math",
            handler="graders.math_handler.handler",
            memory_mb=1024,
            timeout_seconds=300,
            seconds_per_item=0.05,
            code=("math_answer", "math_handler.py"),
            composable=True,
            row_needs="a reference_answer with the final answer",
            row_reference="reference_answer",
            settings=(
                Setting(
                    "toleranceRelative",
                    "MATH_TOLERANCE_RELATIVE",
                    "number",
                    low=0,
                    high=0.1,
                    nullable=True,
                    doc="opt-in relative tolerance for plain numbers (rounded references)",
                ),
                Setting(
                    "toleranceAbsolute",
                    "MATH_TOLERANCE_ABSOLUTE",
                    "number",
                    low=0,
                    high=1e9,
                    nullable=True,
                    doc="opt-in absolute tolerance for plain numbers",
                ),
            ),
        ),
        GraderKind(
            name="format",
            handler="graders.format_handler.handler",
            memory_mb=512,
            timeout_seconds=300,
            seconds_per_item=0.01,
            code=("format_rules", "format_handler.py"),
            composable=True,
            row_needs="instruction_id_list and kwargs (IFEval) or constraints",
            settings=(
                Setting(
                    "scoring",
                    "FORMAT_SCORING",
                    "choice",
                    "fraction",
                    choices=("fraction", "all_or_nothing"),
                    doc="fraction of the constraints met, or 1 only when all are",
                ),
                Setting("loose", "FORMAT_LOOSE", "boolean", False, doc="IFEval loose mode"),
                Setting(
                    "defaultConstraints",
                    "FORMAT_DEFAULT_CONSTRAINTS",
                    "object",
                    nullable=True,
                    doc="constraints for rows that carry none",
                ),
            ),
        ),
        GraderKind(
            name="judge",
            handler="graders.judge_handler.handler",
            memory_mb=512,
            timeout_seconds=600,
            seconds_per_item=0.1,
            code=("judge", "judge_handler.py"),
            judge=True,
            composable=True,
            row_needs="messages; a reference_answer or rubric fields where the rubric uses them",
            settings=(
                Setting(
                    "modelId",
                    "JUDGE_MODEL_ID",
                    "string",
                    JUDGE_MODEL_DEFAULT,
                    doc="Bedrock model id, inference profile id or ARN of the judge",
                ),
                Setting(
                    "rubric",
                    "JUDGE_RUBRIC",
                    "choice",
                    "instruction_following",
                    choices=JUDGE_RUBRICS,
                    doc="rubric template",
                ),
                Setting(
                    "customRubric",
                    "JUDGE_CUSTOM_RUBRIC",
                    "string",
                    nullable=True,
                    doc="the rubric text when rubric is custom",
                ),
                Setting(
                    "maxConcurrency",
                    "JUDGE_MAX_CONCURRENCY",
                    "integer",
                    32,
                    low=1,
                    high=64,
                    reward=False,
                    doc="items judged at once per batch, within the judge model's quota",
                ),
                Setting(
                    "injectionPenalty",
                    "JUDGE_INJECTION_PENALTY",
                    "number",
                    0.5,
                    low=0,
                    high=1,
                    doc="share of the score taken from answers that address the judge",
                ),
                Setting(
                    "errorScore",
                    "JUDGE_ERROR_SCORE",
                    "number",
                    0.5,
                    low=0,
                    high=1,
                    doc="neutral score of an item the judge could not judge (transient errors)",
                ),
                Setting(
                    "structuredOutput",
                    "JUDGE_STRUCTURED_OUTPUT",
                    "choice",
                    "auto",
                    choices=("auto", "true", "false"),
                    doc="ask for the verdict in a JSON schema",
                ),
                Setting(
                    "maxTokens",
                    "JUDGE_MAX_TOKENS",
                    "integer",
                    1024,
                    low=16,
                    high=32000,
                    doc="room for the judge's reasoning and verdict",
                ),
                Setting(
                    "maxAttempts",
                    "JUDGE_MAX_ATTEMPTS",
                    "integer",
                    6,
                    low=1,
                    high=20,
                    reward=False,
                    doc="calls per item on throttling, within the batch deadline",
                ),
                Setting(
                    "readTimeoutSeconds",
                    "JUDGE_READ_TIMEOUT_SECONDS",
                    "number",
                    60,
                    low=1,
                    high=600,
                    reward=False,
                    doc="longest wait for one judge call",
                ),
                Setting(
                    "region",
                    "JUDGE_REGION",
                    "string",
                    nullable=True,
                    reward=False,
                    doc="region of the judge calls (default: the Lambda's)",
                ),
            ),
        ),
        GraderKind(
            name="composite",
            handler="graders.composite_handler.handler",
            memory_mb=1024,
            timeout_seconds=600,
            seconds_per_item=0.15,
            code=(
                "math_answer",
                "format_rules",
                "judge",
                "code_exec",
                "tool_calls",
                "composite.py",
                "composite_handler.py",
            ),
            components=("math", "format", "judge", "code", "tools"),
            row_needs="what each component it applies needs (a graders field may name them)",
            settings=(
                Setting(
                    "weights",
                    "COMPOSITE_WEIGHTS",
                    "object",
                    COMPOSITE_DEFAULT_WEIGHTS,
                    doc="non-negative weight per component; a component of weight 0 never runs",
                ),
                Setting(
                    "defaultGraders",
                    "COMPOSITE_DEFAULT_GRADERS",
                    "list",
                    list(COMPOSITE_DEFAULT_GRADERS),
                    doc="components for rows without a graders field (each where the row carries what it needs)",
                ),
            ),
        ),
        GraderKind(
            name="code",
            handler="graders.code_handler.handler",
            memory_mb=2048,
            timeout_seconds=600,
            seconds_per_item=0.25,
            code=("code_exec", "code_handler.py"),
            isolated=True,
            composable=True,
            row_needs="tests: entry_point + tests (HumanEval check or MBPP asserts) or test_cases (stdin/stdout)",
            row_reference="tests",
            settings=(
                Setting(
                    "scoring",
                    "CODE_SCORING",
                    "choice",
                    "fraction",
                    choices=("fraction", "all_or_nothing"),
                    doc="fraction of the tests passed, or 1 only when all pass",
                ),
                Setting(
                    "testTimeoutSeconds",
                    "CODE_TEST_TIMEOUT_SECONDS",
                    "number",
                    4,
                    low=0.1,
                    high=60,
                    doc="wall-clock limit of one test",
                ),
                Setting("cpuSeconds", "CODE_CPU_SECONDS", "integer", 2, low=1, high=60, doc="CPU limit of one test"),
                Setting(
                    "memoryMb",
                    "CODE_MEMORY_MB",
                    "integer",
                    512,
                    low=64,
                    high=8192,
                    doc="address-space limit of a program",
                ),
                Setting(
                    "fileSizeKb",
                    "CODE_FILE_SIZE_KB",
                    "integer",
                    1024,
                    low=1,
                    high=1048576,
                    doc="largest file a program may write",
                ),
                Setting(
                    "outputKb", "CODE_OUTPUT_KB", "integer", 1024, low=1, high=65536, doc="output read from a program"
                ),
                Setting(
                    "stopAfterTimeouts",
                    "CODE_STOP_AFTER_TIMEOUTS",
                    "integer",
                    1,
                    low=0,
                    high=50,
                    doc="timeouts after which a program's remaining tests fail unrun",
                ),
                Setting(
                    "nprocAllowance",
                    "CODE_NPROC_ALLOWANCE",
                    "integer",
                    16,
                    low=1,
                    high=512,
                    reward=False,
                    doc="processes a program may start",
                ),
                Setting(
                    "namespaces",
                    "CODE_NAMESPACES",
                    "boolean",
                    True,
                    reward=False,
                    doc="also isolate programs in user, PID and network namespaces where the host allows",
                ),
                Setting(
                    "scratchDir",
                    "CODE_SCRATCH_DIR",
                    "string",
                    nullable=True,
                    reward=False,
                    doc="where programs' working directories are made",
                ),
                Setting(
                    "sweepDirs",
                    "CODE_SWEEP_DIRS",
                    "string",
                    nullable=True,
                    reward=False,
                    doc="folders cleaned of what programs left (default /tmp on Lambda)",
                ),
                Setting(
                    "maxWorkers",
                    "CODE_MAX_WORKERS",
                    "integer",
                    0,
                    low=0,
                    high=64,
                    reward=False,
                    doc="programs run at once (0: one per vCPU)",
                ),
            ),
        ),
        GraderKind(
            name="tools",
            handler="graders.tools_handler.handler",
            memory_mb=512,
            timeout_seconds=60,
            seconds_per_item=0.005,
            code=("tool_calls", "tools_handler.py"),
            composable=True,
            row_needs="reference_answer.tool_calls (name, arguments); optional OpenAI tools schemas",
            row_reference="reference tool calls",
            settings=(
                Setting("ordered", "TOOLS_ORDERED", "boolean", False, doc="calls must come in the reference order"),
                Setting(
                    "weights",
                    "TOOLS_WEIGHTS",
                    "object",
                    {"name": 0.2, "argument_names": 0.3, "argument_values": 0.4, "schema_valid": 0.1},
                    encode=_tools_weights,
                    doc="partial credit per part of a call",
                ),
                Setting(
                    "wrongCallCredit",
                    "TOOLS_WRONG_CALL_CREDIT",
                    "number",
                    0.5,
                    low=0,
                    high=1,
                    doc="share of its partial credit a call keeps when it is not exactly right (a wrong or "
                    "missing value, an extra argument); 1: purely additive partial credit",
                ),
            ),
        ),
    )
}

GRADERS: tuple[str, ...] = tuple(CATALOG)
COMPONENTS: tuple[str, ...] = tuple(name for name, kind in CATALOG.items() if kind.composable)


def composite_calls_judge(weights: Mapping[str, float], default_graders: Sequence[str]) -> bool:
    """The one rule for "the composite may call the judge": its weight is above 0.

    A row can name the judge only where it counts, so the composite never runs a judge component of
    weight 0 (``graders.composite`` drops it) and IAM grants ``bedrock:InvokeModel`` exactly then.
    ``default_graders`` is accepted for symmetry with the composite's settings; it cannot enable a
    judge of weight 0.
    """
    del default_graders
    return float(weights.get("judge", 0) or 0) > 0


def calls_judge(kind: str, settings: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether a grader of this kind, with these settings (per kind, config keys), calls the judge."""
    entry = CATALOG[kind]
    if entry.judge:
        return True
    if "judge" in entry.components:
        own = settings.get(kind, {})
        return composite_calls_judge(
            own.get("weights", COMPOSITE_DEFAULT_WEIGHTS), own.get("defaultGraders", COMPOSITE_DEFAULT_GRADERS)
        )
    return False


def weighted_components(kind: str, settings: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """The components a grader of this kind can run with these settings: those of positive weight (a component
    of weight 0 never runs, ``graders.composite``); a kind without components runs only itself."""
    entry = CATALOG[kind]
    if not entry.components:
        return ()
    weights = settings.get(kind, {}).get("weights", COMPOSITE_DEFAULT_WEIGHTS)
    weights = weights if isinstance(weights, Mapping) else {}

    def positive(value: Any) -> bool:
        return not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0

    return tuple(name for name in entry.components if positive(weights.get(name, 0)))


def is_isolated(kind: str, settings: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether the function must be deployed isolated (no network path, a role that can only log): the kind runs
    model-written programs itself, or it is a composite one of whose weighted components does."""
    return CATALOG[kind].isolated or any(CATALOG[name].isolated for name in weighted_components(kind, settings))


def runs(kind: str, settings: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """The kinds whose grading a function of this kind runs: the composite's weighted components, else itself."""
    return weighted_components(kind, settings) if CATALOG[kind].components else (kind,)


def composition_problems(kind: str, settings: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Why these settings cannot be deployed for this kind (empty when they can).

    An isolated function has no route to any AWS API, so it cannot call the judge model: a composite that
    weights an isolated component (code) and the judge cannot work, and is refused before any deployment.
    """
    if is_isolated(kind, settings) and calls_judge(kind, settings):
        isolated = [name for name in weighted_components(kind, settings) if CATALOG[name].isolated]
        return [
            f"weights: the {kind} grader runs {', '.join(isolated)} (model-written programs), so it is deployed "
            "with no network path and a role that can only write its logs, and cannot call the judge model; "
            "set the judge's weight to 0 or use separate jobs"
        ]
    return []


def environment(
    kind: str,
    settings: Mapping[str, Mapping[str, Any]],
    *,
    reward_only: bool = False,
    environment_name: str | None = None,
) -> dict[str, str]:
    """The environment variables of a grader Lambda: its own settings and those of the components it can run
    (weight > 0: a component of weight 0 never runs, so its settings neither reach the function nor, through
    the fingerprint, restart a job when they change).

    ``settings`` maps kind -> {config key: value}; missing keys take the catalogue's defaults.
    ``reward_only`` keeps only what changes rewards (the job fingerprint).
    """
    env: dict[str, str] = {}
    for name in (*weighted_components(kind, settings), kind):
        values = settings.get(name, {})
        for setting in CATALOG[name].settings:
            if reward_only and not setting.reward:
                continue
            encoded = setting.to_env(values.get(setting.key, setting.default))
            if encoded is not None:
                env[setting.env] = encoded
    if environment_name and calls_judge(kind, settings) and not reward_only:
        env[ENVIRONMENT_NAME_ENV] = environment_name
    return env
